import DoctorLab
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `gwdoctor fix` behind Caddy (issue 7: everything `fix` does for nginx works for Caddy):
/// real Caddy 2 (Debian's package, run as the `caddy` user with `admin off`, as
/// CaddyScenarioTests run it) in front of a real Gunicorn under a real supervisord, plus a
/// second supervised program (`other`) no fix may touch. One fault, then
/// `gwdoctor fix --caddyfile … --apply --yes`, and the end state proved from outside gwdoctor:
/// real HTTP requests through Caddy, supervisorctl, pids (Caddy, supervisord, `other`) and
/// the audit log's lines.
///
/// The lab runs as root, so `--state-dir` points into the lab's own directory.
extension LabTests {
    @Suite("Caddy fix scenarios")
    struct CaddyFixScenario {
        private let app = "app"
        private let other = "other"

        private func stateDirectory(_ lab: Lab) -> String { "\(lab.directory)/state" }
        private func auditPath(_ lab: Lab) -> String { "\(stateDirectory(lab))/audit.jsonl" }

        private func otherProgram(_ lab: Lab) -> SupervisedProgram {
            SupervisedProgram(name: other, command: [lab.python, "-c", "import time; time.sleep(100000)"], startsecs: 1)
        }

        /// `gwdoctor fix --caddyfile … --state-dir … --format json` plus `extra`.
        private func fix(_ lab: Lab, _ extra: [String]) async throws -> DoctorRun {
            try await lab.runDoctor(["fix", "--caddyfile", lab.caddyfilePath, "--state-dir", stateDirectory(lab),
                                     "--format", "json"] + extra, timeout: .seconds(240))
        }

        private func auditLines(_ lab: Lab) -> [[String: Any]] {
            readText(auditPath(lab)).split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
        }

        private func results(_ run: DoctorRun) -> [[String: Any]] {
            ((try? run.json())?["results"] as? [[String: Any]]) ?? []
        }

        private func result(_ run: DoctorRun, kind: String) -> [String: Any]? {
            results(run).first { $0["kind"] as? String == kind }
        }

        private func afterStatus(_ run: DoctorRun) -> String? {
            ((try? run.json())?["after"] as? [String: Any])?["status"] as? String
        }

        /// Three requests through Caddy, each expected to get `status`.
        private func traffic(_ lab: Lab, _ site: LabCaddySite, expect status: Int,
                             sourceLocation: SourceLocation = #_sourceLocation) async throws {
            for result in try await lab.generateTraffic(site.listen, path: "/health/", count: 3) {
                #expect(result.status == status, "through caddy: expected \(status), got \(result)\n\(lab.logs())\n\(lab.tail(lab.caddyLog))",
                        sourceLocation: sourceLocation)
            }
        }

        /// Everything a fix must leave alone: Caddy (a restart would give a new pid; Caddy is
        /// one process), supervisord, and the other program.
        private struct Untouched: Equatable {
            var caddy: Set<Int>
            var supervisord: pid_t
            var other: pid_t?
        }

        private func untouched(_ lab: Lab, caddy: LabProcess) async throws -> Untouched {
            Untouched(caddy: processTree(caddy.pid), supervisord: try #require(lab.supervisord).pid,
                      other: try await lab.programPID(other))
        }

        /// supervisord with gunicorn (`app`) and `other`, then Caddy in front of gunicorn.
        private func start(_ lab: Lab, bind: Bind) async throws -> (site: LabCaddySite, caddy: LabProcess) {
            try await lab.startSupervisord(programs: [lab.gunicornProgram(name: app, bind: bind, workers: 1), otherProgram(lab)])
            try await lab.waitForProgramState(other, states: ["RUNNING"])
            try await lab.waitForProgramState(app, states: ["RUNNING"])
            try await lab.waitUntilHealthy(bind)
            let site = LabCaddySite(upstream: bind)
            try lab.writeCaddyfile(site)
            let caddy = try await lab.startCaddy(site)
            return (site, caddy)
        }

