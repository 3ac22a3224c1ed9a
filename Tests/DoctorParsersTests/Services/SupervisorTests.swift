@testable import DoctorParsers
import Foundation
import Testing

/// supervisord 4.2.5 config and `supervisorctl status` output, recorded from a
/// throwaway supervisord run here (Fixtures/services/README.md).
@Suite("supervisord")
struct SupervisorTests {
    private let labFile = "/tmp/svrec/supervisord.conf"

    @Test func labConfigPrograms() throws {
        let config = SupervisorConfig.parse(try Fixtures.text("services/supervisor/lab-supervisord.conf"), file: labFile)
        #expect(config.programs.map(\.name) == ["app", "crasher", "slowcrash", "oneshot", "idle", "stopme", "starter", "worker"])
        #expect(config.includeGlobs == ["/tmp/svrec/conf.d/*.conf"])
        #expect(config.groups == ["web": ["worker"]])
        let app = try #require(config.programs.first)
        #expect(app.argv == ["/bin/sleep", "3600"])
        #expect(app.autorestart == "true")
        #expect(app.stdoutLogfile == .path("/tmp/svrec/logs/app.out.log"))
        #expect(app.stderrLogfile == .path("/tmp/svrec/logs/app.err.log"))
        #expect(app.location == "\(labFile):18")
        let crasher = config.programs[1]
        #expect(crasher.argv == ["/bin/sh", "-c", "echo 'boom' >&2; exit 3"])
        #expect(crasher.redirectStderr)
        #expect(crasher.stderrLogfile == .auto)
        let idle = config.programs[4]
        #expect(idle.autorestart == "unexpected" && idle.stdoutLogfile == .auto)
        let worker = config.programs[7]
        #expect(worker.numprocs == 2 && worker.processNames == ["worker_00", "worker_01"])
        #expect(worker.statusNames == ["web:worker_00", "web:worker_01"])
        #expect(app.statusNames == ["app"])
        #expect(config.programs.allSatisfy { $0.problems.isEmpty })
    }

    @Test func statusNamesMatchTheRecordedStatus() throws {
        var config = SupervisorConfig.parse(try Fixtures.text("services/supervisor/lab-supervisord.conf"), file: labFile)
        let extra = SupervisorConfig.parse(try Fixtures.text("services/supervisor/lab-extra.conf"), file: "/tmp/svrec/conf.d/extra.conf")
        config.programs += extra.programs
        let status = SupervisorStatus.parse(try Fixtures.text("services/supervisor/supervisorctl-status-t8.txt"))
        #expect(Set(config.programs.flatMap(\.statusNames)) == Set(status.map(\.name)))
    }

    @Test func environmentKeepsOnlyNames() throws {
        let extra = SupervisorConfig.parse(try Fixtures.text("services/supervisor/lab-extra.conf"), file: "/tmp/svrec/conf.d/extra.conf")
        let program = try #require(extra.programs.first)
        #expect(program.environmentNames == ["DJANGO_SETTINGS_MODULE", "SECRET_KEY"])
        #expect(!String(describing: program.environmentNames).contains("s3cr"))
    }

    @Test func debianMainConfig() throws {
        let config = SupervisorConfig.parse(try Fixtures.text("services/supervisor/debian-supervisord.conf"),
                                            file: "/etc/supervisor/supervisord.conf")
        #expect(config.programs.isEmpty)
        #expect(config.includeGlobs == ["/etc/supervisor/conf.d/*.conf"])
    }

    @Test func expansionsAndIniRules() {
        let text = """
        [program:web]
        command = %(ENV_VENV)s/bin/gunicorn  ; inline comment
            --bind unix:%(here)s/web.sock mysite.wsgi
        Directory: %(here)s/app
        stdout_logfile=NONE
        stderr_logfile=syslog
        process_name=%(program_name)s-%(process_num)d
        numprocs=1
        user=django#notacomment
        environment=A="1,2",B='x',C=%(ENV_MISSING)s

        [include]
        files = conf.d/*.conf %(here)s/extra/*.ini
        """
        let config = SupervisorConfig.parse(text, file: "/etc/supervisor/supervisord.conf", environment: ["VENV": "/srv/venv"])
        let web = config.programs[0]
        #expect(web.argv == ["/srv/venv/bin/gunicorn", "--bind", "unix:/etc/supervisor/web.sock", "mysite.wsgi"])
        #expect(web.directory == "/etc/supervisor/app")
        #expect(web.stdoutLogfile == SupervisorLogFile.none && web.stderrLogfile == .syslog)
        #expect(web.processNames == ["web-0"])
        #expect(web.statusNames == ["web:web-0"])
        #expect(web.user == "django#notacomment")
        #expect(web.environmentNames == ["A", "B", "C"])
        #expect(web.problems.count == 1 && web.problems[0].contains("ENV_MISSING"))
        #expect(config.includeGlobs == ["/etc/supervisor/conf.d/*.conf", "/etc/supervisor/extra/*.ini"])
    }

    @Test func autorestartValuesAsSupervisor() {
        func value(_ text: String) -> (String, Int) {
            let program = SupervisorConfig.parse("[program:x]\ncommand=a\nautorestart=\(text)", file: "/c").programs[0]
            return (program.autorestart, program.problems.count)
        }
        #expect(value("Yes") == ("true", 0))
        #expect(value("off") == ("false", 0))
        #expect(value("UNEXPECTED") == ("unexpected", 0))
        #expect(value("sometimes") == ("sometimes", 1))
    }

