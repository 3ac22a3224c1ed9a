import DoctorChecks
import DoctorFacts
import Foundation
import Testing

/// crash-loop and oom-killed on facts built for the cases no capture here can produce:
/// systemd `Result=oom-kill` is only reported on the unified cgroup hierarchy (this host is
/// cgroup v1 hybrid, where a real memory-limit kill shows as `Result=signal`, status 9), and
/// supervisord BACKOFF/FATAL states as `supervisorctl status` prints them (recorded in
/// DoctorParsersTests' supervisor fixtures).
@Suite struct CrashLoopOOMCheckTests {
    private func facts(_ service: ManagedService, kernel: [WorkerKill]? = nil) -> Facts {
        var facts = Facts(routes: [Route(proxy: .nginx, listen: ["127.0.0.1:80"], serverNames: ["app.example"], location: "/",
                                         directive: "proxy_pass", target: .endpoint(scheme: "http", .tcp(host: "127.0.0.1", port: 8000)),
                                         source: SourceLocation(file: "/etc/nginx/nginx.conf", line: 9))])
        facts.services = [service]
        facts.kernelOOMKills = kernel
        return facts
    }

    private func service(manager: String, state: String, detail: String? = nil) -> ManagedService {
        ManagedService(manager: manager, name: manager == "systemd" ? "app.service" : "app", state: state, stateDetail: detail,
                       binds: [AppServerBind(endpoint: .tcp(host: "127.0.0.1", port: 8000), raw: "127.0.0.1:8000", source: "command line")])
    }

    @Test func supervisorBackoffAndFatalLoop() {
        for state in ["BACKOFF", "FATAL"] {
            let findings = CrashLoopCheck().run(facts(service(manager: "supervisor", state: state, detail: "Exited too quickly (process log may have details)")))
            #expect(findings.count == 1 && findings.first?.severity == .critical)
            #expect(findings.first?.evidence.first?.text.hasPrefix("supervisor app: \(state)") == true)
        }
        #expect(CrashLoopCheck().run(facts(service(manager: "supervisor", state: "RUNNING"))).isEmpty)
        #expect(CrashLoopCheck().run(facts(service(manager: "supervisor", state: "STOPPED"))).isEmpty)
    }

    @Test func oneFailureIsNotALoop() {
        var failed = service(manager: "systemd", state: "failed", detail: "failed")
        failed.result = "exit-code"
        failed.restarts = 1
        #expect(CrashLoopCheck().run(facts(failed)).isEmpty)
        failed.restarts = 3
        #expect(CrashLoopCheck().run(facts(failed)).count == 1)
        var running = service(manager: "systemd", state: "active", detail: "running")
        running.restarts = 12
        #expect(CrashLoopCheck().run(facts(running)).isEmpty, "restarted long ago, up now")
    }

    @Test func systemdOOMKillResultExplainsTheLoop() {
        var unit = service(manager: "systemd", state: "activating", detail: "auto-restart")
        unit.result = "oom-kill"
        unit.restarts = 4
        unit.exitStatus = 9
        let facts = facts(unit)
        let oom = OOMKilledCheck().run(facts)
        #expect(oom.count == 1 && oom.first?.severity == .critical)
        #expect(oom.first?.evidence.contains { $0.text.contains("Result=oom-kill") } == true)
        let diagnosis = VerdictRanker.diagnose(facts)
        #expect(diagnosis.verdict.check == "oom-killed" && diagnosis.verdict.layer == .capacity)
        #expect(diagnosis.findings.contains { $0.check == "crash-loop" })
    }

    @Test func bareSigkillIsProbableOnlyWithoutAKernelLog() {
        var unit = service(manager: "systemd", state: "active", detail: "running")
        unit.kills = [WorkerKill(reason: .signal, pid: 52, line: "[2026-11-21 10:15:04 +0000] [24] [ERROR] Worker (pid:52) was sent SIGKILL! Perhaps out of memory?",
                                 source: "journal", time: nil)]
        let unknown = OOMKilledCheck().run(facts(unit, kernel: nil))
        #expect(unknown.count == 1 && unknown.first?.severity == .warning && unknown.first?.summary.contains("probably") == true)
        #expect(OOMKilledCheck().run(facts(unit, kernel: [])).isEmpty, "the kernel log was read and shows no OOM kill: a kill -9")
        unit.kills[0].reason = .workerTimeout
        #expect(OOMKilledCheck().run(facts(unit, kernel: nil)).isEmpty)
    }
}
