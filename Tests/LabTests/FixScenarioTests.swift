import DoctorLab
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `gwdoctor fix` scenarios: nginx → Gunicorn run by a real supervisord in the lab, plus a
/// second supervised program (`other`) that no fix may touch. One fault, then `gwdoctor fix`
/// (a dry run, a refused run without a terminal, `--apply --yes`), and the end state proved
/// from outside gwdoctor: real HTTP requests through nginx, supervisorctl, pids (nginx
/// master and workers, supervisord, `other`), the socket file, and the audit log's lines.
///
/// The lab runs as root, so `--state-dir` points into the lab's own directory.
extension LabTests {
    @Suite("Fix scenarios")
    struct FixScenario {
        private let app = "app"
        private let other = "other"

        private func stateDirectory(_ lab: Lab) -> String { "\(lab.directory)/state" }
        private func auditPath(_ lab: Lab) -> String { "\(stateDirectory(lab))/audit.jsonl" }

        /// A program no fix may touch: a Python that sleeps.
        private func otherProgram(_ lab: Lab) -> SupervisedProgram {
            SupervisedProgram(name: other, command: [lab.python, "-c", "import time; time.sleep(100000)"], startsecs: 1)
        }

        /// `gwdoctor fix --nginx-conf … --state-dir … --format json` plus `extra`.
        private func fix(_ lab: Lab, _ extra: [String]) async throws -> DoctorRun {
            try await lab.runDoctor(["fix", "--nginx-conf", lab.nginxConfigPath, "--state-dir", stateDirectory(lab),
                                     "--format", "json"] + extra, timeout: .seconds(240))
        }