    @Test func pythonFormatting() {
        #expect(SupervisorConfig.expand("%(n)03d %% %(s)s %(n)5d|", ["n": "7", "s": "x"]).text == "007 % x     7|")
        #expect(SupervisorConfig.expand("100% %(", [:]).text == "100% %(")
    }

    @Test func shlexSplitting() {
        #expect(SupervisorShlex.split(#"a "b \" c" 'd \ e' f\ g "h\n""#) == ["a", "b \" c", "d \\ e", "f g", "h\\n"])
        #expect(SupervisorShlex.split("x 'unterminated") == nil)
        #expect(SupervisorShlex.split("trailing\\") == nil)
        #expect(SupervisorShlex.split("  ") == [])
    }

    @Test func recordedStatusEarly() throws {
        let status = SupervisorStatus.parse(try Fixtures.text("services/supervisor/supervisorctl-status-t1.txt"))
        #expect(status.count == 10)
        let crasher = try #require(status.first { $0.name == "crasher" })
        #expect(crasher.state == "BACKOFF" && crasher.description == "Exited too quickly (process log may have details)")
        #expect(status.first { $0.name == "idle" }?.description == "Not started")
        #expect(status.first { $0.name == "app" }?.state == "STARTING")
        #expect(status.first { $0.name == "app" }?.description == "")
    }

    @Test func recordedStatusLater() throws {
        let status = SupervisorStatus.parse(try Fixtures.text("services/supervisor/supervisorctl-status-t8.txt"))
        let byName = Dictionary(uniqueKeysWithValues: status.map { ($0.name, $0) })
        #expect(byName["app"]?.state == "RUNNING" && byName["app"]?.pid == 13864 && byName["app"]?.uptime == 9)
        #expect(byName["crasher"]?.state == "FATAL")
        #expect(byName["slowcrash"]?.state == "BACKOFF")
        #expect(byName["oneshot"]?.state == "EXITED" && byName["oneshot"]?.description == "Nov 21 09:16 AM")
        #expect(byName["stopme"]?.state == "STOPPED")
        #expect(byName["starter"]?.state == "STARTING")
        let worker = try #require(byName["web:worker_01"])
        #expect(worker.group == "web" && worker.process == "worker_01" && worker.pid == 13874)
    }

    @Test func recordedFailures() throws {
        let nosuch = try Fixtures.text("services/supervisor/supervisorctl-status-nosuch.txt")
        #expect(SupervisorStatus.parse(nosuch).isEmpty)
        #expect(SupervisorStatus.unknownNames(nosuch) == ["nosuch"])
        #expect(SupervisorStatus.failure(nosuch) == nil)
        let down = try Fixtures.text("services/supervisor/supervisorctl-status-down.txt")
        #expect(SupervisorStatus.failure(down)?.contains("SHUTDOWN_STATE") == true)
        let noServer = try Fixtures.text("services/supervisor/supervisorctl-status-noserver.txt")
        #expect(SupervisorStatus.failure(noServer) == "unix:///tmp/svrec/supervisor.sock no such file")
        #expect(SupervisorStatus.failure(try Fixtures.text("services/supervisor/supervisorctl-status-t8.txt")) == nil)
    }

    @Test func uptimeWithDays() {
        let status = SupervisorStatus.parse("app                              RUNNING   pid 7, uptime 2 days, 3:04:05\n")
        #expect(status.first?.uptime == ((2 * 24 + 3) * 60 + 4) * 60 + 5)
        #expect(SupervisorStatus.parse("app RUNNING   pid 7, uptime 1 day, 0:00:01")[0].uptime == 86_401)
    }

    @Test func hostileInput() {
        var random: UInt64 = 3
        let bytes = (0..<100_000).map { _ -> UInt8 in
            random = random &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: random >> 56)
        }
        let garbage = String(decoding: bytes, as: UTF8.self)
        _ = SupervisorConfig.parse("[program:x]\ncommand=" + garbage, file: "/g")
        #expect(SupervisorStatus.parse(garbage).count <= 1)
        let expansions = "[program:x]\ncommand=" + String(repeating: "%(", count: 200_000)
        #expect(SupervisorConfig.parse(expansions, file: "/e").programs.count == 1)
        let many = SupervisorConfig.parse("[program:x]\ncommand=a\nnumprocs=999999999\nprocess_name=%(process_num)s", file: "/n")
        #expect(many.programs[0].processNames.count == 10_000)
        #expect(SupervisorConfig.parse("[program:x]\ncommand=\"unterminated", file: "/u").programs[0].argv == nil)
        let sections = (0..<100_000).map { "[program:p\($0)]\ncommand=/bin/true\n" }.joined()
        #expect(SupervisorConfig.parse(sections, file: "/s").programs.count == 100_000)
    }

    @Test func repeatedSectionMergesIntoTheFirst() {
        let config = SupervisorConfig.parse("[program:a]\ncommand=/bin/a\n[program:b]\ncommand=/bin/b\n[program:a]\nuser=www-data\n",
                                            file: "/c")
        #expect(config.programs.map(\.name) == ["a", "b"])
        #expect(config.programs[0].user == "www-data" && config.programs[0].argv == ["/bin/a"])
    }
}
