import DoctorLab
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// More startup scenarios (issue 4, item 7): Uvicorn under a real supervisord (healthy,
/// and a boot crash), an uninstalled app in INSTALLED_APPS, a Postgres database that
/// does not answer, and a bare Gunicorn (no manager) whose only trace is its log file.
///
/// As in `StartupScenarioTests`, each test first proves its fault (supervisorctl's state,
/// nginx's 502, the program log's decisive line), then asserts the verdict's status,
/// layer, check and the finding's `cause`.
extension LabTests {
    @Suite("Startup scenarios, more")
    struct StartupMoreScenario {
        private let app = "app"
        private let bind = Bind.tcp(8000)
        /// A DSN to the namespace's loopback where nothing listens. Its password must never
        /// reach gwdoctor's output or a snapshot.
        private static let databasePassword = "lab-pg-pw-0451"
        private static let databaseURL = "postgres://labsite:\(databasePassword)@127.0.0.1:5432/labsite"
        /// `startsecs=` for programs that must end FATAL: a start that lives past startsecs
        /// counts as good and supervisord restarts it forever. A failing boot takes under a
        /// second on an idle machine but more than supervisord's usual 2 s on a loaded one
        /// (seen: STARTING → RUNNING → STARTING … with the load average at 14 on 2 cores).
        private static let failingStartsecs = 10

        private func startNginx(_ lab: Lab) async throws -> NginxSite {
            let site = NginxSite(upstream: bind)
            try lab.writeNginxConfig(site)
            try await lab.startNginx()
            return site
        }

        private func traffic(_ lab: Lab, _ site: NginxSite, expect status: Int,
                             sourceLocation: SourceLocation = #_sourceLocation) async throws {
            let results = try await lab.generateTraffic(site.listen, path: "/health/", count: 3)
            for result in results {
                #expect(result.status == status, "through nginx: expected \(status), got \(result)\n\(lab.logs())",
                        sourceLocation: sourceLocation)
            }
        }

        /// A line of `path` holding every one of `needles`.
        private func expectLogLine(_ lab: Lab, _ path: String, _ needles: [String],
                                   sourceLocation: SourceLocation = #_sourceLocation) async throws {
            let line = try await lab.waitForLogLine(path, containingAll: needles)
            #expect(line != nil, "no line with \(needles) in \(path):\n\(lab.tail(path, lines: 60))", sourceLocation: sourceLocation)
        }

        /// The app-startup-crash finding, from the raw JSON (`cause` is not in `ReportJSON`).
        private func startupFinding(_ run: DoctorRun) -> [String: Any]? {
            guard let json = try? run.json(), let findings = json["findings"] as? [[String: Any]] else { return nil }
            return findings.first { $0["check"] as? String == "app-startup-crash" }
        }