        /// The audit log's lines, decoded.
        private func auditLines(_ lab: Lab) -> [[String: Any]] {
            readFileText(auditPath(lab)).split(separator: "\n").compactMap {
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

        /// Three requests through nginx, each expected to get `status`.
        private func traffic(_ lab: Lab, _ site: NginxSite, expect status: Int,
                             sourceLocation: SourceLocation = #_sourceLocation) async throws {
            for result in try await lab.generateTraffic(site.listen, path: "/health/", count: 3) {
                #expect(result.status == status, "through nginx: expected \(status), got \(result)\n\(lab.logs())",
                        sourceLocation: sourceLocation)
            }
        }

        /// Everything a fix must leave alone: nginx's master and workers (a reload replaces the
        /// workers), supervisord, and the other program.
        private struct Untouched: Equatable {
            var nginx: Set<Int>
            var supervisord: pid_t
            var other: pid_t?
        }

        private func untouched(_ lab: Lab, nginx: LabProcess) async throws -> Untouched {
            Untouched(nginx: processTree(nginx.pid), supervisord: try #require(lab.supervisord).pid,
                      other: try await lab.programPID(other))
        }

        /// Starts supervisord with `programs` + `other`, waits for `app` in `appStates`, and nginx in front.
        private func start(_ lab: Lab, _ program: SupervisedProgram, bind: Bind, appStates: Set<String> = ["RUNNING"],
                           timeout: Duration = .seconds(40)) async throws -> (site: NginxSite, nginx: LabProcess) {
            try await lab.startSupervisord(programs: [program, otherProgram(lab)])
            try await lab.waitForProgramState(other, states: ["RUNNING"])
            try await lab.waitForProgramState(app, states: appStates, timeout: timeout)
            if appStates.contains("RUNNING") { try await lab.waitUntilHealthy(bind) }
            let site = NginxSite(upstream: bind)
            try lab.writeNginxConfig(site)
            let nginx = try await lab.startNginx()
            return (site, nginx)
        }

        // MARK: 1. Gunicorn stopped

        @Test("gunicorn stopped: fix is a dry run by default, refuses --apply without a terminal, asks on one (no answer is no), and --apply --yes restarts only gunicorn")
        func gunicornStopped() async throws {
            try await withScenarioLab("fix-stopped") { lab in
                let bind = Bind.tcp(8000)
                let (site, nginx) = try await start(lab, lab.gunicornProgram(name: app, bind: bind, workers: 1), bind: bind)
                try await traffic(lab, site, expect: 200)
                let before = try await untouched(lab, nginx: nginx)
                let oldApp = try #require(try await lab.programPID(app))

                let stop = try await lab.supervisorctl(["stop", app])
                #expect(stop.exitCode == 0, "\(stop)")
                try await lab.waitForProgramState(app, states: ["STOPPED"])
                try await traffic(lab, site, expect: 502)

                // Dry run: the plan names the one restart, nothing changes, exit as diagnose (critical).
                let dry = try await fix(lab, [])
                let dryJSON = try dry.json()
                #expect(dry.exitCode == 2, "\(dry)")
                #expect(dryJSON["mode"] as? String == "dry-run", "\(dry)")
                let plan = (dryJSON["plan"] as? [[String: Any]]) ?? []
                let restart = plan.first { $0["kind"] as? String == "restart-service" }
                #expect((restart?["commands"] as? [String])?.first == "supervisorctl -c \(lab.supervisordConfigPath) restart \(app)", "\(dry)")
                #expect(!plan.contains { ["validate-then-reload", "remove-stale-socket"].contains($0["kind"] as? String) }, "\(dry)")
                #expect(try await lab.programStatus(app)?.state == "STOPPED")
                #expect(!lab.exists(stateDirectory(lab)), "a dry run must not even create the state directory")

                // --apply without a terminal and without --yes: refused, exit 64, nothing changed.
                let refused = try await fix(lab, ["--apply"])
                #expect(refused.exitCode == 64, "\(refused)")
                #expect(refused.stderr.contains("no terminal") && refused.stderr.contains("--yes"), "\(refused)")
                #expect(try await lab.programStatus(app)?.state == "STOPPED")
                #expect(!lab.exists(auditPath(lab)))

                // On a terminal (script(1) gives it one) gwdoctor asks; no answer (EOF on stdin) is a no.
                let command = [try Lab.doctorExecutable(), "fix", "--nginx-conf", lab.nginxConfigPath,
                               "--state-dir", stateDirectory(lab), "--apply"].joined(separator: " ")
                let asked = try await lab.runInNamespace(["script", "-qec", command, "/dev/null"], timeout: .seconds(120))
                #expect(asked.stdout.contains("Carry out the 1 automatic step above on this machine? [y/N]"), "\(asked)")
                #expect(asked.stdout.contains("Nothing was changed."), "\(asked)")
                #expect(try await lab.programStatus(app)?.state == "STOPPED")
                #expect(!lab.exists(auditPath(lab)))

                let applied = try await fix(lab, ["--apply", "--yes"])
                #expect(applied.exitCode == 0, "\(applied)")
                #expect(result(applied, kind: "restart-service")?["outcome"] as? String == "succeeded", "\(applied)")
                #expect(afterStatus(applied) == "ok", "\(applied)")

                // Only gunicorn changed.
                let newApp = try #require(try await lab.programPID(app))
                #expect(newApp != oldApp)
                #expect(try await untouched(lab, nginx: nginx) == before, "nginx, supervisord and \(other) must be untouched")
                try await traffic(lab, site, expect: 200)

                let lines = auditLines(lab)
                #expect(lines.count == 1, "\(readFileText(auditPath(lab)))")
                let line = try #require(lines.first)
                #expect(line["step"] as? String == "restart-service")
                #expect(line["outcome"] as? String == "succeeded")
                #expect(line["verified"] as? String == "passed")
                #expect(line["exit_status"] as? Int == 0)
                #expect(line["argv"] as? [String] == ["supervisorctl", "-c", lab.supervisordConfigPath, "restart", app])
                #expect((line["verification"] as? String)?.contains("→ 200") == true, "\(line)")
                #expect(lab.fileMode(auditPath(lab)).map { $0 & 0o777 } == 0o600)
                #expect(lab.fileMode(stateDirectory(lab)).map { $0 & 0o777 } == 0o700)
            }
        }

        // MARK: 2. Stale socket

        @Test("stale socket after kill -9: fix --apply removes the socket and starts the service")
        func staleSocket() async throws {
            try await withScenarioLab("fix-stale") { lab in
                let socket = "\(lab.runDirectory)/app.sock"
                let bind = Bind.unix(path: socket)
                var program = lab.gunicornProgram(name: app, bind: bind, workers: 1)
                program.autorestart = "false" // so the killed program stays down
                let (site, nginx) = try await start(lab, program, bind: bind)
                try await traffic(lab, site, expect: 200)
                let before = try await untouched(lab, nginx: nginx)

                // kill -9 of master and worker: nobody removes the socket file.
                let master = try #require(try await lab.programPID(app))
                for pid in processTree(master) { kill(pid_t(pid), SIGKILL) }
                try await lab.waitForProgramState(app, states: ["EXITED", "FATAL", "STOPPED"])
                #expect(lab.isSocketFile(socket), "the socket file must stay behind")
                #expect(try await lab.connectError(bind) == ECONNREFUSED)
                let staleInode = try inode(socket)
                try await traffic(lab, site, expect: 502)

                let dry = try await fix(lab, [])
                let plan = ((try dry.json())["plan"] as? [[String: Any]]) ?? []
                #expect(plan.contains { $0["kind"] as? String == "remove-stale-socket" }, "\(dry)")
                let inodeAfterDryRun = try inode(socket)
                #expect(lab.isSocketFile(socket) && inodeAfterDryRun == staleInode, "a dry run removes nothing")

                let configBefore = readFileText(lab.supervisordConfigPath)
                let applied = try await fix(lab, ["--apply", "--yes"])
                #expect(result(applied, kind: "remove-stale-socket")?["outcome"] as? String == "succeeded", "\(applied)")
                // What is left is the program's autorestart=false (what kept it down): a manual
                // step, shown and not applied, so the run ends as a warning.
                #expect(results(applied).contains { $0["outcome"] as? String == "manual" && ($0["summary"] as? String)?.hasPrefix("restart-policy-missing") == true },
                        "\(applied)")
                #expect(afterStatus(applied) == "warning" && applied.exitCode == 1, "\(applied)")
                #expect(((try applied.json())["after"] as? [String: Any]).flatMap { $0["verdict"] as? [String: Any] }?["check"] as? String
                        == "restart-policy-missing", "\(applied)")
                #expect(readFileText(lab.supervisordConfigPath) == configBefore, "a manual step must never be applied")
                #expect(lab.isSocketFile(socket))
                // Live again: a connect that was refused now succeeds (the inode number cannot prove
                // it: tmpfs hands the freed number to the new socket).
                #expect(try await lab.connectError(bind) == nil, "gunicorn must listen on a new socket at \(socket)")
                #expect(try await lab.programStatus(app)?.state == "RUNNING")
                #expect(try await untouched(lab, nginx: nginx) == before)
                try await traffic(lab, site, expect: 200)

                let lines = auditLines(lab)
                #expect(lines.map { $0["step"] as? String } == ["remove-socket", "start-service"], "\(readFileText(auditPath(lab)))")
                #expect(lines.first?["argv"] as? [String] == ["rm", socket])
                #expect(lines.last?["argv"] as? [String] == ["supervisorctl", "-c", lab.supervisordConfigPath, "start", app])
                #expect(lines.allSatisfy { $0["outcome"] as? String == "succeeded" })
                #expect(lines.last?["verified"] as? String == "passed")
            }
        }

