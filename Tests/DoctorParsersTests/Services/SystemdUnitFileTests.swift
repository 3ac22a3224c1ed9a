@testable import DoctorParsers
import Foundation
import Testing

/// Unit files: the real ones of Debian packages installed here, and a gunicorn unit with
/// drop-ins written for these tests (Fixtures/services/README.md).
@Suite("systemd unit files")
struct SystemdUnitFileTests {
    private func unit(_ name: String, as path: String) throws -> SystemdUnit {
        SystemdUnitFile.parse(try Fixtures.text("services/systemd/\(name)"), file: path)
    }

    @Test func debianNginxUnit() throws {
        let unit = try unit("nginx.service", as: "/lib/systemd/system/nginx.service")
        #expect(unit.sections == ["Unit", "Service", "Install"])
        #expect(unit.type == "forking")
        #expect(unit.restart == nil)
        #expect(unit.warnings.isEmpty)
        let start = try #require(unit.execStart.first)
        #expect(unit.execStart.count == 1)
        #expect(start.path == "/usr/sbin/nginx")
        #expect(start.argv == ["/usr/sbin/nginx", "-g", "daemon on; master_process on;"])
        #expect(start.location == "/lib/systemd/system/nginx.service:23")
        let stop = try #require(unit.execCommands("ExecStop").commands.first)
        #expect(stop.ignoresFailure)
        #expect(stop.path == "/sbin/start-stop-daemon")
        #expect(unit.value("Service", "PIDFile")?.value == "/run/nginx.pid")
        #expect(unit.values("Unit", "After").first?.value == "network-online.target remote-fs.target nss-lookup.target")
    }

    @Test func debianSupervisorAndUWSGIUnits() throws {
        let supervisor = try unit("supervisor.service", as: "/lib/systemd/system/supervisor.service")
        #expect(supervisor.restart == "on-failure")
        #expect(supervisor.execStart.first?.argv == ["/usr/bin/supervisord", "-n", "-c", "/etc/supervisor/supervisord.conf"])
        #expect(supervisor.execCommands("ExecStop").commands.first?.argv == ["/usr/bin/supervisorctl", "$OPTIONS", "shutdown"])
        let uwsgi = try unit("uwsgi-app@.service", as: "/lib/systemd/system/uwsgi-app@.service")
        #expect(uwsgi.user == "www-%i")
        #expect(uwsgi.group == "www-data")
        #expect(uwsgi.type == "notify")
        #expect(uwsgi.execStart.first?.argv.last == "/etc/uwsgi/apps-available/%i.ini")
    }

