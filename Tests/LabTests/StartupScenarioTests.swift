import DoctorLab
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Startup scenarios: nginx → Gunicorn (TCP 127.0.0.1:8000) run by a real supervisord in
/// the lab, ONE fault that keeps the app from booting, three requests through nginx, then
/// `gwdoctor diagnose` and its verdict.
///
/// Each test first proves the fault: supervisorctl's state for the program, nginx's 502,
/// and the line of the program's own log (its stderr_logfile) that names the cause.
extension LabTests {
    @Suite("Startup scenarios")
    struct StartupScenario {
        private let app = "app"
        private let bind = Bind.tcp(8000)

        /// nginx on 127.0.0.1:8080 in front of `bind`.
        private func startNginx(_ lab: Lab) async throws -> NginxSite {
            let site = NginxSite(upstream: bind)
            try lab.writeNginxConfig(site)
            try await lab.startNginx()
            return site
        }

        /// Three requests through nginx, each expected to get `status`.
        private func traffic(_ lab: Lab, _ site: NginxSite, expect status: Int,
                             sourceLocation: SourceLocation = #_sourceLocation) async throws {
            let results = try await lab.generateTraffic(site.listen, path: "/health/", count: 3)
            for result in results {
                #expect(result.status == status, "through nginx: expected \(status), got \(result)\n\(lab.logs())",
                        sourceLocation: sourceLocation)
            }
        }

        /// The program's stderr log must hold a line with every one of `needles`.
        private func expectProgramLog(_ lab: Lab, _ needles: [String],
                                      sourceLocation: SourceLocation = #_sourceLocation) async throws {
            let path = lab.programStderrLog(app)
            let line = try await lab.waitForLogLine(path, containingAll: needles)
            #expect(line != nil, "no line with \(needles) in \(path):\n\(lab.tail(path, lines: 60))", sourceLocation: sourceLocation)
        }

        /// The `cause` of the app-startup-crash finding, read from the raw JSON (the field
        /// is new; `ReportJSON` does not decode it).
        private func startupCause(_ run: DoctorRun) -> String? {
            guard let json = try? run.json(), let findings = json["findings"] as? [[String: Any]] else { return nil }
            return findings.first { $0["check"] as? String == "app-startup-crash" }?["cause"] as? String
        }

