import DoctorLab
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

// Shared by the suites that let gwdoctor change the lab: `fix` behind nginx and behind Caddy
// (`FixScenarioSuite`), `gate` and `rollback` on a release tree (`ReleaseScenarioSuite`). Each
// suite conforms and keeps only what is its own (the proxy it fronts with, how long a
// crashing release takes to end FATAL).

/// A whole small file as text, empty when it cannot be read.
func readText(_ path: String) -> String {
    (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
}

/// Three requests to a proxy's listener, each expected to get `status`; the failure message
/// carries the lab's logs (and `proxyLog`'s tail when given).
func expectProxyTraffic(_ lab: Lab, _ listen: Bind, through proxy: String, proxyLog: String? = nil, expect status: Int,
                        sourceLocation: SourceLocation = #_sourceLocation) async throws {
    // The logs are read when an expectation fails, after the requests were logged.
    func tail() -> String { proxyLog.map { "\n" + lab.tail($0) } ?? "" }
    for result in try await lab.generateTraffic(listen, path: "/health/", count: 3) {
        #expect(result.status == status, "through \(proxy): expected \(status), got \(result)\n\(lab.logs())\(tail())",
                sourceLocation: sourceLocation)
    }
}

// MARK: fix

/// `gwdoctor fix` under a real supervisord with the app (`app`) and a second program
/// (`other`) no fix may touch; the lab runs as root, so `--state-dir` is the lab's own
/// `LABDIR/state`, and the audit log is read back with `Lab.auditEntries`.
protocol FixScenarioSuite {
    /// How gwdoctor is told about the proxy (`--nginx-conf …`, `--caddyfile …`).
    func proxyArguments(_ lab: Lab) -> [String]
}

extension FixScenarioSuite {
    var app: String { "app" }
    var other: String { "other" }

    func stateDirectory(_ lab: Lab) -> String { lab.rollbackStateDirectory }
    func auditPath(_ lab: Lab) -> String { "\(stateDirectory(lab))/audit.jsonl" }

    /// A program no fix may touch: a Python that sleeps.
    func otherProgram(_ lab: Lab) -> SupervisedProgram {
        SupervisedProgram(name: other, command: [lab.python, "-c", "import time; time.sleep(100000)"], startsecs: 1)
    }

    /// `gwdoctor fix PROXY-ARGUMENTS --state-dir … --format json` plus `extra`.
    func fix(_ lab: Lab, _ extra: [String]) async throws -> DoctorRun {
        try await lab.runDoctor(["fix"] + proxyArguments(lab) + ["--state-dir", stateDirectory(lab), "--format", "json"] + extra,
                                timeout: .seconds(240))
    }

    /// The audit log's lines, decoded.
    func auditLines(_ lab: Lab) -> [[String: Any]] { lab.auditEntries() }

    func results(_ run: DoctorRun) -> [[String: Any]] {
        ((try? run.json())?["results"] as? [[String: Any]]) ?? []
    }

    func result(_ run: DoctorRun, kind: String) -> [String: Any]? {
        results(run).first { $0["kind"] as? String == kind }
    }

    func afterStatus(_ run: DoctorRun) -> String? {
        ((try? run.json())?["after"] as? [String: Any])?["status"] as? String
    }

    /// `supervisorctl stop app`, until supervisord says STOPPED.
    func stopApp(_ lab: Lab, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let stop = try await lab.supervisorctl(["stop", app])
        #expect(stop.exitCode == 0, "\(stop)", sourceLocation: sourceLocation)
        try await lab.waitForProgramState(app, states: ["STOPPED"])
    }

