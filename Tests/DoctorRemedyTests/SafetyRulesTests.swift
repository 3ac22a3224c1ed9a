import DoctorFacts
import DoctorHost
@testable import DoctorRemedy
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("Remedy safety rules")
struct SafetyRulesTests {
    @Test("confirmation: dry run without --apply; --yes proceeds; a terminal is asked; no terminal and no --yes refuses (64)")
    func confirmation() {
        #expect(ApplyConfirmation.decide(apply: false, yes: true, stdinIsTerminal: false) == .dryRun)
        #expect(ApplyConfirmation.decide(apply: true, yes: true, stdinIsTerminal: false) == .proceed)
        #expect(ApplyConfirmation.decide(apply: true, yes: false, stdinIsTerminal: true) == .ask)
        guard case let .refuse(message) = ApplyConfirmation.decide(apply: true, yes: false, stdinIsTerminal: false) else {
            Issue.record("no terminal and no --yes must refuse")
            return
        }
        #expect(message.contains("--yes") && message.contains("no terminal"))
        #expect(ApplyConfirmation.refusedExitCode == 64)
        #expect(ApplyConfirmation.isYes(" Yes\n") && ApplyConfirmation.isYes("y"))
        #expect(!ApplyConfirmation.isYes("") && !ApplyConfirmation.isYes(nil) && !ApplyConfirmation.isYes("yep"))
    }

