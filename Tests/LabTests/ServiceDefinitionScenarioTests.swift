import DoctorLab
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Service-definition scenarios: nginx → Gunicorn under a real supervisord in the lab, with
/// ONE fault in the program's section (a binary that is not there, a missing directory, an
/// unknown user, autorestart=false, an empty DJANGO_SECRET_KEY, a settings module that does
/// not exist, a socket directory under /run nothing recreates), then `gwdoctor diagnose`.
///
/// Each test first proves the fault with supervisord's own behaviour (its log, its state,
/// `supervisorctl reread`), then asserts the verdict (status, layer, check) and that the
/// fix names the exact `file:line` of the setting in the lab's supervisord.conf.
extension LabTests {
    @Suite("Service definition scenarios")
    struct ServiceDefinitionScenario {
        private let app = "app"
        private let bind = Bind.tcp(8000)

        private func startNginx(_ lab: Lab, upstream: Bind? = nil) async throws -> NginxSite {
            let site = NginxSite(upstream: upstream ?? bind)
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

        /// supervisord gave the program up (FATAL) and nothing listens.
        private func expectFatal(_ lab: Lab, sourceLocation: SourceLocation = #_sourceLocation) async throws {
            let status = try await lab.waitForProgramState(app, states: ["FATAL"], timeout: .seconds(60))
            #expect(status.state == "FATAL", "\(status)", sourceLocation: sourceLocation)
            #expect(try await lab.connectError(bind) == ECONNREFUSED, "nothing may listen on \(bind)", sourceLocation: sourceLocation)
        }

        /// `file:line` of the first line starting with `prefix` in the lab's supervisord.conf.
        private func configLine(_ lab: Lab, _ prefix: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
            let text = lab.tail(lab.supervisordConfigPath, lines: 500)
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            let index = try #require(lines.firstIndex { $0.hasPrefix(prefix) }, "no \(prefix) in\n\(text)", sourceLocation: sourceLocation)
            return "\(lab.supervisordConfigPath):\(index + 1)"
        }

        /// The verdict, then the finding of `check` with a fix naming `location`.
        private func expectServiceFinding(_ lab: Lab, status: String, layer: String, verdict: String, check: String,
                                          severity: String, location: String,
                                          sourceLocation: SourceLocation = #_sourceLocation) async throws -> (DoctorRun, ReportJSON) {
            let (run, report) = try await diagnoseReport(lab, sourceLocation: sourceLocation)
            expectVerdict(run, report, status: status, layer: layer, check: verdict, sourceLocation: sourceLocation)
            let finding = report.finding(check)
            #expect(finding?.severity == severity, "\(check) severity: \(finding?.severity ?? "none")\n\(run)", sourceLocation: sourceLocation)
            #expect(finding?.fix.contains { $0.contains(location) } == true, "\(check) fix must name \(location):\n\(run)",
                    sourceLocation: sourceLocation)
            print("service scenario \(lab.name): \(finding?.summary ?? "no \(check)")")
            return (run, report)
        }

        // MARK: Healthy

        @Test("healthy supervised gunicorn: ok, and none of the service-definition checks fires")
        func healthy() async throws {
            try await withScenarioLab("svc-healthy", directory: scenarioDirectory("service-healthy-supervised")) { lab in
                try await lab.startSupervisord(programs: [lab.gunicornProgram(name: app, bind: bind)])
                try await lab.waitForProgramState(app, states: ["RUNNING"])
                try await lab.waitUntilHealthy(bind)
                let site = try await startNginx(lab)
                try await traffic(lab, site, expect: 200)
                let (run, report) = try await diagnoseReport(lab)
                expectVerdict(run, report, status: "ok", layer: "none", check: nil)
                let ids: Set = ["exec-missing", "working-directory-missing", "environment-file-missing", "service-user-unknown",
                                "runtime-directory-missing", "restart-policy-missing", "secret-key-missing", "settings-module-missing"]
                #expect(!report.findings.contains { ids.contains($0.check) }, "\(run)")
                try await captureIfAsked(lab, "service-healthy-supervised")
            }
        }