        // MARK: 3. Broken proxy config + upstream stopped

        @Test("nginx config broken on disk and gunicorn stopped: gunicorn restarted, nginx not reloaded, nginx -t's error shown")
        func brokenConfigAndStoppedUpstream() async throws {
            try await withScenarioLab("fix-broken-conf") { lab in
                let bind = Bind.tcp(8000)
                let (site, nginx) = try await start(lab, lab.gunicornProgram(name: app, bind: bind, workers: 1), bind: bind)
                let before = try await untouched(lab, nginx: nginx)
                // `proxy_pass …` without its `;` before `}`: nginx -t fails; the running master keeps its config.
                try lab.writeNginxConfig(NginxSite(upstream: bind, locationDirectives: ["proxy_pass http://127.0.0.1:8000"]))
                let test = try await lab.nginxTest()
                let location = try #require(nginxErrorLocation(test.stderr), "nginx -t must fail:\n\(test)")
                _ = try await lab.supervisorctl(["stop", app])
                try await lab.waitForProgramState(app, states: ["STOPPED"])
                try await traffic(lab, site, expect: 502)

                let applied = try await fix(lab, ["--apply", "--yes"])
                #expect(applied.exitCode != 0, "a refused reload leaves work for a person:\n\(applied)")
                #expect(result(applied, kind: "restart-service")?["outcome"] as? String == "succeeded", "\(applied)")
                let reload = try #require(result(applied, kind: "validate-then-reload"), "\(applied)")
                #expect(reload["outcome"] as? String == "refused", "\(applied)")
                let detail = reload["detail"] as? String ?? ""
                #expect(detail.contains("[emerg]") && detail.contains(location), "the nginx -t error must be shown:\n\(applied)")
                #expect(detail.contains("NOT reloaded"), "\(applied)")

                // Same master, same workers: no reload happened (a reload starts new workers).
                #expect(try await untouched(lab, nginx: nginx) == before, "nginx must not have been reloaded")
                try await traffic(lab, site, expect: 200)

                let lines = auditLines(lab)
                #expect(lines.map { $0["step"] as? String } == ["restart-service", "config-test"], "\(readFileText(auditPath(lab)))")
                #expect(lines.first?["outcome"] as? String == "succeeded")
                #expect(lines.last?["outcome"] as? String == "refused")
                #expect((lines.last?["argv"] as? [String])?.contains("-t") == true)
                #expect((lines.last?["exit_status"] as? Int).map { $0 != 0 } == true)
                #expect(!lines.contains { $0["step"] as? String == "reload-proxy" })
            }
        }

