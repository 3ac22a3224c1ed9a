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
    struct FixScenario: FixScenarioSuite {
        func proxyArguments(_ lab: Lab) -> [String] { ["--nginx-conf", lab.nginxConfigPath] }

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
                try await expectProxyTraffic(lab, site.listen, through: "nginx", expect: 200)
                let before = try await untouched(lab, proxy: nginx)
                let oldApp = try #require(try await lab.programPID(app))

                try await stopApp(lab)
                try await expectProxyTraffic(lab, site.listen, through: "nginx", expect: 502)

                // Dry run: the plan names the one restart, nothing changes, exit as diagnose (critical).
                try await expectDryRunPlansOneRestart(lab)

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
                #expect(try await untouched(lab, proxy: nginx) == before, "nginx, supervisord and \(other) must be untouched")
                try await expectProxyTraffic(lab, site.listen, through: "nginx", expect: 200)

                let line = try expectOneVerifiedRestart(lab)
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
                try await expectProxyTraffic(lab, site.listen, through: "nginx", expect: 200)
                let before = try await untouched(lab, proxy: nginx)

                // kill -9 of master and worker: nobody removes the socket file.
                let master = try #require(try await lab.programPID(app))
                for pid in processTree(master) { kill(pid_t(pid), SIGKILL) }
                try await lab.waitForProgramState(app, states: ["EXITED", "FATAL", "STOPPED"])
                #expect(lab.isSocketFile(socket), "the socket file must stay behind")
                #expect(try await lab.connectError(bind) == ECONNREFUSED)
                let staleInode = try inode(socket)
                try await expectProxyTraffic(lab, site.listen, through: "nginx", expect: 502)

                let dry = try await fix(lab, [])
                let plan = ((try dry.json())["plan"] as? [[String: Any]]) ?? []
                #expect(plan.contains { $0["kind"] as? String == "remove-stale-socket" }, "\(dry)")
                let inodeAfterDryRun = try inode(socket)
                #expect(lab.isSocketFile(socket) && inodeAfterDryRun == staleInode, "a dry run removes nothing")

                let configBefore = readText(lab.supervisordConfigPath)
                let applied = try await fix(lab, ["--apply", "--yes"])
                #expect(result(applied, kind: "remove-stale-socket")?["outcome"] as? String == "succeeded", "\(applied)")
                // What is left is the program's autorestart=false (what kept it down): a manual
                // step, shown and not applied, so the run ends as a warning.
                #expect(results(applied).contains { $0["outcome"] as? String == "manual" && ($0["summary"] as? String)?.hasPrefix("restart-policy-missing") == true },
                        "\(applied)")
                #expect(afterStatus(applied) == "warning" && applied.exitCode == 1, "\(applied)")
                #expect(((try applied.json())["after"] as? [String: Any]).flatMap { $0["verdict"] as? [String: Any] }?["check"] as? String
                        == "restart-policy-missing", "\(applied)")
                #expect(readText(lab.supervisordConfigPath) == configBefore, "a manual step must never be applied")
                #expect(lab.isSocketFile(socket))
                // Live again: a connect that was refused now succeeds (the inode number cannot prove
                // it: tmpfs hands the freed number to the new socket).
                #expect(try await lab.connectError(bind) == nil, "gunicorn must listen on a new socket at \(socket)")
                #expect(try await lab.programStatus(app)?.state == "RUNNING")
                #expect(try await untouched(lab, proxy: nginx) == before)
                try await expectProxyTraffic(lab, site.listen, through: "nginx", expect: 200)

                let lines = auditLines(lab)
                #expect(lines.map { $0["step"] as? String } == ["remove-socket", "start-service"], "\(readText(auditPath(lab)))")
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
                let before = try await untouched(lab, proxy: nginx)
                // `proxy_pass …` without its `;` before `}`: nginx -t fails; the running master keeps its config.
                try lab.writeNginxConfig(NginxSite(upstream: bind, locationDirectives: ["proxy_pass http://127.0.0.1:8000"]))
                let test = try await lab.nginxTest()
                let location = try #require(nginxErrorLocation(test.stderr), "nginx -t must fail:\n\(test)")
                try await stopApp(lab)
                try await expectProxyTraffic(lab, site.listen, through: "nginx", expect: 502)

                let (applied, detail) = try await applyWithBrokenProxyConfig(lab)
                #expect(detail.contains("[emerg]") && detail.contains(location), "the nginx -t error must be shown:\n\(applied)")

                // Same master, same workers: no reload happened (a reload starts new workers).
                #expect(try await untouched(lab, proxy: nginx) == before, "nginx must not have been reloaded")
                try await expectProxyTraffic(lab, site.listen, through: "nginx", expect: 200)

                let configTest = expectRestartThenRefusedConfigTest(lab)
                #expect((configTest?["argv"] as? [String])?.contains("-t") == true)
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
                try await expectProxyTraffic(lab, site.listen, through: "nginx", expect: 502)
                let before = try await untouched(lab, proxy: nginx)

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
                #expect(try await untouched(lab, proxy: nginx) == before)
                try await expectProxyTraffic(lab, site.listen, through: "nginx", expect: 502)

                let lines = auditLines(lab)
                #expect(lines.map { $0["outcome"] as? String } == ["failed", "failed", "failed", "refused"], "\(readText(auditPath(lab)))")
                #expect(lines.allSatisfy { $0["step"] as? String == "restart-service" })
                #expect(lines.prefix(3).allSatisfy { ($0["exit_status"] as? Int).map { $0 != 0 } == true })
                let budget = readText("\(stateDirectory(lab))/restart-budget.json")
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