    @Test("service names are data: only plain names become commands, one argv word each")
    func namesAreData() {
        #expect(AllowedCommand.systemctl(.restart, unit: "app.service")?.argv == ["systemctl", "restart", "--", "app.service"])
        #expect(AllowedCommand.systemctl(.start, unit: "app@1.service")?.argv == ["systemctl", "start", "--", "app@1.service"])
        for bad in ["-H evil.service", "app", "a b.service", "../x.service", "x.service;reboot", ""] {
            #expect(AllowedCommand.systemctl(.restart, unit: bad) == nil, "\(bad)")
        }
        #expect(AllowedCommand.supervisor(.restart, config: "/etc/supervisor/supervisord.conf", program: "web:app_00")?.argv
                == ["supervisorctl", "-c", "/etc/supervisor/supervisord.conf", "restart", "web:app_00"])
        #expect(AllowedCommand.supervisor(.start, config: "supervisord.conf", program: "app") == nil)
        for bad in ["-c/tmp/x", "all", "app; rm", "a b", "$(id)"] where bad != "all" {
            #expect(AllowedCommand.supervisor(.start, config: "/etc/supervisord.conf", program: bad) == nil, "\(bad)")
        }
    }

    @Test("commands that change the machine are marked, and LiveHost.run refuses them without running anything")
    func runRefusesChanges() async {
        let restart = AllowedCommand.systemctl(.restart, unit: "gwdoctor-test-never-exists.service")!
        #expect(restart.changesHost)
        #expect(AllowedCommand.supervisor(.start, config: "/x.conf", program: "app")!.changesHost)
        #expect(!AllowedCommand.supervisorStatus(config: "/x.conf").changesHost)
        #expect(!AllowedCommand.systemctlShow(units: ["app.service"]).changesHost)
        #expect(!AllowedCommand.nginxConfigTest(executable: nil, prefix: nil, config: "/etc/nginx/nginx.conf", globals: nil, errorLog: nil).changesHost)
        let result = await LiveHost().run(restart, timeout: .seconds(5), outputLimit: 1024)
        #expect(result.exitCode == nil && result.failure?.hasPrefix("refused") == true, "\(result)")
    }

    @Test("removeSocket unlinks a real socket and refuses a regular file, a directory and a missing path")
    func removeSocket() throws {
        let directory = try Build.temporaryDirectory()
        let socketPath = directory + "/app.sock"
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        #expect(fd >= 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in socketPath.utf8.enumerated() { buffer[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        close(fd) // closed without unlink: exactly a stale socket
        #expect(bound == 0)
        let host = LiveHost()
        #expect(try host.status(socketPath, followLinks: false).kind == .socket)
        try host.removeSocket(socketPath)
        #expect(!FileManager.default.fileExists(atPath: socketPath))

        let file = directory + "/app.pid"
        FileManager.default.createFile(atPath: file, contents: Data("1".utf8))
        #expect(throws: HostError.self) { try host.removeSocket(file) }
        #expect(FileManager.default.fileExists(atPath: file))
        #expect(throws: HostError.self) { try host.removeSocket(directory) }
        #expect(throws: HostError.notFound(socketPath)) { try host.removeSocket(socketPath) }
    }

    @Test("signal refuses pid 0, 1 and negatives (groups, everything); a real child gets its signal")
    func signal() throws {
        let host = LiveHost()
        for pid in [0, 1, -1, -4242] {
            #expect(throws: HostError.self) { try host.signal(pid: pid, SIGTERM) }
        }
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/sleep")
        child.arguments = ["30"]
        try child.run()
        // SIGKILL: a test runner may leave SIGTERM blocked in the children it starts.
        try host.signal(pid: Int(child.processIdentifier), SIGKILL)
        child.waitUntilExit()
        #expect(child.terminationReason == .uncaughtSignal && child.terminationStatus == SIGKILL)
    }

    @Test("health: a route answers when a direct probe and the probe through the proxy get a status under 500")
    func health() {
        func probe(_ outcome: ProbeOutcome) -> ProbeResult {
            ProbeResult(endpoint: .tcp(host: "127.0.0.1", port: 8000), path: "/health/", hostHeader: "app.test", outcome: outcome,
                        elapsedMilliseconds: 3)
        }
        var facts = Facts(routes: [Build.route(.tcp(host: "127.0.0.1", port: 8000))])
        facts.routeProbes = [RouteProbe(route: "app.test /", direct: [probe(.response(status: 200, server: nil))],
                                        viaProxy: probe(.response(status: 200, server: "nginx")))]
        #expect(HealthVerifier.evaluate(facts, routes: []).map(\.answers) == [true])

        facts.routeProbes[0].viaProxy = probe(.response(status: 502, server: "nginx"))
        #expect(HealthVerifier.evaluate(facts, routes: ["app.test /"]).map(\.answers) == [false])

        facts.routeProbes[0].direct = [probe(.failed(.refused))]
        facts.routeProbes[0].viaProxy = nil
        let refused = HealthVerifier.evaluate(facts, routes: [])
        #expect(refused.map(\.answers) == [false])
        #expect(refused[0].evidence.contains("connection refused"))

        facts.routeProbes[0].direct = [probe(.response(status: 404, server: nil))]
        let direct = HealthVerifier.evaluate(facts, routes: [])
        #expect(direct[0].answers && direct[0].proxyAnswers == nil && direct[0].note != nil, "no proxy probe: direct decides, and says so")

        #expect(HealthVerifier.evaluate(facts, routes: ["other.test /"]).map(\.answers) == [false], "an unprobed route never counts as healthy")
    }

    @Test("exit code after --apply: the new diagnosis's, at least 2 when a step did not help, at least 1 when a guard refused one")
    func exitCodes() {
        let finding = Build.finding("target-not-listening")
        let plan = RemedyPlan(status: .critical, verdict: Build.verdict(finding))
        func report(_ outcomes: [StepResult.Outcome], after: Status) -> RemedyReport {
            let results = outcomes.enumerated().map { StepResult(index: $0.offset + 1, kind: "restart-service", summary: "s", outcome: $0.element) }
            let outcome = RemedyExecutor.Outcome(results: results, audited: [], auditFailure: nil)
            return RemedyReport(plan: plan, mode: .applied, outcome: outcome, after: .init(status: after, verdict: plan.verdict))
        }
        #expect(RemedyReport(plan: plan, mode: .dryRun).exitCode == 2)
        #expect(report([.succeeded], after: .ok).exitCode == 0)
        #expect(report([.manual, .succeeded], after: .warning).exitCode == 1)
        #expect(report([.succeeded, .refused], after: .ok).exitCode == 1)
        #expect(report([.failed, .skipped], after: .ok).exitCode == 2)
        #expect(report([.succeeded], after: .unknown).exitCode == 3)
    }
}