        /// critical, startup, app-startup-crash, and a finding whose `cause` is one of `causes`.
        private func expectStartupCrash(_ lab: Lab, causes: Set<String>, sourceLocation: SourceLocation = #_sourceLocation) async throws {
            let (run, report) = try await diagnoseReport(lab, sourceLocation: sourceLocation)
            expectVerdict(run, report, status: "critical", layer: "startup", check: "app-startup-crash",
                          sourceLocation: sourceLocation)
            let finding = report.finding("app-startup-crash")
            #expect(finding?.layer == "startup", "\(run)", sourceLocation: sourceLocation)
            let cause = startupCause(run)
            #expect(cause.map(causes.contains) == true,
                    "cause: expected one of \(causes.sorted()), got \(cause ?? "none")\n\(run)", sourceLocation: sourceLocation)
            if let cause { print("startup scenario \(lab.name): cause \(cause)") }
        }

        /// Gunicorn under supervisord that cannot boot: wait until supervisor gives up
        /// (FATAL after startretries), and prove supervisord's own log says so.
        private func expectGaveUp(_ lab: Lab, sourceLocation: SourceLocation = #_sourceLocation) async throws {
            let status = try await lab.waitForProgramState(app, states: ["FATAL"], timeout: .seconds(60))
            #expect(status.state == "FATAL", "\(status)", sourceLocation: sourceLocation)
            let gaveUp = try await lab.waitForLogLine(lab.supervisordLog, containingAll: ["gave up: \(app) entered FATAL state"])
            #expect(gaveUp != nil, "supervisord.log:\n\(lab.tail(lab.supervisordLog))", sourceLocation: sourceLocation)
            #expect(try await lab.connectError(bind) == ECONNREFUSED, "nothing may listen on \(bind) once \(app) is FATAL",
                    sourceLocation: sourceLocation)
        }

        // MARK: Healthy

        @Test("healthy nginx → gunicorn under supervisord: ok, layer none; teardown stops supervisord and its programs")
        func healthySupervised() async throws {
            nonisolated(unsafe) var config = ""
            try await withScenarioLab("start-healthy", directory: scenarioDirectory("startup-healthy-supervised")) { lab in
                config = lab.supervisordConfigPath
                let supervisord = try await lab.startSupervisord(programs: [lab.gunicornProgram(name: app, bind: bind)])
                let status = try await lab.waitForProgramState(app, states: ["RUNNING"])
                #expect(status.detail.contains("pid "), "\(status)")
                try await lab.waitUntilHealthy(bind)
                let text = lab.tail(config, lines: 200)
                #expect(text.contains("serverurl=unix://\(lab.supervisorSocketPath)"), "\(text)")
                #expect(text.contains("stderr_logfile=\(lab.programStderrLog(app))"), "\(text)")
                #expect(text.contains("DJANGO_SECRET_KEY=\""), "\(text)")

                // supervisord, the gunicorn master and its workers all live in the lab's namespace.
                let master = try #require(try await lab.programPID(app), "supervisorctl pid \(app)")
                let inNamespace = Set(lab.pidsInNamespace())
                #expect(inNamespace.contains(supervisord.pid), "supervisord \(supervisord.pid) not in \(inNamespace.sorted())")
                #expect(processTree(master).allSatisfy { inNamespace.contains(pid_t($0)) }, "gunicorn \(master) not in the namespace")
                #expect(processTree(master).count == 3, "a master and two workers: \(processTree(master).sorted())")

                let site = try await startNginx(lab)
                try await traffic(lab, site, expect: 200)

                let (run, report) = try await diagnoseReport(lab)
                expectVerdict(run, report, status: "ok", layer: "none", check: nil)
                #expect(!report.findings.contains { $0.severity == "critical" }, "\(run)")
                try await captureIfAsked(lab, "startup-healthy-supervised")
            }
            // pgrep's view: no supervisord (nor any program of it) with the lab's config is left.
            let left = try await Lab.runCommand(["pgrep", "-f", "-a", config], timeout: .seconds(10))
            #expect(left.exitCode == 1, "left after teardown:\n\(left.stdout)")
        }

        @Test("stopSupervisord stops supervisord and gunicorn with it")
        func stopSupervisord() async throws {
            try await withScenarioLab("start-stop") { lab in
                try await lab.startSupervisord(programs: [lab.gunicornProgram(name: app, bind: bind, workers: 1)])
                try await lab.waitForProgramState(app, states: ["RUNNING"])
                try await lab.waitUntilHealthy(bind)
                let master = try #require(try await lab.programPID(app))
                try await lab.stopSupervisord()
                #expect(!isAliveNotZombie(master), "gunicorn \(master) outlived supervisord")
                // Only the namespace holder (and its `cat`) may remain.
                let left = Set(lab.pidsInNamespace().map(Int.init)).subtracting(processTree(lab.holderPID))
                #expect(left.isEmpty, "left in the namespace: \(left.sorted())")
            }
        }

        // MARK: Boot crashes

        /// `startsecs=` for programs that must end FATAL: a failing boot that outlives
        /// startsecs counts as started and is restarted forever. Under a second when idle,
        /// over supervisord's usual 2 s on a loaded CI machine.
        private static let failingStartsecs = 10

        @Test("DJANGO_SECRET_KEY missing from the program's environment: critical, startup, app-startup-crash")
        func missingSecretKey() async throws {
            try await withScenarioLab("start-no-secret", directory: scenarioDirectory("startup-missing-secret-key")) { lab in
                try await lab.startSupervisord(programs: [
                    lab.gunicornProgram(name: app, bind: bind, environment: ["DJANGO_SECRET_KEY": nil], startsecs: Self.failingStartsecs),
                ])
                #expect(!lab.tail(lab.supervisordConfigPath, lines: 200).contains("DJANGO_SECRET_KEY"))
                try await expectGaveUp(lab)
                try await expectProgramLog(lab, ["KeyError: 'DJANGO_SECRET_KEY'"])
                let site = try await startNginx(lab)
                try await traffic(lab, site, expect: 502)

                try await expectStartupCrash(lab, causes: ["missing-env-var", "missing-secret-key"])
                try await captureIfAsked(lab, "startup-missing-secret-key")
            }
        }

        @Test("DJANGO_SETTINGS_MODULE=labsite.settingz: critical, startup, app-startup-crash (bad-settings-module)")
        func badSettingsModule() async throws {
            try await withScenarioLab("start-bad-settings", directory: scenarioDirectory("startup-bad-settings-module")) { lab in
                try await lab.startSupervisord(programs: [
                    lab.gunicornProgram(name: app, bind: bind, environment: ["DJANGO_SETTINGS_MODULE": "labsite.settingz"],
                                        startsecs: Self.failingStartsecs),
                ])
                try await expectGaveUp(lab)
                try await expectProgramLog(lab, ["ModuleNotFoundError: No module named 'labsite.settingz'"])
                let site = try await startNginx(lab)
                try await traffic(lab, site, expect: 502)

                try await expectStartupCrash(lab, causes: ["bad-settings-module"])
                try await captureIfAsked(lab, "startup-bad-settings-module")
            }
        }

        @Test("gunicorn labsite.wsgi:app (no such attribute): critical, startup, app-startup-crash (missing-attribute)")
        func missingAttribute() async throws {
            try await withScenarioLab("start-no-attr", directory: scenarioDirectory("startup-missing-attribute")) { lab in
                try await lab.startSupervisord(programs: [lab.gunicornProgram(name: app, bind: bind, app: "labsite.wsgi:app",
                                                                           startsecs: Self.failingStartsecs)])
                try await expectGaveUp(lab)
                try await expectProgramLog(lab, ["Failed to find attribute 'app' in 'labsite.wsgi'."])
                let site = try await startNginx(lab)
                try await traffic(lab, site, expect: 502)

                try await expectStartupCrash(lab, causes: ["missing-attribute"])
                try await captureIfAsked(lab, "startup-missing-attribute")
            }
        }

        @Test("127.0.0.1:8000 already taken by another process: critical, startup, app-startup-crash (port-in-use)")
        func portInUse() async throws {
            try await withScenarioLab("start-port-in-use", directory: scenarioDirectory("startup-port-in-use")) { lab in
                try await lab.startPortSquatter(bind: bind)
                try await lab.startSupervisord(programs: [lab.gunicornProgram(name: app, bind: bind)])
                // Gunicorn retries the bind for about 5 s, then exits 1; with startsecs=2
                // supervisord saw it RUNNING, so it restarts it: EXITED, never FATAL.
                try await expectProgramLog(lab, ["Connection in use: ('127.0.0.1', 8000)"])
                try await expectProgramLog(lab, ["Can't connect to ('127.0.0.1', 8000)"])
                let exited = try await lab.waitForLogLine(lab.supervisordLog, containingAll: ["exited: \(app) (exit status 1; not expected)"],
                                                          timeout: .seconds(20))
                #expect(exited != nil, "supervisord.log:\n\(lab.tail(lab.supervisordLog))")
                let status = try #require(try await lab.programStatus(app))
                print("startup scenario \(lab.name): supervisorctl status \(status)")
                let site = try await startNginx(lab)
                try await traffic(lab, site, expect: 502)
                let closed = try await lab.waitForErrorLog(containingAll: ["upstream prematurely closed connection", "127.0.0.1:8000"])
                #expect(closed != nil, "error.log:\n\(lab.tail(lab.nginxErrorLog))")

                try await expectStartupCrash(lab, causes: ["port-in-use"])
                try await captureIfAsked(lab, "startup-port-in-use")
            }
        }
    }
}