    /// `fix`'s dry run with the app stopped: exit 2 as `diagnose` (critical), one
    /// `supervisorctl -c CONF restart app`, no proxy reload and no socket step, and the app
    /// still STOPPED and no state directory afterwards (a dry run changes nothing).
    func expectDryRunPlansOneRestart(_ lab: Lab, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let dry = try await fix(lab, [])
        let json = try dry.json()
        #expect(dry.exitCode == 2, "\(dry)", sourceLocation: sourceLocation)
        #expect(json["mode"] as? String == "dry-run", "\(dry)", sourceLocation: sourceLocation)
        let plan = (json["plan"] as? [[String: Any]]) ?? []
        let restarts = plan.filter { $0["kind"] as? String == "restart-service" }
        #expect(restarts.count == 1, "\(dry)", sourceLocation: sourceLocation)
        #expect((restarts.first?["commands"] as? [String])?.first == "supervisorctl -c \(lab.supervisordConfigPath) restart \(app)", "\(dry)",
                sourceLocation: sourceLocation)
        #expect(!plan.contains { ["validate-then-reload", "remove-stale-socket"].contains($0["kind"] as? String) }, "\(dry)",
                sourceLocation: sourceLocation)
        #expect(try await lab.programStatus(app)?.state == "STOPPED", sourceLocation: sourceLocation)
        #expect(!lab.exists(stateDirectory(lab)), "a dry run must not even create the state directory", sourceLocation: sourceLocation)
    }

    /// `fix --apply --yes` with the app stopped and the proxy's config broken on disk: the app
    /// restarted, the reload refused ("NOT reloaded"), a non-zero exit. Returns the run and the
    /// reload step's detail (the proxy's own error) for the suite's checks.
    func applyWithBrokenProxyConfig(_ lab: Lab, sourceLocation: SourceLocation = #_sourceLocation) async throws
        -> (run: DoctorRun, detail: String) {
        let applied = try await fix(lab, ["--apply", "--yes"])
        #expect(applied.exitCode != 0, "a refused reload leaves work for a person:\n\(applied)", sourceLocation: sourceLocation)
        #expect(result(applied, kind: "restart-service")?["outcome"] as? String == "succeeded", "\(applied)", sourceLocation: sourceLocation)
        let reload = try #require(result(applied, kind: "validate-then-reload"), "\(applied)", sourceLocation: sourceLocation)
        #expect(reload["outcome"] as? String == "refused", "\(applied)", sourceLocation: sourceLocation)
        let detail = reload["detail"] as? String ?? ""
        #expect(detail.contains("NOT reloaded"), "\(applied)", sourceLocation: sourceLocation)
        return (applied, detail)
    }

    /// The audit log after `applyWithBrokenProxyConfig`: `restart-service` succeeded, then a
    /// refused `config-test` whose command failed, and no `reload-proxy`. Returns the config-test line.
    @discardableResult
    func expectRestartThenRefusedConfigTest(_ lab: Lab, sourceLocation: SourceLocation = #_sourceLocation) -> [String: Any]? {
        let lines = auditLines(lab)
        #expect(lines.map { $0["step"] as? String } == ["restart-service", "config-test"], "\(readText(auditPath(lab)))",
                sourceLocation: sourceLocation)
        #expect(lines.first?["outcome"] as? String == "succeeded", sourceLocation: sourceLocation)
        #expect(lines.last?["outcome"] as? String == "refused", sourceLocation: sourceLocation)
        #expect((lines.last?["exit_status"] as? Int).map { $0 != 0 } == true, sourceLocation: sourceLocation)
        #expect(!lines.contains { $0["step"] as? String == "reload-proxy" }, sourceLocation: sourceLocation)
        return lines.last
    }

    /// The audit log holds exactly one line: a `supervisorctl -c CONF restart app` that ran
    /// (exit 0), succeeded and was verified. Returns it for the suite's own checks.
    @discardableResult
    func expectOneVerifiedRestart(_ lab: Lab, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        let lines = auditLines(lab)
        #expect(lines.count == 1, "\(readText(auditPath(lab)))", sourceLocation: sourceLocation)
        let line = try #require(lines.first, sourceLocation: sourceLocation)
        #expect(line["step"] as? String == "restart-service", sourceLocation: sourceLocation)
        #expect(line["outcome"] as? String == "succeeded", sourceLocation: sourceLocation)
        #expect(line["verified"] as? String == "passed", sourceLocation: sourceLocation)
        #expect(line["exit_status"] as? Int == 0, sourceLocation: sourceLocation)
        #expect(line["argv"] as? [String] == ["supervisorctl", "-c", lab.supervisordConfigPath, "restart", app], sourceLocation: sourceLocation)
        return line
    }

    /// Everything a fix must leave alone: the proxy's processes (an nginx reload replaces
    /// the workers; a Caddy restart gives a new pid), supervisord, and the other program.
    func untouched(_ lab: Lab, proxy: LabProcess) async throws -> UntouchedProcesses {
        UntouchedProcesses(proxy: processTree(proxy.pid), supervisord: try #require(lab.supervisord).pid,
                           other: try await lab.programPID(other))
    }
}

