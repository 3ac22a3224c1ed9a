import DoctorFacts
import DoctorHost
import DoctorLab
import Foundation
import Testing

/// A real gunicorn 27 started with a relative `-c gunicorn.conf.py` from its project
/// directory (as `cd /srv/site && gunicorn -c gunicorn.conf.py …` does), and gwdoctor run
/// from somewhere else that holds another `gunicorn.conf.py`: the binds and limits must
/// come from the project's file — the one gunicorn resolved against its own start
/// directory — never from gwdoctor's working directory.
extension LabTests {
    @Suite("Relative app-server config scenarios")
    struct AppConfigDirectoryScenario {
        private let bind = Bind.tcp(8000)

        /// `project/gunicorn.conf.py` (bind 127.0.0.1:8000, timeout 47) and a decoy
        /// `elsewhere/gunicorn.conf.py` (bind 127.0.0.1:9999, timeout 11).
        private func writeConfigs(_ lab: Lab) throws -> (project: String, elsewhere: String) {
            let project = "\(lab.directory)/project", elsewhere = "\(lab.directory)/elsewhere"
            for directory in [project, elsewhere] {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            }
            try Data("""
                bind = "127.0.0.1:8000"
                workers = 2
                timeout = 47
                pythonpath = "\(lab.labsite)"
                errorlog = "\(lab.logsDirectory)/gunicorn.log"

                """.utf8).write(to: URL(fileURLWithPath: "\(project)/gunicorn.conf.py"))
            try Data("bind = \"127.0.0.1:9999\"\ntimeout = 11\n".utf8).write(to: URL(fileURLWithPath: "\(elsewhere)/gunicorn.conf.py"))
            return (project, elsewhere)
        }

        @Test("gunicorn -c gunicorn.conf.py from its project directory: binds and timeout from that file; gwdoctor from another directory says ok")
        func relativeConfigIsReadFromTheServersStartDirectory() async throws {
            try await withScenarioLab("appconfig-relative") { lab in
                let (project, elsewhere) = try writeConfigs(lab)
                let gunicorn = try lab.startProcess(name: "gunicorn",
                                                    ["\(lab.venv)/bin/gunicorn", "-c", "gunicorn.conf.py", "--no-control-socket",
                                                     "labsite.wsgi:application"],
                                                    workingDirectory: project, logPath: "\(lab.logsDirectory)/gunicorn.log")
                try await lab.waitUntilHealthy(bind, process: gunicorn)
                let site = NginxSite(upstream: bind)
                _ = try lab.writeNginxConfig(site)
                try await lab.startNginx()
                for result in try await lab.generateTraffic(site.listen, path: "/health/", count: 3) {
                    #expect(result.status == 200, "\(result)\n\(lab.logs())")
                }

                // The CLI, started in the directory with the decoy file.
                let run = try await lab.runDoctor(["diagnose", "--nginx-conf", lab.nginxConfigPath, "--format", "json"],
                                                  workingDirectory: elsewhere)
                let report = try #require(try? run.decode(ReportJSON.self), "\(run)")
                expectVerdict(run, report, status: "ok", layer: "none", check: nil)

                // The facts: the master's binds and timeout are the project file's lines.
                let facts = await FactGatherer(host: LiveHost(), options: GatherOptions(nginxConfig: lab.nginxConfigPath, probe: false,
                                                                                        sinceSeconds: 300)).gather()
                let server = try #require(facts.appServers.first { $0.workingDirectory == project },
                                          "\(facts.appServers.map { ($0.label, $0.workingDirectory ?? "?") })")
                #expect(server.binds.map(\.source) == ["\(project)/gunicorn.conf.py:1"], "\(server.binds)")
                #expect(server.endpoints == [.tcp(host: "127.0.0.1", port: 8000)], "not the decoy's 9999: \(server.binds)")
                #expect(server.timeoutSeconds == 47)
                #expect(server.limits.timeout?.source == "\(project)/gunicorn.conf.py:3")
            }
        }