        // MARK: 4. Crash loop

        @Test("crash loop (DJANGO_SECRET_KEY missing): three restarts fail, the budget refuses the fourth and names the cause")
        func crashLoopBudget() async throws {
            try await withScenarioLab("fix-crash-loop") { lab in
                let bind = Bind.tcp(8000)
                let program = lab.gunicornProgram(name: app, bind: bind, workers: 1, environment: ["DJANGO_SECRET_KEY": nil],
                                                  startsecs: 10, startretries: 1)
                let (site, nginx) = try await start(lab, program, bind: bind, appStates: ["FATAL"], timeout: .seconds(60))
                try await traffic(lab, site, expect: 502)
                let before = try await untouched(lab, nginx: nginx)

                for attempt in 1...3 {
                    let run = try await fix(lab, ["--apply", "--yes", "--verify-timeout", "3s"])
                    #expect(run.exitCode == 2, "attempt \(attempt):\n\(run)")
                    let restart = result(run, kind: "restart-service")
                    #expect(restart?["outcome"] as? String == "failed", "attempt \(attempt):\n\(run)")
                    let detail = restart?["detail"] as? String ?? ""
                    #expect(detail.contains("app-startup-crash") && detail.contains("DJANGO_SECRET_KEY"),
                            "attempt \(attempt) must name the cause:\n\(run)")
                }
                let fourth = try await fix(lab, ["--apply", "--yes", "--verify-timeout", "3s"])
                #expect(fourth.exitCode == 2, "\(fourth)")
                let refused = try #require(result(fourth, kind: "restart-service"), "\(fourth)")
                #expect(refused["outcome"] as? String == "refused", "\(fourth)")
                let why = refused["detail"] as? String ?? ""
                #expect(why.contains("restart budget spent: 3 restarts"), "\(fourth)")
                #expect(why.contains("A person must look") && why.contains("app-startup-crash"), "\(fourth)")
                #expect(why.contains("missing-env-var") || why.contains("missing-secret-key"), "\(fourth)")
                #expect((refused["ran"] as? [String] ?? []).isEmpty, "nothing may run past the budget:\n\(fourth)")

                #expect(try await lab.programStatus(app)?.state == "FATAL")
                #expect(try await untouched(lab, nginx: nginx) == before)
                try await traffic(lab, site, expect: 502)

                let lines = auditLines(lab)
                #expect(lines.map { $0["outcome"] as? String } == ["failed", "failed", "failed", "refused"], "\(readFileText(auditPath(lab)))")
                #expect(lines.allSatisfy { $0["step"] as? String == "restart-service" })
                #expect(lines.prefix(3).allSatisfy { ($0["exit_status"] as? Int).map { $0 != 0 } == true })
                let budget = readFileText("\(stateDirectory(lab))/restart-budget.json")
                #expect(budget.contains("supervisor:\(lab.supervisordConfigPath):\(app)"), "\(budget)")
            }
        }

        private func inode(_ path: String) throws -> UInt64 {
            var info = stat()
            guard lstat(path, &info) == 0 else { throw LabError.io("lstat \(path): errno \(errno)") }
            return UInt64(info.st_ino)
        }
    }
}

/// A whole small file as text, empty when it cannot be read.
private func readFileText(_ path: String) -> String {
    (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
}
