import DoctorFacts
import DoctorHost
@testable import DoctorRemedy
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `fix` for a Caddy stack: the planner's rules on built facts, and the reload decision
/// (`CaddyReloadAccess`) on this machine for real: a real Caddyfile in a temporary
/// directory, read through `LiveHost`, and a real unix socket this test process listens
/// on as "the admin endpoint", found through the real listener table (/proc/net/unix +
/// /proc/PID/fd). The whole fix behind a real Caddy is in LabTests/CaddyFixScenarioTests.
@Suite("Caddy remedy")
struct CaddyRemedyTests {
    private let tcp = Endpoint.tcp(host: "127.0.0.1", port: 8000)
    private let caddyfile = "/etc/caddy/Caddyfile"
    private let caddyCommand = ["/usr/bin/caddy", "run", "--environ", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"]

    private func caddyRoute() -> Route {
        Route(proxy: .caddy, listen: [":80"], serverNames: ["app.test"], location: "/", directive: "reverse_proxy",
              target: .endpoint(scheme: "http", tcp), source: DoctorFacts.SourceLocation(file: caddyfile, line: 9))
    }

    private func facts(caddyState: String = "RUNNING", test: ConfigTest? = nil, appState: String = "STOPPED") -> Facts {
        var facts = Facts(routes: [caddyRoute()])
        facts.services = [Build.service("app", state: appState, bind: tcp),
                          Build.service("caddy", state: caddyState, bind: nil, command: caddyCommand)]
        facts.proxies = [ProxyInstance(kind: .caddy, configPath: caddyfile, masterPID: 640, workerPIDs: [640],
                                       masterCmdline: caddyCommand, configTest: test)]
        return facts
    }

    private func failedValidate() -> ConfigTest {
        ConfigTest(command: CommandResult(argv: ["/usr/bin/caddy", "validate"], exitCode: 1), passed: false,
                   messages: [ConfigTestMessage(level: "error", text: "adapting config using caddyfile: \(caddyfile):12: unrecognized directive: bogus",
                                                location: DoctorFacts.SourceLocation(file: caddyfile, line: 12))])
    }

    @Test("upstream stopped behind caddy: only the app program is restarted, never caddy, and no reload")
    func restartsOnlyTheApp() {
        let finding = Build.finding("target-not-listening")
        let plan = RemedyPlanner.plan(facts: facts(caddyState: "STOPPED"), status: .critical, verdict: Build.verdict(finding), findings: [finding])
        #expect(plan.automaticSteps.count == 1, "\(plan.steps)")
        guard case let .restartService(service, _, routes) = plan.automaticSteps.first else {
            Issue.record("expected a restart, got \(plan.steps)")
            return
        }
        #expect(service.name == "app")
        #expect(routes == ["app.test /"])
        #expect(!plan.steps.contains { $0.commands.joined().contains("caddy") }, "\(plan.steps)")
    }

    @Test("a running caddy whose caddy validate failed: validate-then-reload last, testing with the running binary and adapter")
    func validateThenReloadForCaddy() {
        let findings = [Build.finding("target-not-listening"),
                        Build.finding("proxy-config-invalid", layer: .proxy, severity: .warning, route: nil, fix: ["Fix \(caddyfile):12"])]
        let plan = RemedyPlanner.plan(facts: facts(test: failedValidate()), status: .critical, verdict: Build.verdict(findings[0]),
                                      findings: findings)
        #expect(plan.steps.map(\.kind) == ["manual", "restart-service", "validate-then-reload"], "\(plan.steps)")
        guard case let .validateThenReload(reload) = plan.steps.last else { return }
        #expect(reload.proxy == .caddy && reload.masterPID == 640 && reload.adapter == "caddyfile")
        #expect(reload.configTest.argv == ["/usr/bin/caddy", "validate", "--config", caddyfile, "--adapter", "caddyfile"])
        #expect(!reload.configTest.changesHost)
        #expect(reload.lastTest?.contains("\(caddyfile):12") == true, "\(reload)")
        // What a person reads: never `kill -HUP` (Caddy ignores it), and the restart is theirs.
        let commands = plan.steps.last?.commands ?? []
        #expect(!commands.joined().contains("kill"), "\(commands)")
        #expect(commands.last == "/usr/bin/caddy reload --config \(caddyfile) --adapter caddyfile --address <its admin address>", "\(commands)")
        #expect(plan.steps.last?.guards.contains { $0.contains("admin off") && $0.contains("never restarts the proxy") } == true)
    }

    @Test("caddy run --resume --config Caddyfile running its autosave.json: the reload tests and reloads it as JSON")
    func resumedAutosaveIsJSON() {
        let autosave = "/var/lib/caddy/.config/caddy/autosave.json"
        var built = facts(test: failedValidate())
        built.proxies[0].configPath = autosave
        built.proxies[0].configAdapter = "json"
        built.proxies[0].masterCmdline = ["/usr/bin/caddy", "run", "--resume", "--config", caddyfile, "--adapter", "caddyfile"]
        let finding = Build.finding("target-not-listening")
        let plan = RemedyPlanner.plan(facts: built, status: .critical, verdict: Build.verdict(finding), findings: [finding])
        guard case let .validateThenReload(reload) = plan.steps.last else {
            Issue.record("expected a reload, got \(plan.steps)")
            return
        }
        #expect(reload.adapter == "json", "the command line says caddyfile, but the running config is autosave.json")
        #expect(reload.configTest.argv == ["/usr/bin/caddy", "validate", "--config", autosave])
        #expect(reload.reloadCommandLine == "/usr/bin/caddy reload --config \(autosave) --address <its admin address>")
    }

    @Test("a caddy config test that passed, or could not judge, plans no reload")
    func noReloadWithoutAFailedTest() {
        let finding = Build.finding("target-not-listening")
        for passed in [true, nil] as [Bool?] {
            let test = ConfigTest(command: CommandResult(argv: ["caddy", "validate"], exitCode: passed == true ? 0 : nil), passed: passed, messages: [])
            let plan = RemedyPlanner.plan(facts: facts(test: test), status: .critical, verdict: Build.verdict(finding), findings: [finding])
            #expect(!plan.steps.contains { $0.kind == "validate-then-reload" }, "passed: \(String(describing: passed)): \(plan.steps)")
        }
    }

    @Test("caddy reload is an allow-listed command that changes the host; validate and adapt do not")
    func reloadCommand() throws {
        let reload = try #require(AllowedCommand.caddyReload(executable: "/usr/bin/caddy", config: caddyfile, adapter: "caddyfile",
                                                              address: "unix//run/caddy/admin.sock"))
        #expect(reload.argv == ["/usr/bin/caddy", "reload", "--config", caddyfile, "--adapter", "caddyfile", "--address", "unix//run/caddy/admin.sock"])
        #expect(reload.changesHost)
        #expect(AllowedCommand.caddyReload(executable: nil, config: "Caddyfile", adapter: "caddyfile", address: "localhost:2019") == nil)
        #expect(AllowedCommand.caddyReload(executable: nil, config: caddyfile, adapter: "caddyfile", address: "--force") == nil)
        #expect(AllowedCommand.caddyReload(executable: nil, config: caddyfile, adapter: "caddyfile", address: "a b:1") == nil)
        #expect(!AllowedCommand.caddyValidate(executable: nil, config: caddyfile, adapter: "caddyfile").changesHost)
        #expect(!AllowedCommand.caddyAdapt(executable: nil, config: caddyfile, adapter: "caddyfile").changesHost)
    }

    @Test("admin addresses as Caddy writes them")
    func adminAddresses() {
        #expect(CaddyReloadAccess.adminEndpoint("localhost:2019") == .tcp(host: "localhost", port: 2019))
        #expect(CaddyReloadAccess.adminEndpoint("[::1]:2020") == .tcp(host: "::1", port: 2020))
        #expect(CaddyReloadAccess.adminEndpoint("tcp/127.0.0.1:2019") == .tcp(host: "127.0.0.1", port: 2019))
        #expect(CaddyReloadAccess.adminEndpoint(":2019") == .tcp(host: "", port: 2019))
        #expect(CaddyReloadAccess.adminEndpoint("unix//run/caddy-admin.sock") == .unix(path: "/run/caddy-admin.sock"))
        #expect(CaddyReloadAccess.adminEndpoint("localhost") == nil)
        #expect(CaddyReloadAccess.matches(.tcp(host: "127.0.0.1", port: 2019), .tcp(host: "localhost", port: 2019)))
        #expect(!CaddyReloadAccess.matches(.tcp(host: "127.0.0.1", port: 2020), .tcp(host: "localhost", port: 2019)))
        #expect(!CaddyReloadAccess.matches(.tcp(host: "10.0.0.5", port: 2019), .tcp(host: "localhost", port: 2019)))
    }

    // MARK: The reload decision on this machine

    /// A temporary directory holding a Caddyfile whose global block is `global`.
    private func writeCaddyfile(_ global: String) throws -> (directory: String, path: String) {
        let directory = try Build.temporaryDirectory()
        let path = directory + "/Caddyfile"
        try "{\n\t\(global)\n}\n\nhttp://app.test:8080 {\n\treverse_proxy 127.0.0.1:8000\n}\n".write(toFile: path, atomically: true, encoding: .utf8)
        return (directory, path)
    }

    @Test("a log file the Caddyfile names that is missing is found (caddy validate would create it as root)")
    func missingLogFile() throws {
        let directory = try Build.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/Caddyfile"
        let log = directory + "/caddy/access.log"
        try "{\n\tadmin off\n}\n\nhttp://app.test:8080 {\n\tlog {\n\t\toutput file \(log)\n\t}\n\treverse_proxy 127.0.0.1:8000\n}\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        #expect(CaddyReloadAccess.missingLogFile(host: LiveHost(), config: path) == log)
        try FileManager.default.createDirectory(atPath: directory + "/caddy", withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: log, contents: Data()))
        #expect(CaddyReloadAccess.missingLogFile(host: LiveHost(), config: path) == nil)
    }

    @Test("admin off: no automatic reload, and the reason names the Caddyfile line")
    func adminOff() throws {
        let (directory, path) = try writeCaddyfile("admin off")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let access = CaddyReloadAccess.decide(host: LiveHost(), config: path, adapter: "caddyfile", executable: nil, pid: Int(getpid()))
        guard case let .none(why) = access else {
            Issue.record("admin off must not reload: \(access)")
            return
        }
        #expect(why.contains("admin off") && why.contains("\(path):2"), "\(why)")
    }

    @Test("an admin socket this very process listens on: caddy reload with that --address; held by nobody: no reload")
    func adminSocketTiedToThePid() throws {
        let (directory, _) = try writeCaddyfile("admin off")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let socketPath = directory + "/admin.sock"
        let path = directory + "/Caddyfile"
        try "{\n\tadmin unix/\(socketPath)\n}\n\nhttp://app.test:8080 {\n\treverse_proxy 127.0.0.1:8000\n}\n"
            .write(toFile: path, atomically: true, encoding: .utf8)

        // Nobody listens there yet: a reload could reach nothing (or another Caddy).
        let unheld = CaddyReloadAccess.decide(host: LiveHost(), config: path, adapter: "caddyfile", executable: nil, pid: Int(getpid()))
        guard case .none = unheld else {
            Issue.record("no listener, no reload: \(unheld)")
            return
        }

        let fd = try Build.unixListener(at: socketPath)
        defer { close(fd) }
        let held = CaddyReloadAccess.decide(host: LiveHost(), config: path, adapter: "caddyfile", executable: "/usr/bin/caddy", pid: Int(getpid()))
        guard case let .adminAPI(address, command) = held else {
            Issue.record("a listener held by the pid must allow the reload: \(held)")
            return
        }
        #expect(address == "unix/\(socketPath)")
        #expect(command.argv == ["/usr/bin/caddy", "reload", "--config", path, "--adapter", "caddyfile", "--address", "unix/\(socketPath)"])

        // The same socket, but the Caddy to reload is another pid: refused.
        let other = CaddyReloadAccess.decide(host: LiveHost(), config: path, adapter: "caddyfile", executable: nil, pid: Int(getpid()) + 100_000)
        guard case .none = other else {
            Issue.record("a listener of another pid must not allow the reload: \(other)")
            return
        }
    }
}