        @Test("gunicorn stopped behind caddy: fix --apply --yes restarts only gunicorn; caddy's pid unchanged, 200 through caddy, one audit line")
        func gunicornStopped() async throws {
            try await withScenarioLab("caddy-fix-stopped") { lab in
                let bind = Bind.tcp(8000)
                let (site, caddy) = try await start(lab, bind: bind)
                try await traffic(lab, site, expect: 200)
                let before = try await untouched(lab, caddy: caddy)
                let oldApp = try #require(try await lab.programPID(app))
                let caddyfileBefore = readText(lab.caddyfilePath)

                let stop = try await lab.supervisorctl(["stop", app])
                #expect(stop.exitCode == 0, "\(stop)")
                try await lab.waitForProgramState(app, states: ["STOPPED"])
                try await traffic(lab, site, expect: 502)

                // Dry run: one restart of the app program, no reload of Caddy, nothing changed.
                let dry = try await fix(lab, [])
                let dryJSON = try dry.json()
                #expect(dry.exitCode == 2, "\(dry)")
                #expect(dryJSON["mode"] as? String == "dry-run", "\(dry)")
                let plan = (dryJSON["plan"] as? [[String: Any]]) ?? []
                let restarts = plan.filter { $0["kind"] as? String == "restart-service" }
                #expect(restarts.count == 1, "\(dry)")
                #expect((restarts.first?["commands"] as? [String])?.first == "supervisorctl -c \(lab.supervisordConfigPath) restart \(app)", "\(dry)")
                #expect(!plan.contains { ["validate-then-reload", "remove-stale-socket"].contains($0["kind"] as? String) }, "\(dry)")
                #expect(try await lab.programStatus(app)?.state == "STOPPED")

                let applied = try await fix(lab, ["--apply", "--yes"])
                #expect(applied.exitCode == 0, "\(applied)")
                let restart = try #require(result(applied, kind: "restart-service"), "\(applied)")
                #expect(restart["outcome"] as? String == "succeeded", "\(applied)")
                // Verified directly at gunicorn, then through Caddy (not "not probed").
                let verification = restart["verification"] as? String ?? ""
                let parts = verification.components(separatedBy: "; via proxy ")
                #expect(parts.count == 2 && parts[0].contains("127.0.0.1:8000") && parts[0].contains("→ 200"), "direct: \(verification)")
                #expect(parts.count == 2 && parts[1].hasPrefix("127.0.0.1:8080") && parts[1].contains("→ 200"), "via caddy: \(verification)")
                #expect(afterStatus(applied) == "ok", "\(applied)")

                // Only gunicorn changed.
                let newApp = try #require(try await lab.programPID(app))
                #expect(newApp != oldApp)
                #expect(try await untouched(lab, caddy: caddy) == before, "caddy, supervisord and \(other) must be untouched")
                #expect(readText(lab.caddyfilePath) == caddyfileBefore)
                try await traffic(lab, site, expect: 200)

                let lines = auditLines(lab)
                #expect(lines.count == 1, "\(readText(auditPath(lab)))")
                let line = try #require(lines.first)
                #expect(line["step"] as? String == "restart-service")
                #expect(line["outcome"] as? String == "succeeded")
                #expect(line["verified"] as? String == "passed")
                #expect(line["exit_status"] as? Int == 0)
                #expect(line["argv"] as? [String] == ["supervisorctl", "-c", lab.supervisordConfigPath, "restart", app])
            }
        }

        @Test("Caddyfile broken on disk and gunicorn stopped: gunicorn restarted, caddy not reloaded or restarted (same pid), caddy validate's error shown with Caddyfile:line")
        func brokenCaddyfileAndStoppedUpstream() async throws {
            try await withScenarioLab("caddy-fix-broken") { lab in
                let bind = Bind.tcp(8000)
                let (site, caddy) = try await start(lab, bind: bind)
                let before = try await untouched(lab, caddy: caddy)
                // A directive Caddy does not know: `caddy validate` fails; the running Caddy keeps its config.
                try lab.writeCaddyfile(LabCaddySite(upstream: bind, siteDirectives: ["bogus_directive on"]))
                let brokenLine = try #require(lab.lineNumber(of: "bogus_directive", in: lab.caddyfilePath))
                let location = "\(lab.caddyfilePath):\(brokenLine)"
                let validate = try await lab.caddyValidate()
                #expect(validate.exitCode != 0 && (validate.stderr + validate.stdout).contains(location),
                        "caddy validate must fail at \(location):\n\(validate)")
                let caddyfileBroken = readText(lab.caddyfilePath)
                _ = try await lab.supervisorctl(["stop", app])
                try await lab.waitForProgramState(app, states: ["STOPPED"])
                try await traffic(lab, site, expect: 502)

                let applied = try await fix(lab, ["--apply", "--yes"])
                #expect(applied.exitCode != 0, "a refused reload leaves work for a person:\n\(applied)")
                #expect(result(applied, kind: "restart-service")?["outcome"] as? String == "succeeded", "\(applied)")
                let reload = try #require(result(applied, kind: "validate-then-reload"), "\(applied)")
                #expect(reload["outcome"] as? String == "refused", "\(applied)")
                let detail = reload["detail"] as? String ?? ""
                #expect(detail.contains("NOT reloaded") && detail.contains(location) && detail.contains("bogus_directive"),
                        "caddy validate's error must be shown with Caddyfile:line:\n\(applied)")
                #expect((reload["ran"] as? [String] ?? []).allSatisfy { !$0.contains(" reload ") }, "\(applied)")

                // Same Caddy process (no restart), still serving its old config: 200 once gunicorn is back.
                #expect(try await untouched(lab, caddy: caddy) == before, "caddy must be neither reloaded nor restarted")
                #expect(readText(lab.caddyfilePath) == caddyfileBroken, "the Caddyfile must not be edited")
                #expect(try await lab.programStatus(app)?.state == "RUNNING")
                try await traffic(lab, site, expect: 200)

                let lines = auditLines(lab)
                #expect(lines.map { $0["step"] as? String } == ["restart-service", "config-test"], "\(readText(auditPath(lab)))")
                #expect(lines.first?["outcome"] as? String == "succeeded")
                #expect(lines.last?["outcome"] as? String == "refused")
                #expect((lines.last?["argv"] as? [String]).map { $0.contains("validate") && $0.contains(lab.caddyfilePath) } == true,
                        "\(readText(auditPath(lab)))")
                #expect((lines.last?["exit_status"] as? Int).map { $0 != 0 } == true)
                #expect(!lines.contains { $0["step"] as? String == "reload-proxy" })
            }
        }
    }
}

/// A whole small file as text, empty when it cannot be read.
private func readText(_ path: String) -> String {
    (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
}