    @Test func gunicornUnitBeforeDropIns() throws {
        let unit = try unit("gunicorn.service", as: "/etc/systemd/system/gunicorn.service")
        #expect(unit.user == "www-data")
        #expect(unit.restart == "on-failure")
        #expect(unit.runtimeDirectories == ["gunicorn"])
        #expect(unit.workingDirectory == SystemdWorkingDirectory(path: "/srv/mysite", optional: true,
                                                                 location: "/etc/systemd/system/gunicorn.service:14"))
        #expect(unit.environmentFiles.map(\.path) == ["/etc/default/gunicorn", "/srv/mysite/.env"])
        #expect(unit.environmentFiles.map(\.optional) == [true, false])
        #expect(unit.environmentNames.map(\.name) == ["DJANGO_SETTINGS_MODULE", "PYTHONUNBUFFERED", "SECRET_KEY"])
        // Continuation lines (with a comment line in between) form one command.
        let start = try #require(unit.execStart.first)
        #expect(start.argv == ["/srv/mysite/venv/bin/gunicorn", "--workers", "3", "--bind", "unix:/run/gunicorn/gunicorn.sock",
                               "--access-logfile", "-", "mysite.wsgi:application"])
        #expect(start.location == "/etc/systemd/system/gunicorn.service:19")
    }

    @Test func environmentValuesAreNeverKept() throws {
        let unit = try unit("gunicorn.service", as: "/etc/systemd/system/gunicorn.service")
        let dump = String(describing: unit.environmentNames)
        #expect(!dump.contains("hunter2"))
        #expect(!dump.contains("mysite.settings"))
    }

    @Test func dropInsAppliedInSystemdOrder() throws {
        let paths = [
            "/lib/systemd/system/gunicorn.service.d/10-bind.conf",
            "/run/systemd/system/gunicorn.service.d/20-restart.conf",
            "/etc/systemd/system/gunicorn.service.d/10-bind.conf",
        ]
        let ordered = SystemdDropIns.order(paths)
        // /etc masks /lib's file of the same name; names sort across directories.
        #expect(ordered == ["/etc/systemd/system/gunicorn.service.d/10-bind.conf",
                            "/run/systemd/system/gunicorn.service.d/20-restart.conf"])
        let fixture = ["/etc/": "etc", "/run/": "run", "/lib/": "lib"]
        let dropIns = try ordered.map { path in
            let directory = fixture.first { path.hasPrefix($0.key) }!.value
            return SystemdUnitFile.parse(try Fixtures.text("services/systemd/dropins/\(directory)/" + (path as NSString).lastPathComponent),
                                         file: path)
        }
        let merged = try unit("gunicorn.service", as: "/etc/systemd/system/gunicorn.service").merging(dropIns: dropIns)
        #expect(merged.files.count == 3)
        let start = try #require(merged.execStart.first)
        #expect(merged.execStart.count == 1)  // `ExecStart=` cleared the unit's own
        #expect(start.argv == ["/srv/mysite/venv/bin/gunicorn", "--workers", "5", "--bind", "127.0.0.1:8000",
                               "--timeout", "60", "mysite.wsgi:application"])
        #expect(start.location == "/etc/systemd/system/gunicorn.service.d/10-bind.conf:4")
        #expect(merged.environmentNames.map(\.name) == ["DJANGO_SETTINGS_MODULE", "EMPTY", "LABEL"])
        #expect(merged.environmentNames.map(\.isEmpty) == [false, true, false])
        #expect(merged.runtimeDirectories == ["gunicorn", "gunicorn-extra", "gunicorn-tmp"])
        #expect(merged.restart == "always")
        #expect(merged.user == nil)  // `User=` reset to the default (root)
        #expect(merged.group == "www-data")
        #expect(merged.environmentFiles.count == 2)
    }

    @Test func dropInWithoutResetAddsASecondExecStart() {
        let unit = SystemdUnitFile.parse("[Service]\nExecStart=/bin/a\n", file: "/lib/systemd/system/x.service")
        let dropIn = SystemdUnitFile.parse("[Service]\nExecStart=/bin/b\n", file: "/etc/systemd/system/x.service.d/o.conf")
        let merged = unit.merging(dropIns: [dropIn])
        // systemd refuses this for any Type= but oneshot; the parser reports both so a check can say so.
        #expect(merged.execStart.map(\.path) == ["/bin/a", "/bin/b"])
        #expect(merged.type == nil)
    }

    @Test func maskedDropInsAreDropped() {
        let ordered = SystemdDropIns.order(["/etc/systemd/system/x.service.d/a.conf", "/lib/systemd/system/x.service.d/a.conf",
                                            "/usr/lib/systemd/system/x.service.d/b.conf", "/lib/systemd/system/x.service.d/notes.txt"],
                                           masked: ["/etc/systemd/system/x.service.d/a.conf"])
        #expect(ordered == ["/usr/lib/systemd/system/x.service.d/b.conf"])
    }

    @Test func execPrefixesAndQuoting() throws {
        let commands = try SystemdExecCommand.parse(#"-@/usr/bin/python3 gunicorn-app "a b" 'c d' e\ f x"y z"w \x41\n ; +/bin/true \;"#,
                                                    location: "t:1").get()
        #expect(commands.count == 2)
        #expect(commands[0].ignoresFailure && commands[0].overridesArgv0)
        #expect(commands[0].path == "/usr/bin/python3")
        #expect(commands[0].argv == ["gunicorn-app", "a b", "c d", "e f", "xy zw", "A\n"])
        #expect(commands[1].privileged)
        #expect(commands[1].argv == ["/bin/true", ";"])
        let colon = try SystemdExecCommand.parse(":!!/bin/x", location: "t:2").get()
        #expect(colon.first?.noEnvironmentExpansion == true)
        #expect(colon.first?.privileged == true)
        #expect(colon.first?.path == "/bin/x")
    }

    @Test func invalidCommandLinesAreReportedNotGuessed() {
        #expect((try? SystemdExecCommand.parse(#"/bin/sh -c "unterminated"#, location: "t:1").get()) == nil)
        // systemd 252 keeps unknown escapes as written ("Ignoring unknown escape sequences").
        #expect((try? SystemdExecCommand.parse(#"/bin/x \q \x00"#, location: "t:1").get())?.first?.argv == ["/bin/x", "\\q", "\\x00"])
        #expect((try? SystemdExecCommand.parse("-", location: "t:1").get()) == nil)
        let unit = SystemdUnitFile.parse("[Service]\nExecStart=/bin/sh -c 'oops\n", file: "u")
        #expect(unit.execStart.isEmpty)
        #expect(unit.execStartErrors == ["u:2: unbalanced quoting in command line"])
    }

    @Test func syntaxEdgeCases() {
        let text = """
        \u{FEFF}orphan=1
        [Service]
        ; comment
          # indented comment
        Type = simple
        NoEquals
        ExecStart=/bin/echo a\\\\
        User=x
        WorkingDirectory=~
        [Broken
        Group=lost
        """
        let unit = SystemdUnitFile.parse(text, file: "f")
        #expect(unit.type == "simple")
        // An even number of trailing backslashes does not continue the line.
        #expect(unit.execStart.first?.argv == ["/bin/echo", "a\\"])
        #expect(unit.user == "x")
        #expect(unit.workingDirectory?.isHome == true)
        #expect(unit.group == nil)
        #expect(unit.warnings.count == 4)
    }

    @Test func hostileInputDoesNotCrashOrHang() {
        var random: UInt64 = 7
        let bytes = (0..<200_000).map { _ -> UInt8 in
            random = random &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: random >> 56)
        }
        let garbage = String(decoding: bytes, as: UTF8.self)
        _ = SystemdUnitFile.parse(garbage, file: "g").execStart
        let huge = "[Service]\nExecStart=/bin/x " + String(repeating: "\"a", count: 300_001)
        let unit = SystemdUnitFile.parse(huge, file: "h")
        #expect(unit.execStart.isEmpty)
        let continued = "[Service]\nExecStart=/bin/x \\\n" + String(repeating: "a \\\n", count: 400_000)
        let long = SystemdUnitFile.parse(continued, file: "c")
        #expect(long.warnings.contains { $0.contains("too long") })
        let environment = SystemdUnitFile.parse("[Service]\nEnvironment=\"A=1 " + String(repeating: "\\", count: 100_001), file: "e")
        #expect(environment.environmentNames.isEmpty)
    }

    /// Each expectation matches what `systemd-analyze verify` (systemd 252) reported
    /// for the same line on this host.
    @Test func environmentSyntaxAsSystemd252() {
        func names(_ value: String) -> [String] {
            SystemdUnitFile.parse("[Service]\nEnvironment=" + value, file: "e").environmentNames.map(\.name)
        }
        #expect(names(#""A=1 2" B= 3C=x D-E=y 'F=a b'"#) == ["A", "B", "F"])  // 3C, D-E: invalid assignment
        // "Invalid syntax, ignoring" stops the line; words before it were already applied
        // (config_parse_environ updates the environment word by word).
        #expect(names(#"A=1 G="unterminated"#) == ["A"])
        #expect(names(#"A=\q B=1"#) == [])
    }

    @Test func workingDirectoryIsTakenLiterally() {
        let quoted = SystemdUnitFile.parse("[Service]\nWorkingDirectory=\"/srv/my site\"", file: "w")
        #expect(quoted.workingDirectory?.path == "\"/srv/my site\"")
        let home = SystemdUnitFile.parse("[Service]\nWorkingDirectory=-~", file: "w")
        #expect(home.workingDirectory?.isHome == true && home.workingDirectory?.optional == true)
    }
}