/// The pids `FixScenarioSuite.untouched` compares before and after a fix.
struct UntouchedProcesses: Equatable {
    var proxy: Set<Int>
    var supervisord: pid_t
    var other: pid_t?
}

// MARK: gate and rollback

/// A Capistrano-style release tree under a real supervisord (`app` from `current`, `other` on
/// :8001 from Lab/labsite) behind nginx, the SQLite database migrated by a release: the
/// `gate` and `rollback` scenarios, which prove their end state through the link on disk,
/// /proc/PID/cwd, the audit log and the bad mark.
protocol ReleaseScenarioSuite {
    /// supervisord's `startsecs` for `app`: a release that crashes on boot ends FATAL after
    /// it instead of being restarted forever.
    var startsecs: Int { get }
}

extension ReleaseScenarioSuite {
    var app: String { "app" }
    var other: String { "other" }
    var bind: Bind { .tcp(8000) }

    /// The stack on `current`: the database migrated by release `migrateWith`, supervisord
    /// with `app` (as `configure` leaves it) and `other`, both RUNNING, nginx → :8000 answering 200.
    func startStack(_ lab: Lab, _ tree: LabReleaseTree, migrateWith release: String = "1",
                    configure: (inout SupervisedProgram) throws -> Void = { _ in }) async throws -> NginxSite {
        try await lab.migrate(tree, release: release)
        var program = lab.releaseGunicornProgram(tree, name: app, bind: bind, startsecs: startsecs)
        try configure(&program)
        let bystander = lab.gunicornProgram(name: other, bind: .tcp(8001), workers: 1)
        try await lab.startSupervisord(programs: [program, bystander])
        for name in [app, other] {
            let status = try await lab.waitForProgramState(name, states: ["RUNNING"], timeout: .seconds(60))
            #expect(status.state == "RUNNING", "\(status)\n\(lab.tail(lab.programStderrLog(name)))")
        }
        try await lab.waitUntilHealthy(bind)
        let site = NginxSite(upstream: bind)
        try lab.writeNginxConfig(site)
        try await lab.startNginx()
        try await expectTraffic(lab, site, 200)
        return site
    }

    func expectTraffic(_ lab: Lab, _ site: NginxSite, _ status: Int, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        try await expectProxyTraffic(lab, site.listen, through: "nginx", expect: status, sourceLocation: sourceLocation)
    }

    /// Where `current` points, as written.
    func link(_ tree: LabReleaseTree) -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: tree.currentLink)
    }

    func cwd(_ pid: pid_t?) -> String? {
        pid.flatMap { try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\($0)/cwd") }
    }

    func nginxMasterPID(_ lab: Lab) -> String? {
        (try? String(contentsOfFile: lab.nginxPIDFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Release `id`'s `.gwdoctor-bad`, decoded.
    func markFile(_ tree: LabReleaseTree, _ id: String) -> [String: Any]? {
        guard let data = FileManager.default.contents(atPath: tree.release(id) + "/.gwdoctor-bad") else { return nil }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }

    /// The audit log as `step:outcome`.
    func steps(_ lab: Lab) -> [String] {
        lab.auditEntries().map { "\($0["step"] as? String ?? "?"):\($0["outcome"] as? String ?? "?")" }
    }
}