        @Test("gunicorn --chdir DIR -c gunicorn.conf.py with no service: the file is unknown, not guessed")
        func chdirHidesTheStartDirectoryOfABareServer() async throws {
            try await withScenarioLab("appconfig-hidden") { lab in
                let (project, _) = try writeConfigs(lab)
                // --chdir moves /proc/PID/cwd to the labsite after gunicorn has read -c from the project.
                let gunicorn = try lab.startProcess(name: "gunicorn",
                                                    ["\(lab.venv)/bin/gunicorn", "--chdir", lab.labsite, "-c", "gunicorn.conf.py",
                                                     "--no-control-socket", "labsite.wsgi:application"],
                                                    workingDirectory: project, logPath: "\(lab.logsDirectory)/gunicorn.log")
                try await lab.waitUntilHealthy(bind, process: gunicorn)
                // nginx in the lab's namespace: the app servers diagnosed are the ones it reaches.
                _ = try lab.writeNginxConfig(NginxSite(upstream: bind))
                try await lab.startNginx()
                let facts = await FactGatherer(host: LiveHost(), options: GatherOptions(nginxConfig: lab.nginxConfigPath, probe: false,
                                                                                        sinceSeconds: 300)).gather()
                let server = try #require(facts.appServers.first { $0.workingDirectory == lab.labsite && $0.cmdline.contains("gunicorn.conf.py") },
                                          "\(facts.appServers.map { ($0.label, $0.workingDirectory ?? "?") })")
                #expect(server.binds.contains { $0.raw == "unknown (relative path gunicorn.conf.py, start directory unknown)" }, "\(server.binds)")
                #expect(!server.binds.contains { $0.source.hasSuffix("gunicorn.conf.py:1") }, "no file was guessed: \(server.binds)")
                #expect(server.timeoutSeconds == nil, "the 47 is in a file gwdoctor could not place")
            }
        }
        @Test("supervisord directory=PROJECT runs gunicorn --chdir LABSITE -c gunicorn.conf.py: the program's directory locates the file")
        func supervisorDirectoryLocatesAConfigTheChdirHides() async throws {
            try await withScenarioLab("appconfig-supervised") { lab in
                let (project, elsewhere) = try writeConfigs(lab)
                var program = lab.gunicornProgram(name: "app", bind: bind)
                // gunicorn reads -c in supervisord's directory=, then moves to --chdir: /proc/PID/cwd is the labsite.
                program.command = ["\(lab.venv)/bin/gunicorn", "--chdir", lab.labsite, "-c", "gunicorn.conf.py", "--no-control-socket",
                                   "labsite.wsgi:application"]
                program.directory = project
                try await lab.startSupervisord(programs: [program])
                let status = try await lab.waitForProgramState("app", states: ["RUNNING"])
                #expect(status.state == "RUNNING", "\(status)")
                try await lab.waitUntilHealthy(bind)
                _ = try lab.writeNginxConfig(NginxSite(upstream: bind))
                try await lab.startNginx()

                let run = try await lab.runDoctor(["diagnose", "--nginx-conf", lab.nginxConfigPath, "--format", "json"],
                                                  workingDirectory: elsewhere)
                let report = try #require(try? run.decode(ReportJSON.self), "\(run)")
                expectVerdict(run, report, status: "ok", layer: "none", check: nil)

                let facts = await FactGatherer(host: LiveHost(), options: GatherOptions(nginxConfig: lab.nginxConfigPath, probe: false,
                                                                                        sinceSeconds: 300)).gather()
                let server = try #require(facts.appServers.first { $0.workingDirectory == lab.labsite && $0.cmdline.contains("gunicorn.conf.py") },
                                          "\(facts.appServers.map { ($0.label, $0.workingDirectory ?? "?") })")
                #expect(server.binds.map(\.source) == ["\(project)/gunicorn.conf.py:1"], "\(server.binds)")
                #expect(server.timeoutSeconds == 47)
                // The program's log files: the errorlog the same file names, read once for both gatherers.
                let service = try #require(facts.services.first { $0.manager == "supervisor" && $0.name == "app" })
                #expect(service.logFiles.contains("\(lab.logsDirectory)/gunicorn.log"), "\(service.logFiles)")
            }
        }
    }
}