        // MARK: Faults that stop a boot

        @Test("command= names a virtualenv binary that does not exist: critical, startup, exec-missing")
        func execMissing() async throws {
            try await withScenarioLab("svc-exec-missing", directory: scenarioDirectory("service-exec-missing")) { lab in
                var program = lab.gunicornProgram(name: app, bind: bind)
                program.command[0] = "\(lab.directory)/venv-gone/bin/gunicorn"
                try await lab.startSupervisord(programs: [program])
                try await expectFatal(lab)
                let cantFind = try await lab.waitForLogLine(lab.supervisordLog, containingAll: ["can't find command", "venv-gone/bin/gunicorn"])
                #expect(cantFind != nil, "supervisord.log:\n\(lab.tail(lab.supervisordLog))")
                let site = try await startNginx(lab)
                try await traffic(lab, site, expect: 502)

                let (run, report) = try await expectServiceFinding(lab, status: "critical", layer: "startup", verdict: "exec-missing",
                                                                   check: "exec-missing", severity: "critical",
                                                                   location: try configLine(lab, "command="))
                #expect(report.verdict.summary.contains("venv-gone/bin/gunicorn"), "\(run)")
                try await captureIfAsked(lab, "service-exec-missing")
            }
        }

        @Test("directory= does not exist: critical, startup, working-directory-missing")
        func workingDirectoryMissing() async throws {
            try await withScenarioLab("svc-dir-missing", directory: scenarioDirectory("service-directory-missing")) { lab in
                var program = lab.gunicornProgram(name: app, bind: bind)
                program.directory = "\(lab.directory)/release-gone"
                try await lab.startSupervisord(programs: [program])
                try await expectFatal(lab)
                var chdir = try await lab.waitForLogLine(lab.supervisordLog, containingAll: ["couldn't chdir", "release-gone"])
                if chdir == nil {
                    chdir = try await lab.waitForLogLine(lab.programStderrLog(app), containingAll: ["couldn't chdir", "release-gone"])
                }
                #expect(chdir != nil, "supervisord.log:\n\(lab.tail(lab.supervisordLog))\nstderr:\n\(lab.tail(lab.programStderrLog(app)))")
                let site = try await startNginx(lab)
                try await traffic(lab, site, expect: 502)

                _ = try await expectServiceFinding(lab, status: "critical", layer: "startup", verdict: "working-directory-missing",
                                                   check: "working-directory-missing", severity: "critical",
                                                   location: try configLine(lab, "directory="))
                try await captureIfAsked(lab, "service-directory-missing")
            }
        }

        @Test("DJANGO_SETTINGS_MODULE=labsite.settingz: app-startup-crash stays the verdict, settings-module-missing names the line")
        func settingsModuleMissingCrash() async throws {
            try await withScenarioLab("svc-settingz", directory: scenarioDirectory("service-settings-module-crash")) { lab in
                try await lab.startSupervisord(programs: [
                    // startsecs=10: a slow failing boot on a loaded machine must still end FATAL.
                    lab.gunicornProgram(name: app, bind: bind, environment: ["DJANGO_SETTINGS_MODULE": "labsite.settingz"],
                                        startsecs: 10),
                ])
                try await expectFatal(lab)
                let line = try await lab.waitForLogLine(lab.programStderrLog(app), containingAll: ["No module named 'labsite.settingz'"])
                #expect(line != nil, "\(lab.tail(lab.programStderrLog(app)))")
                let site = try await startNginx(lab)
                try await traffic(lab, site, expect: 502)

                // A real traceback outranks the static finding for the same fault.
                let (run, report) = try await expectServiceFinding(lab, status: "critical", layer: "startup", verdict: "app-startup-crash",
                                                                   check: "settings-module-missing", severity: "critical",
                                                                   location: try configLine(lab, "environment="))
                #expect(report.finding("settings-module-missing")?.summary.contains("labsite/settingz.py") == true, "\(run)")
                try await captureIfAsked(lab, "service-settings-module-crash")
            }
        }