        /// `status`, startup, app-startup-crash, and a finding whose `cause` is one of `causes`;
        /// returns the finding.
        @discardableResult
        private func expectStartupCrash(_ lab: Lab, status: String = "critical", causes: Set<String>,
                                        sourceLocation: SourceLocation = #_sourceLocation) async throws -> (DoctorRun, [String: Any]?) {
            let (run, report) = try await diagnoseReport(lab, sourceLocation: sourceLocation)
            expectVerdict(run, report, status: status, layer: "startup", check: "app-startup-crash", sourceLocation: sourceLocation)
            let finding = startupFinding(run)
            #expect(finding?["layer"] as? String == "startup", "\(run)", sourceLocation: sourceLocation)
            let cause = finding?["cause"] as? String
            #expect(cause.map(causes.contains) == true,
                    "cause: expected one of \(causes.sorted()), got \(cause ?? "none")\n\(run)", sourceLocation: sourceLocation)
            if let cause { print("startup scenario \(lab.name): cause \(cause)") }
            return (run, finding)
        }

        /// supervisord gave up on the program (FATAL), and nothing listens on `bind`.
        private func expectGaveUp(_ lab: Lab, sourceLocation: SourceLocation = #_sourceLocation) async throws {
            let status = try await lab.waitForProgramState(app, states: ["FATAL"], timeout: .seconds(90))
            #expect(status.state == "FATAL", "\(status)", sourceLocation: sourceLocation)
            let gaveUp = try await lab.waitForLogLine(lab.supervisordLog, containingAll: ["gave up: \(app) entered FATAL state"])
            #expect(gaveUp != nil, "supervisord.log:\n\(lab.tail(lab.supervisordLog))", sourceLocation: sourceLocation)
            #expect(try await lab.connectError(bind) == ECONNREFUSED, "nothing may listen on \(bind) once \(app) is FATAL",
                    sourceLocation: sourceLocation)
        }

        // MARK: Uvicorn under supervisord

        @Test("healthy nginx → uvicorn under supervisord: ok, layer none")
        func uvicornHealthy() async throws {
            try await withScenarioLab("start-uv-healthy", directory: scenarioDirectory("startup-healthy-uvicorn-supervised")) { lab in
                try await lab.startSupervisord(programs: [lab.uvicornProgram(name: app, bind: bind)])
                let status = try await lab.waitForProgramState(app, states: ["RUNNING"])
                #expect(status.detail.contains("pid "), "\(status)")
                try await lab.waitUntilHealthy(bind)
                try await expectLogLine(lab, lab.programStderrLog(app), ["Uvicorn running on http://127.0.0.1:8000"])
                let site = try await startNginx(lab)
                try await traffic(lab, site, expect: 200)

                let (run, report) = try await diagnoseReport(lab)
                expectVerdict(run, report, status: "ok", layer: "none", check: nil)
                #expect(report.finding("app-startup-crash") == nil, "\(run)")
                try await captureIfAsked(lab, "startup-healthy-uvicorn-supervised")
            }
        }

        @Test("uvicorn under supervisord without DJANGO_SECRET_KEY: critical, startup, app-startup-crash (missing-env-var)")
        func uvicornMissingSecretKey() async throws {
            try await withScenarioLab("start-uv-no-secret", directory: scenarioDirectory("startup-uvicorn-missing-secret-key")) { lab in
                try await lab.startSupervisord(programs: [
                    lab.uvicornProgram(name: app, bind: bind, environment: ["DJANGO_SECRET_KEY": nil], startsecs: Self.failingStartsecs),
                ])
                #expect(!lab.tail(lab.supervisordConfigPath, lines: 200).contains("DJANGO_SECRET_KEY"))
                try await expectGaveUp(lab)
                try await expectLogLine(lab, lab.programStderrLog(app), ["KeyError: 'DJANGO_SECRET_KEY'"])
                let site = try await startNginx(lab)
                try await traffic(lab, site, expect: 502)

                let (run, finding) = try await expectStartupCrash(lab, causes: ["missing-env-var"])
                let summary = finding?["summary"] as? String ?? ""
                #expect(summary.contains("uvicorn") && summary.contains("DJANGO_SECRET_KEY"), "\(run)")
                try await captureIfAsked(lab, "startup-uvicorn-missing-secret-key")
            }
        }

        // MARK: Uninstalled app

        @Test("INSTALLED_APPS names rest_framework, not installed: critical, startup, app-startup-crash (missing-package)")
        func uninstalledApp() async throws {
            try await withScenarioLab("start-no-app", directory: scenarioDirectory("startup-uninstalled-app")) { lab in
                // The fault is real only while the venv lacks the package.
                let probe = try await lab.runInNamespace([lab.python, "-c", "import rest_framework"], timeout: .seconds(30))
                #expect(probe.exitCode != 0, "rest_framework is installed in \(lab.venv): the scenario needs it absent")
                try await lab.startSupervisord(programs: [
                    lab.gunicornProgram(name: app, bind: bind, environment: ["LAB_EXTRA_APP": "rest_framework"],
                                        startsecs: Self.failingStartsecs),
                ])
                try await expectGaveUp(lab)
                // Django 5.2's apps.populate imports each INSTALLED_APPS entry.
                try await expectLogLine(lab, lab.programStderrLog(app), ["ModuleNotFoundError: No module named 'rest_framework'"])
                #expect(lab.tail(lab.programStderrLog(app), lines: 400).contains("django/apps/config.py"),
                        "the import comes from Django's app registry")
                let site = try await startNginx(lab)
                try await traffic(lab, site, expect: 502)

                let (run, finding) = try await expectStartupCrash(lab, causes: ["missing-package"])
                #expect((finding?["summary"] as? String ?? "").contains("rest_framework"), "\(run)")
                try await captureIfAsked(lab, "startup-uninstalled-app")
            }
        }

        // MARK: Database unreachable

        @Test("Postgres DSN to a closed port, migrations checked at boot: critical, startup, app-startup-crash (database-unreachable)")
        func databaseUnreachable() async throws {
            try await withScenarioLab("start-db-down", directory: scenarioDirectory("startup-database-unreachable")) { lab in
                // Nothing listens on the database port in the lab's namespace.
                #expect(try await lab.connectError(.tcp(5432)) == ECONNREFUSED)
                try await lab.startSupervisord(programs: [
                    lab.gunicornProgram(name: app, bind: bind, environment: [
                        "LAB_DATABASE_URL": Self.databaseURL, "LAB_CHECK_MIGRATIONS": "1",
                    ], startsecs: Self.failingStartsecs),
                ])
                try await expectGaveUp(lab)
                try await expectLogLine(lab, lab.programStderrLog(app),
                                        ["OperationalError", "connection to server at \"127.0.0.1\", port 5432 failed: Connection refused"])
                #expect(lab.tail(lab.programStderrLog(app), lines: 400).contains("probe/apps.py"), "the boot-time migration check connects")
                let site = try await startNginx(lab)
                try await traffic(lab, site, expect: 502)

                let (run, finding) = try await expectStartupCrash(lab, causes: ["database-unreachable"])
                #expect((finding?["summary"] as? String ?? "").contains("127.0.0.1:5432"), "the detail names host:port\n\(run)")
                #expect(!run.stdout.contains(Self.databasePassword) && !run.stderr.contains(Self.databasePassword),
                        "the DSN's password leaked into the report")
                try await captureIfAsked(lab, "startup-database-unreachable", exampleName: "database-unreachable")
                for destination in [Lab.fixtureDestination("startup-database-unreachable", repositoryRoot: lab.repositoryRoot),
                                    "\(lab.repositoryRoot)/Examples/database-unreachable"]
                    where (Lab.capturesFixtures && destination.contains("Fixtures")) || (Lab.capturesExamples && destination.contains("Examples")) {
                    let grep = try await Lab.runCommand(["grep", "-rl", Self.databasePassword, destination], timeout: .seconds(10))
                    #expect(grep.exitCode == 1, "the DSN's password is in the snapshot: \(grep.stdout)")
                }
            }
        }
            // MARK: Bare processes (no manager)

        /// The services gwdoctor's JSON lists as run by no manager, when it shows services.
        private func bareFinding(_ run: DoctorRun) -> String {
            (startupFinding(run)?["summary"] as? String) ?? ""
        }

        /// Polls (bounded) until `process` has exited; whether it did.
        private func waitUntilGone(_ lab: Lab, _ process: LabProcess, timeout: Duration = .seconds(40)) async throws -> Bool {
            let deadline = ContinuousClock.now + timeout
            while lab.isRunning(process) {
                if ContinuousClock.now >= deadline { return false }
                try await Task.sleep(for: .milliseconds(100))
            }
            return true
        }

        @Test("bare gunicorn (no manager) crashed on boot, gone from the process table; its --error-logfile in /var/log/gunicorn is the only trace: critical, startup, app-startup-crash (missing-env-var)")
        func bareGunicornCrashedLogOnly() async throws {
            try await withScenarioLab("start-bare-gone", directory: scenarioDirectory("startup-bare-gunicorn-crashed")) { lab in
                let logDirectory = "\(lab.directory)/varlog/gunicorn"
                try FileManager.default.createDirectory(atPath: logDirectory, withIntermediateDirectories: true)
                let errorLog = "\(logDirectory)/error.log"
                // Started by hand (nohup style): no supervisord, no unit; DJANGO_SECRET_KEY forgotten.
                let gunicorn = try lab.startProcess(name: "gunicorn", [
                    "\(lab.venv)/bin/gunicorn", "--chdir", lab.labsite, "--bind", bind.gunicornArgument, "--workers", "2",
                    "--no-control-socket", "--error-logfile", errorLog, "labsite.wsgi:application",
                ], environment: lab.environment(["DJANGO_SECRET_KEY": nil]))
                // The workers fail to boot, so the master halts: nothing of it is left.
                let gone = try await waitUntilGone(lab, gunicorn)
                #expect(gone == true, "gunicorn \(gunicorn.pid) still runs:\n\(lab.tail(errorLog))")
                // The master halts on the worker's boot error (code 3); it may itself exit 1
                // (a race in gunicorn's HaltServer, seen in the applogs captures too).
                let status = lab.exitStatus(of: gunicorn) ?? "?"
                #expect(status.contains("exited with code") && !status.contains("code 0"), "gunicorn: \(status)")
                try await expectLogLine(lab, errorLog, ["Worker (pid:", "exited with code 3"])
                try await expectLogLine(lab, errorLog, ["KeyError: 'DJANGO_SECRET_KEY'"])
                try await expectLogLine(lab, errorLog, ["Listening at: http://127.0.0.1:8000"])
                let site = try await startNginx(lab)
                try await traffic(lab, site, expect: 502)

                let run = try await lab.runDoctor(mounting: logDirectory, at: "/var/log/gunicorn", ["diagnose", "--nginx-conf", lab.nginxConfigPath, "--format", "json"])
                let report = try #require(try? run.decode(ReportJSON.self), "no JSON report:\n\(run)")
                expectVerdict(run, report, status: "critical", layer: "startup", check: "app-startup-crash")
                let finding = startupFinding(run)
                #expect(finding?["cause"] as? String == "missing-env-var", "\(run)")
                let evidence = report.finding("app-startup-crash")?.evidence.map(\.all).joined(separator: "\n") ?? ""
                #expect(evidence.contains("/var/log/gunicorn/error.log"), "the decisive line is quoted from the log:\n\(run)")
                #expect(bareFinding(run).contains("DJANGO_SECRET_KEY"), "\(run)")

                // Without the log directory gwdoctor sees only that nothing listens.
                let (plain, plainReport) = try await diagnoseReport(lab)
                expectVerdict(plain, plainReport, status: "critical", layer: "upstream", check: "target-not-listening")

                if Lab.capturesFixtures {
                    let destination = Lab.fixtureDestination("startup-bare-gunicorn-crashed", repositoryRoot: lab.repositoryRoot)
                    try? FileManager.default.removeItem(atPath: destination)
                    let snapshot = try await lab.runDoctor(mounting: logDirectory, at: "/var/log/gunicorn", ["snapshot", destination, "--nginx-conf", lab.nginxConfigPath])
                    #expect(snapshot.exitCode == 0, "\(snapshot)")
                }
            }
        }

        @Test("bare gunicorn restarted by hand after a failed boot, same --error-logfile: warning, startup, app-startup-crash (missing-env-var, runs now)")
        func bareGunicornRestartedAfterFailedBoot() async throws {
            try await withScenarioLab("start-bare-again", directory: scenarioDirectory("startup-bare-gunicorn-restarted")) { lab in
                // First start without the secret: the boot fails and gunicorn exits.
                let failed = try await lab.startGunicorn(bind: bind, environment: ["DJANGO_SECRET_KEY": nil], waitUntilHealthy: false)
                let errorLog = try #require(failed.logPath)
                let gone = try await waitUntilGone(lab, failed)
                #expect(gone == true)
                try await expectLogLine(lab, errorLog, ["KeyError: 'DJANGO_SECRET_KEY'"])
                // Fixed and started again the same way: it appends to the same log.
                let running = try await lab.startGunicorn(bind: bind)
                #expect(running.logPath == errorLog)
                let site = try await startNginx(lab)
                try await traffic(lab, site, expect: 200)

                let (run, finding) = try await expectStartupCrash(lab, status: "warning", causes: ["missing-env-var"])
                let summary = finding?["summary"] as? String ?? ""
                #expect(summary.contains("runs now") && summary.contains("gunicorn (pid \(running.pid), no manager)"), "\(run)")
                #expect(finding?["severity"] as? String == "warning", "\(run)")
                try await captureIfAsked(lab, "startup-bare-gunicorn-restarted")
            }
        }

        @Test("bare uvicorn run as `uvicorn … > file 2>&1`, restarted after a failed boot: the log is found through /proc/PID/fd/2 (warning, startup, app-startup-crash)")
        func bareUvicornRedirectedOutput() async throws {
            try await withScenarioLab("start-bare-uv", directory: scenarioDirectory("startup-bare-uvicorn-redirected")) { lab in
                // The lab starts every process with stdout and stderr appended to logs/NAME.stdout
                // and logs/NAME.stderr: the shell redirection of a hand-started server.
                let failed = try await lab.startUvicorn(bind: bind, environment: ["DJANGO_SECRET_KEY": nil], waitUntilHealthy: false)
                let gone = try await waitUntilGone(lab, failed)
                #expect(gone == true)
                try await expectLogLine(lab, failed.stderrPath, ["KeyError: 'DJANGO_SECRET_KEY'"])
                let running = try await lab.startUvicorn(bind: bind)
                #expect(running.stderrPath == failed.stderrPath)
                #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(running.pid)/fd/2")) == running.stderrPath)
                let site = try await startNginx(lab)
                try await traffic(lab, site, expect: 200)

                let (run, finding) = try await expectStartupCrash(lab, status: "warning", causes: ["missing-env-var"])
                let evidence = (finding?["evidence"] as? [[String: Any]])?.compactMap { $0["source"] as? String } ?? []
                #expect(evidence.contains { $0.hasPrefix(running.stderrPath) }, "quoted from the redirected stderr:\n\(run)")
                try await captureIfAsked(lab, "startup-bare-uvicorn-redirected")
            }
        }
            @Test("bare `uvicorn --reload` whose server process crashed on boot while the reloader lives: critical, startup, app-startup-crash (missing-env-var)")
        func bareUvicornReloaderOnly() async throws {
            try await withScenarioLab("start-bare-reload", directory: scenarioDirectory("startup-bare-uvicorn-reload")) { lab in
                let reloader = try await lab.startUvicorn(bind: bind, extraArgs: ["--reload"], environment: ["DJANGO_SECRET_KEY": nil],
                                                          waitUntilHealthy: false)
                try await expectLogLine(lab, reloader.stderrPath, ["Started reloader process [\(reloader.pid)]"])
                try await expectLogLine(lab, reloader.stderrPath, ["KeyError: 'DJANGO_SECRET_KEY'"])
                // The reloader stays up, waiting for a file to change; its server is gone and
                // nothing listens (observed with Uvicorn 0.54: `ss -ltn` shows no :8000).
                #expect(lab.isRunning(reloader), "the reloader must still run:\n\(lab.tail(reloader.stderrPath))")
                #expect(try await lab.connectError(bind) == ECONNREFUSED)
                let site = try await startNginx(lab)
                try await traffic(lab, site, expect: 502)

                let (run, finding) = try await expectStartupCrash(lab, causes: ["missing-env-var"])
                let summary = finding?["summary"] as? String ?? ""
                #expect(summary.contains("uvicorn (pid \(reloader.pid), no manager) crashes on boot"), "\(run)")
                try await captureIfAsked(lab, "startup-bare-uvicorn-reload")
            }
        }
            // MARK: A managed server's own log file

        @Test("supervised gunicorn with --error-logfile, no DJANGO_SECRET_KEY: the traceback is only in that file: critical, startup, app-startup-crash (missing-env-var)")
        func supervisedGunicornWithErrorLogfile() async throws {
            try await withScenarioLab("start-errlog", directory: scenarioDirectory("startup-supervised-error-logfile")) { lab in
                let errorLog = "\(lab.logsDirectory)/gunicorn-error.log"
                try await lab.startSupervisord(programs: [
                    lab.gunicornProgram(name: app, bind: bind, extraArgs: ["--error-logfile", errorLog],
                                        environment: ["DJANGO_SECRET_KEY": nil], startsecs: Self.failingStartsecs),
                ])
                try await expectGaveUp(lab)
                try await expectLogLine(lab, errorLog, ["KeyError: 'DJANGO_SECRET_KEY'"])
                // supervisord's capture of stderr holds only gunicorn's one-line echo of the exception.
                let captured = lab.tail(lab.programStderrLog(app), lines: 400)
                #expect(!captured.contains("KeyError"), "stderr_logfile:\n\(captured)")
                let site = try await startNginx(lab)
                try await traffic(lab, site, expect: 502)

                let (run, finding) = try await expectStartupCrash(lab, causes: ["missing-env-var"])
                let sources = (finding?["evidence"] as? [[String: Any]])?.compactMap { $0["source"] as? String } ?? []
                #expect(sources.contains { $0.hasPrefix(errorLog + ":") }, "the decisive line is quoted from \(errorLog):\n\(run)")
                try await captureIfAsked(lab, "startup-supervised-error-logfile")
            }
        }
            @Test("gunicorn started by an @reboot crontab line (cron's bare environment: no DJANGO_SECRET_KEY), crashed and gone; the line's `>> file 2>&1` is its log: critical, startup, app-startup-crash (missing-env-var)")
        func bareGunicornFromCrontab() async throws {
            try await withScenarioLab("start-cron", directory: scenarioDirectory("startup-bare-gunicorn-crontab")) { lab in
                let crontabs = "\(lab.directory)/crontabs"
                let log = "\(lab.logsDirectory)/app-cron.log"
                let line = "cd \(lab.labsite) && \(lab.venv)/bin/gunicorn --bind \(bind.gunicornArgument) --workers 2 --no-control-socket labsite.wsgi:application >> \(log) 2>&1"
                try lab.write("# m h dom mon dow command\nMAILTO=\"\"\n@reboot \(line)\n", to: "\(crontabs)/root")
                // What cron does at boot: /bin/sh -c LINE with its own small environment.
                let cron = try lab.startProcess(name: "cron-reboot", ["/bin/sh", "-c", line], environment: [
                    "HOME": lab.directory, "LOGNAME": "root", "PATH": "/usr/bin:/bin", "SHELL": "/bin/sh",
                ])
                let gone = try await waitUntilGone(lab, cron)
                #expect(gone == true, "the @reboot command still runs:\n\(lab.tail(log))")
                try await expectLogLine(lab, log, ["KeyError: 'DJANGO_SECRET_KEY'"])
                let site = try await startNginx(lab)
                try await traffic(lab, site, expect: 502)

                let run = try await lab.runDoctor(mounting: crontabs, at: "/var/spool/cron/crontabs", hiding: "/var/spool",
                                                  ["diagnose", "--nginx-conf", lab.nginxConfigPath, "--format", "json"])
                let report = try #require(try? run.decode(ReportJSON.self), "no JSON report:\n\(run)")
                expectVerdict(run, report, status: "critical", layer: "startup", check: "app-startup-crash")
                #expect(startupFinding(run)?["cause"] as? String == "missing-env-var", "\(run)")
                #expect(bareFinding(run).contains("@reboot in /var/spool/cron/crontabs/root:3"), "\(run)")
                let evidence = report.finding("app-startup-crash")?.evidence.map(\.all).joined(separator: "\n") ?? ""
                #expect(evidence.contains(log), "quoted from the line's redirection target:\n\(run)")

                if Lab.capturesFixtures {
                    let destination = Lab.fixtureDestination("startup-bare-gunicorn-crontab", repositoryRoot: lab.repositoryRoot)
                    try? FileManager.default.removeItem(atPath: destination)
                    let snapshot = try await lab.runDoctor(mounting: crontabs, at: "/var/spool/cron/crontabs", hiding: "/var/spool",
                                                           ["snapshot", destination, "--nginx-conf", lab.nginxConfigPath])
                    #expect(snapshot.exitCode == 0, "\(snapshot)")
                }
            }
        }
    }
}
