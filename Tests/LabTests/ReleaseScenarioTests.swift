import DoctorLab
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Release scenarios: a Capistrano-style tree in the lab (`LABDIR/app/releases/<id>`, each a
/// copy of Lab/labsite; `current` → a release; `shared/venv` → the lab venv), Gunicorn under
/// a real supervisord started from `current` (`directory=` and `--chdir`), nginx in front.
/// Each test proves its fault (the link on disk, supervisorctl's state, nginx's answer, the
/// program log line, /proc/PID/cwd) before asserting the verdict.
extension LabTests {
    @Suite("Release scenarios")
    struct ReleaseScenario {
        private let app = "app"
        private let bind = Bind.tcp(8000)

        private func startNginx(_ lab: Lab, upstream: Bind) async throws -> NginxSite {
            let site = NginxSite(upstream: upstream)
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

        /// supervisord running gunicorn from `current`, RUNNING and healthy on `bind`.
        private func startSupervisedApp(_ lab: Lab, _ tree: LabReleaseTree, bind: Bind, startsecs: Int = 2) async throws -> pid_t {
            try await lab.startSupervisord(programs: [lab.releaseGunicornProgram(tree, name: app, bind: bind, startsecs: startsecs)])
            let status = try await lab.waitForProgramState(app, states: ["RUNNING"])
            #expect(status.state == "RUNNING", "\(status)\n\(lab.tail(lab.programStderrLog(app)))")
            try await lab.waitUntilHealthy(bind)
            return try #require(try await lab.programPID(app), "supervisorctl pid \(app)")
        }

        /// The kernel's view of where the gunicorn master runs.
        private func cwd(_ pid: pid_t) -> String? {
            try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd")
        }

        private func findingIDs(_ report: ReportJSON) -> [String] { report.findings.map(\.check) }

        // MARK: Healthy

        @Test("healthy release tree (current → releases/1, relative link): ok, layer none")
        func healthyRelease() async throws {
            try await withScenarioLab("rel-healthy", directory: scenarioDirectory("release-healthy")) { lab in
                let tree = try lab.makeReleaseTree([LabRelease(id: "1")], current: "1")
                #expect(try FileManager.default.destinationOfSymbolicLink(atPath: tree.currentLink) == "releases/1")
                let master = try await startSupervisedApp(lab, tree, bind: bind)
                #expect(cwd(master) == tree.release("1"), "gunicorn cwd \(cwd(master) ?? "?")")
                let site = try await startNginx(lab, upstream: bind)
                try await traffic(lab, site, expect: 200)

                let (run, report) = try await diagnoseReport(lab)
                expectVerdict(run, report, status: "ok", layer: "none", check: nil)
                #expect(!findingIDs(report).contains { $0.hasPrefix("release-") }, "\(run)")
                try await captureIfAsked(lab, "release-healthy")
            }
        }

        // MARK: Partial release

        @Test("current switched to a release without labsite/wsgi.py, app restarted: critical, release, release-partial")
        func partialRelease() async throws {
            try await withScenarioLab("rel-partial", directory: scenarioDirectory("release-partial")) { lab in
                let tree = try lab.makeReleaseTree([LabRelease(id: "1"), LabRelease(id: "2", missing: ["labsite/wsgi.py"])],
                                                   current: "1")
                // startsecs=10: the restart must end FATAL; a slow failing boot on a loaded
                // machine outlives startsecs=2 and is restarted forever.
                _ = try await startSupervisedApp(lab, tree, bind: bind, startsecs: 10)
                let site = try await startNginx(lab, upstream: bind)
                try await traffic(lab, site, expect: 200)

                // The deploy: switch current to the partial release 2, restart the app.
                try lab.switchCurrent(tree, to: "2")
                #expect(!FileManager.default.fileExists(atPath: tree.release("2") + "/labsite/wsgi.py"))
                _ = try await lab.supervisorctl(["restart", app], timeout: .seconds(60))
                let status = try await lab.waitForProgramState(app, states: ["FATAL"], timeout: .seconds(60))
                #expect(status.state == "FATAL", "\(status)")
                let line = try await lab.waitForLogLine(lab.programStderrLog(app),
                                                        containingAll: ["ModuleNotFoundError", "labsite.wsgi"])
                #expect(line != nil, "\(lab.tail(lab.programStderrLog(app), lines: 60))")
                try await traffic(lab, site, expect: 502)

                let (run, report) = try await diagnoseReport(lab)
                expectVerdict(run, report, status: "critical", layer: "release", check: "release-partial")
                #expect(report.verdict.summary.contains("labsite/wsgi.py"), "the summary names what is missing:\n\(run)")
                #expect(report.allFixText.contains("ln -sfn releases/1 current.tmp && mv -T current.tmp current"), "\(run)")
                // The boot crash is still reported; the release explains it.
                #expect(findingIDs(report).contains("app-startup-crash"), "\(run)")
                try await captureIfAsked(lab, "release-partial")
            }
        }

        // MARK: Deployed but not restarted

        @Test("current switched to complete release 2 while gunicorn still runs from 1: warning, release, release-not-restarted")
        func notRestarted() async throws {
            try await withScenarioLab("rel-not-restarted", directory: scenarioDirectory("release-not-restarted")) { lab in
                let tree = try lab.makeReleaseTree([LabRelease(id: "1"), LabRelease(id: "2")], current: "1", absolute: true)
                let master = try await startSupervisedApp(lab, tree, bind: bind)
                try lab.switchCurrent(tree, to: "2", absolute: true)
                #expect(try FileManager.default.destinationOfSymbolicLink(atPath: tree.currentLink) == tree.release("2"))
                #expect(cwd(master) == tree.release("1"), "gunicorn still runs in release 1: cwd \(cwd(master) ?? "?")")
                let site = try await startNginx(lab, upstream: bind)
                try await traffic(lab, site, expect: 200)

                let (run, report) = try await diagnoseReport(lab)
                expectVerdict(run, report, status: "warning", layer: "release", check: "release-not-restarted")
                #expect(report.verdictEvidenceText.contains("/proc/\(master)/cwd"), "\(run)")
                #expect(report.allFixText.contains("supervisorctl restart \(app)"), "\(run)")
                try await captureIfAsked(lab, "release-not-restarted")
            }
        }

        // MARK: Dangling current

        @Test("current → a release deleted by cleanup, app restarted: critical, release, release-current-dangling")
        func danglingCurrent() async throws {
            try await withScenarioLab("rel-dangling", directory: scenarioDirectory("release-current-dangling")) { lab in
                let tree = try lab.makeReleaseTree([LabRelease(id: "1")], current: "1")
                _ = try await startSupervisedApp(lab, tree, bind: bind)
                let site = try await startNginx(lab, upstream: bind)
                try lab.switchCurrent(tree, to: "3")
                #expect(!FileManager.default.fileExists(atPath: tree.currentLink), "current must dangle")
                // The command itself lies under current: supervisord refuses to spawn it
                // (`ERROR (no such file)`) and the program stays STOPPED.
                let restart = try await lab.supervisorctl(["restart", app], timeout: .seconds(60))
                #expect((restart.stdout + restart.stderr).contains("no such file"), "\(restart)")
                let status = try await lab.waitForProgramState(app, states: ["STOPPED", "FATAL"], timeout: .seconds(60))
                #expect(status.state == "STOPPED" || status.state == "FATAL", "\(status)")
                #expect(try await lab.connectError(bind) == ECONNREFUSED, "nothing may listen on \(bind)")
                try await traffic(lab, site, expect: 502)

                let (run, report) = try await diagnoseReport(lab)
                expectVerdict(run, report, status: "critical", layer: "release", check: "release-current-dangling")
                #expect(report.verdict.summary.contains("releases/3"), "\(run)")
                #expect(report.allFixText.contains("ln -sfn releases/1 current.tmp"), "\(run)")
                try await captureIfAsked(lab, "release-current-dangling")
            }
        }

        // MARK: Requirements newer than the venv

        @Test("requirements.txt of the current release newer than the venv: warning, release, release-venv-stale")
        func venvStale() async throws {
            try await withScenarioLab("rel-venv-stale", directory: scenarioDirectory("release-venv-stale")) { lab in
                let tree = try lab.makeReleaseTree([LabRelease(id: "1"), LabRelease(id: "2", freshRequirements: true)], current: "2")
                let requirements = try FileManager.default.attributesOfItem(atPath: tree.release("2") + "/requirements.txt")
                let venvConfig = try FileManager.default.attributesOfItem(atPath: lab.venv + "/pyvenv.cfg")
                let (a, b) = (requirements[.modificationDate] as? Date, venvConfig[.modificationDate] as? Date)
                #expect(a != nil && b != nil && a! > b!, "requirements.txt must be newer than the venv")
                _ = try await startSupervisedApp(lab, tree, bind: bind)
                let site = try await startNginx(lab, upstream: bind)
                try await traffic(lab, site, expect: 200)

                let (run, report) = try await diagnoseReport(lab)
                expectVerdict(run, report, status: "warning", layer: "release", check: "release-venv-stale")
                #expect(report.verdictEvidenceText.contains(tree.release("2") + "/requirements.txt"), "\(run)")
                #expect(report.allFixText.contains("/bin/pip install -r"), "\(run)")
                try await captureIfAsked(lab, "release-venv-stale")
            }
        }

        // MARK: Socket in an old release

        @Test("gunicorn from release 1 binds current/run/app.sock, current switched to 2: critical, release, release-socket-stale")
        func socketInOldRelease() async throws {
            try await withScenarioLab("rel-socket", directory: scenarioDirectory("release-socket-stale")) { lab in
                let tree = try lab.makeReleaseTree([LabRelease(id: "1"), LabRelease(id: "2")], current: "1")
                let socket = Bind.unix(path: tree.currentLink + "/run/app.sock")
                let master = try await startSupervisedApp(lab, tree, bind: socket)
                #expect(lab.isSocketFile(tree.release("1") + "/run/app.sock"))
                let site = try await startNginx(lab, upstream: socket)
                try await traffic(lab, site, expect: 200)

                try lab.switchCurrent(tree, to: "2")
                #expect(!lab.isSocketFile(tree.currentLink + "/run/app.sock"), "the path through current must lead to nothing")
                #expect(cwd(master) == tree.release("1"))
                try await traffic(lab, site, expect: 502)
                let line = try await lab.waitForErrorLog(containingAll: ["(2: No such file or directory)", "app.sock"])
                #expect(line != nil, "\(lab.logs())")

                let (run, report) = try await diagnoseReport(lab)
                expectVerdict(run, report, status: "critical", layer: "release", check: "release-socket-stale")
                #expect(report.verdict.summary.contains("release 1"), "\(run)")
                #expect(findingIDs(report).contains("release-not-restarted"), "\(run)")
                try await captureIfAsked(lab, "release-socket-stale")
            }
        }
    }
}