        // MARK: Latent faults (the service runs now)

        @Test("autorestart=false: warning, upstream, restart-policy-missing; a killed gunicorn then stays down")
        func autorestartFalse() async throws {
            try await withScenarioLab("svc-no-restart", directory: scenarioDirectory("service-autorestart-false")) { lab in
                var program = lab.gunicornProgram(name: app, bind: bind, workers: 1)
                program.autorestart = "false"
                try await lab.startSupervisord(programs: [program])
                try await lab.waitForProgramState(app, states: ["RUNNING"])
                try await lab.waitUntilHealthy(bind)
                let site = try await startNginx(lab)
                try await traffic(lab, site, expect: 200)

                _ = try await expectServiceFinding(lab, status: "warning", layer: "upstream", verdict: "restart-policy-missing",
                                                   check: "restart-policy-missing", severity: "warning",
                                                   location: try configLine(lab, "autorestart="))
                try await captureIfAsked(lab, "service-autorestart-false")

                // The proof: a crash (SIGKILL of the master and its worker, supervisord made it a
                // process group leader) is not restarted.
                let master = try #require(try await lab.programPID(app))
                kill(-master, SIGKILL)
                let exited = try await lab.waitForProgramState(app, states: ["EXITED"], timeout: .seconds(20))
                try await Task.sleep(for: .seconds(3))
                let still = try #require(try await lab.programStatus(app))
                #expect(exited.state == "EXITED" && still.state == "EXITED", "\(still)")
                #expect(try await lab.connectError(bind) == ECONNREFUSED)
            }
        }

        @Test("user= names an account that does not exist (config edited, not yet reread): warning, startup, service-user-unknown")
        func userUnknown() async throws {
            try await withScenarioLab("svc-user-unknown", directory: scenarioDirectory("service-user-unknown")) { lab in
                var program = lab.gunicornProgram(name: app, bind: bind, workers: 1)
                try await lab.startSupervisord(programs: [program])
                try await lab.waitForProgramState(app, states: ["RUNNING"])
                try await lab.waitUntilHealthy(bind)
                // Someone edits the program section; it runs on until the next reread or reboot.
                program.extraLines = ["user=gwdoctor-nosuchuser"]
                try lab.write(lab.supervisordConfig([program]), to: lab.supervisordConfigPath)
                let reread = try await lab.supervisorctl(["reread"])
                #expect((reread.stdout + reread.stderr).contains("Invalid user name gwdoctor-nosuchuser"), "\(reread)")
                let site = try await startNginx(lab)
                try await traffic(lab, site, expect: 200)

                _ = try await expectServiceFinding(lab, status: "warning", layer: "startup", verdict: "service-user-unknown",
                                                   check: "service-user-unknown", severity: "warning",
                                                   location: try configLine(lab, "user="))
                try await captureIfAsked(lab, "service-user-unknown")
            }
        }

        @Test("environment= edited to DJANGO_SETTINGS_MODULE=labsite.settingz, not applied yet: warning, startup, settings-module-missing; the update then crashes it")
        func settingsModuleMissingLatent() async throws {
            try await withScenarioLab("svc-settingz-latent", directory: scenarioDirectory("service-settings-module-latent")) { lab in
                var program = lab.gunicornProgram(name: app, bind: bind, workers: 1)
                try await lab.startSupervisord(programs: [program])
                try await lab.waitForProgramState(app, states: ["RUNNING"])
                try await lab.waitUntilHealthy(bind)
                program.environment["DJANGO_SETTINGS_MODULE"] = "labsite.settingz"
                try lab.write(lab.supervisordConfig([program]), to: lab.supervisordConfigPath)
                let site = try await startNginx(lab)
                try await traffic(lab, site, expect: 200)

                _ = try await expectServiceFinding(lab, status: "warning", layer: "startup", verdict: "settings-module-missing",
                                                   check: "settings-module-missing", severity: "warning",
                                                   location: try configLine(lab, "environment="))
                try await captureIfAsked(lab, "service-settings-module-latent")

                // The proof: applying the edit restarts the program, which cannot boot any more.
                let update = try await lab.supervisorctl(["update", app])
                #expect(update.exitCode == 0, "\(update)")
                try await expectFatal(lab)
                let line = try await lab.waitForLogLine(lab.programStderrLog(app), containingAll: ["No module named 'labsite.settingz'"])
                #expect(line != nil, "\(lab.tail(lab.programStderrLog(app)))")
            }
        }

        @Test("DJANGO_SECRET_KEY=\"\" in environment=: startup, secret-key-missing, no value printed")
        func secretKeyEmpty() async throws {
            try await withScenarioLab("svc-secret-empty", directory: scenarioDirectory("service-secret-key-empty")) { lab in
                try await lab.startSupervisord(programs: [
                    lab.gunicornProgram(name: app, bind: bind, workers: 1, environment: ["DJANGO_SECRET_KEY": ""]),
                ])
                #expect(lab.tail(lab.supervisordConfigPath, lines: 200).contains("DJANGO_SECRET_KEY=\"\""))
                // Django 5 checks an empty SECRET_KEY lazily: the boot may survive, requests that need it fail.
                let status = try await lab.waitForProgramState(app, states: ["RUNNING", "FATAL"], timeout: .seconds(60))
                let site = try await startNginx(lab)
                let results = try await lab.generateTraffic(site.listen, path: "/health/", count: 1)
                print("service scenario \(lab.name): \(status), through nginx \(results)")
                let running = status.state == "RUNNING"
                let location = try configLine(lab, "environment=")
                let (run, report) = try await expectServiceFinding(
                    lab, status: running ? "warning" : "critical", layer: "startup",
                    verdict: running ? "secret-key-missing" : "app-startup-crash",
                    check: "secret-key-missing", severity: running ? "warning" : "critical", location: location)
                let finding = report.finding("secret-key-missing")
                #expect(finding?.summary.contains("DJANGO_SECRET_KEY is set but empty") == true, "\(run)")
                #expect(!run.stdout.contains(Lab.djangoSecretKey))
                try await captureIfAsked(lab, "service-secret-key-empty")
            }
        }

        @Test("gunicorn binds unix:/run/gwdoctor-svc-rundir/app.sock in a hand-made directory: warning, startup, runtime-directory-missing")
        func runtimeDirectoryHandMade() async throws {
            let directory = "/run/gwdoctor-svc-rundir"
            try? FileManager.default.removeItem(atPath: directory)
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let socket = Bind.unix(path: "\(directory)/app.sock")
            try await withScenarioLab("svc-rundir", directory: scenarioDirectory("service-runtime-directory")) { lab in
                try await lab.startSupervisord(programs: [lab.gunicornProgram(name: app, bind: socket, workers: 1)])
                try await lab.waitForProgramState(app, states: ["RUNNING"])
                try await lab.waitUntilHealthy(socket)
                let site = try await startNginx(lab, upstream: socket)
                try await traffic(lab, site, expect: 200)

                let (run, report) = try await diagnoseReport(lab)
                expectVerdict(run, report, status: "warning", layer: "startup", check: "runtime-directory-missing")
                let finding = report.finding("runtime-directory-missing")
                #expect(finding?.severity == "warning", "\(run)")
                #expect(finding?.fix.contains { $0.contains("d \(directory) 0755") } == true, "\(run)")
                try await captureIfAsked(lab, "service-runtime-directory")
            }
        }
    }
}
