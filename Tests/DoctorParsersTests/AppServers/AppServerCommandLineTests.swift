import DoctorFacts
import DoctorParsers
import Testing

/// Command lines below marked "captured" were read from /proc/PID/cmdline of real
/// processes (Gunicorn 27.0.1, Uvicorn 0.54, uWSGI 2.0.21 on Debian 12), together with
/// what `ss -ltnpx` showed them listening on.
@Suite("app-server command lines")
struct AppServerCommandLineTests {
    private func endpoints(_ parsed: ParsedAppServer?) -> [Endpoint?] {
        parsed?.binds.map(\.endpoint) ?? []
    }

    // MARK: gunicorn

    @Test func gunicornFromVenvScriptWithRepeatedBinds() throws {
        // Captured; ss: 127.0.0.1:18431 and /tmp/argvlab/g.sock.
        let parsed = try #require(AppServerCommandLine.parse(
            ["/work/main/.lab-venv/bin/python3", "/work/main/.lab-venv/bin/gunicorn", "-b", "127.0.0.1:18431",
             "-b", "unix:/tmp/argvlab/g.sock", "--workers", "2", "--no-control-socket", "--timeout", "45", "app:app"],
            workingDirectory: "/tmp/argvlab"))
        #expect(parsed.kind == "gunicorn")
        #expect(parsed.binds == [
            AppServerBind(endpoint: .tcp(host: "127.0.0.1", port: 18431), raw: "127.0.0.1:18431", source: "command line"),
            AppServerBind(endpoint: .unix(path: "/tmp/argvlab/g.sock"), raw: "unix:/tmp/argvlab/g.sock", source: "command line"),
        ])
        #expect(parsed.timeoutSeconds == 45)
        #expect(!parsed.bindsAreDefault)
        #expect(parsed.configFile == nil)
        #expect(parsed.defaultConfigFile == "/tmp/argvlab/gunicorn.conf.py")
    }

    @Test func gunicornAsModuleWithEqualsFormAndIPv6() throws {
        // Captured; ss: [::1]:18432.
        let parsed = try #require(AppServerCommandLine.parse(
            ["/work/main/.lab-venv/bin/python3", "-m", "gunicorn", "--bind=[::1]:18432", "-t", "60", "--no-control-socket", "app:app"]))
        #expect(parsed.kind == "gunicorn")
        #expect(endpoints(parsed) == [.tcp(host: "::1", port: 18432)])
        #expect(parsed.timeoutSeconds == 60)
    }

    @Test func gunicornEmptyHostIsEveryIPv4Address() throws {
        // Captured; ss: 0.0.0.0:18437.
        let parsed = AppServerCommandLine.parse(
            ["/work/main/.lab-venv/bin/python3", "/work/main/.lab-venv/bin/gunicorn", "-b", ":18437", "--no-control-socket", "app:app"])
        #expect(endpoints(parsed) == [.tcp(host: "0.0.0.0", port: 18437)])
    }

    @Test func gunicornBareNumberIsAHostNotAPort() throws {
        // Captured; gunicorn logged `Invalid address: ('18436', 8000)` and never listened.
        let parsed = try #require(AppServerCommandLine.parse(
            ["/work/main/.lab-venv/bin/python3", "/work/main/.lab-venv/bin/gunicorn", "-b", "18436", "--no-control-socket", "app:app"]))
        #expect(endpoints(parsed) == [nil])
        #expect(parsed.binds.first?.raw == "18436")
        #expect(parsed.notes.contains { $0.contains("`:18436`") })
    }

    @Test func gunicornChdirDecidesRelativeSocketPaths() throws {
        // Captured: started in /tmp; the socket appeared as /tmp/argvlab/sub/grel.sock and
        // /proc/PID/cwd read /tmp/argvlab/sub.
        let parsed = try #require(AppServerCommandLine.parse(
            ["/work/main/.lab-venv/bin/python3", "/work/main/.lab-venv/bin/gunicorn", "--chdir", "argvlab/sub",
             "-b", "unix:grel.sock", "--no-control-socket", "app:app"],
            workingDirectory: "/tmp/argvlab/sub"))
        #expect(endpoints(parsed) == [.unix(path: "/tmp/argvlab/sub/grel.sock")])
        #expect(parsed.directory == "/tmp/argvlab/sub")
        // Where it was started is gone, so the implicit ./gunicorn.conf.py cannot be located.
        #expect(parsed.defaultConfigFile == nil)
    }

    @Test func gunicornAddressForms() {
        func bind(_ raw: String) -> Endpoint? {
            AppServerCommandLine.parse(["gunicorn", "-b", raw, "app:app"], workingDirectory: "/srv/app")?.binds.first?.endpoint
        }
        #expect(bind("0.0.0.0:8000") == .tcp(host: "0.0.0.0", port: 8000))
        #expect(bind("[::1]:8001") == .tcp(host: "::1", port: 8001))
        #expect(bind("[::]") == .tcp(host: "::", port: 8000))
        #expect(bind("localhost") == .tcp(host: "localhost", port: 8000))
        #expect(bind("LocalHost:9000") == .tcp(host: "localhost", port: 9000))
        #expect(bind("tcp://127.0.0.1:8002") == .tcp(host: "127.0.0.1", port: 8002))
        #expect(bind("unix:/run/app.sock") == .unix(path: "/run/app.sock"))
        #expect(bind("unix:///run/app.sock") == .unix(path: "/run/app.sock"))
        #expect(bind("unix:run/app.sock") == .unix(path: "/srv/app/run/app.sock"))
        #expect(bind("fd://3") == nil)
        #expect(bind("::1:8000") == nil) // gunicorn: '' is not a valid port number
        #expect(bind("127.0.0.1:http") == nil)
        #expect(bind("127.0.0.1:70000") == nil)
    }

    @Test func gunicornOptionSpellings() throws {
        let attached = try #require(AppServerCommandLine.parse(["gunicorn", "-b127.0.0.1:8005", "-t90", "app:app"]))
        #expect(endpoints(attached) == [.tcp(host: "127.0.0.1", port: 8005)])
        #expect(attached.timeoutSeconds == 90)
        let longEquals = try #require(AppServerCommandLine.parse(["gunicorn", "--timeout=15", "--bind=unix:/run/a.sock", "app:app"]))
        #expect(endpoints(longEquals) == [.unix(path: "/run/a.sock")])
        #expect(longEquals.timeoutSeconds == 15)
        // A value of another option is not an option of ours, and `--` ends the options.
        let skipped = try #require(AppServerCommandLine.parse(["gunicorn", "--name", "-b", "app:app", "--", "-b", "x:1"]))
        #expect(skipped.bindsAreDefault)
    }

    @Test func gunicornDefaultsAndConfigFiles() throws {
        let bare = try #require(AppServerCommandLine.parse(["/usr/bin/gunicorn", "mysite.wsgi"], workingDirectory: "/srv/mysite"))
        #expect(bare.bindsAreDefault)
        #expect(bare.binds == [AppServerBind(endpoint: .tcp(host: "127.0.0.1", port: 8000), raw: "127.0.0.1:8000", source: "default")])
        #expect(bare.defaultConfigFile == "/srv/mysite/gunicorn.conf.py")

        // With a config file the binds are unknown until it is read.
        let withConfig = try #require(AppServerCommandLine.parse(["gunicorn", "-c", "deploy/gunicorn.conf.py", "mysite.wsgi"],
                                                                 workingDirectory: "/srv/mysite"))
        #expect(withConfig.binds.isEmpty)
        #expect(withConfig.configFile == "/srv/mysite/deploy/gunicorn.conf.py")
        #expect(withConfig.defaultConfigFile == nil)

        let fileScheme = AppServerCommandLine.parse(["gunicorn", "--config", "file:/etc/gunicorn/site.py", "app"])
        #expect(fileScheme?.configFile == "/etc/gunicorn/site.py")
        let module = try #require(AppServerCommandLine.parse(["gunicorn", "-c", "python:mysite.gunicorn_conf", "app"]))
        #expect(module.configFile == nil)
        #expect(module.binds.isEmpty)
        #expect(module.notes.contains { $0.contains("mysite.gunicorn_conf") })

        // --chdir hides where a relative -c was resolved from.
        let hidden = try #require(AppServerCommandLine.parse(["gunicorn", "--chdir", "/srv/b", "-c", "g.py", "app"],
                                                             workingDirectory: "/srv/b"))
        // Not "g.py" as written: read as is, that would be gwdoctor's own ./g.py.
        #expect(hidden.configFile == nil)
        #expect(hidden.unresolvedConfigFiles == ["g.py"])
        #expect(hidden.notes.contains { $0.contains("unknown (relative path g.py, start directory unknown)") })
    }

    @Test func gunicornAppliesConfigFilePrecedence() throws {
        let fromConfig = [AppServerBind(endpoint: .unix(path: "/run/app.sock"), raw: "unix:/run/app.sock", source: "/srv/g.py:1")]
        // No -b: the file's binds replace the default; its timeout applies.
        let bare = try #require(AppServerCommandLine.parse(["gunicorn", "app"], workingDirectory: "/srv"))
        let applied = bare.applying(configBinds: fromConfig, timeoutSeconds: 60)
        #expect(applied.binds == fromConfig)
        #expect(!applied.bindsAreDefault)
        #expect(applied.timeoutSeconds == 60)
        // -b and -t on the command line win.
        let explicit = try #require(AppServerCommandLine.parse(["gunicorn", "-b", ":9000", "-t", "5", "app"]))
        let kept = explicit.applying(configBinds: fromConfig, timeoutSeconds: 60)
        #expect(kept.binds.map(\.raw) == [":9000"])
        #expect(kept.timeoutSeconds == 5)
        // -c naming a file without binds: gunicorn's default.
        let configured = try #require(AppServerCommandLine.parse(["gunicorn", "-c", "/srv/g.py", "app"]))
        let defaulted = configured.applying(configBinds: [], timeoutSeconds: nil)
        #expect(defaulted.bindsAreDefault)
        #expect(defaulted.binds.map(\.endpoint) == [.tcp(host: "127.0.0.1", port: 8000)])
    }

    @Test func gunicornProgramNames() {
        #expect(AppServerCommandLine.parse(["/usr/bin/gunicorn3", "app"])?.kind == "gunicorn")
        #expect(AppServerCommandLine.parse(["/usr/bin/python3.11", "-u", "-m", "gunicorn.app.wsgiapp", "app"])?.kind == "gunicorn")
        #expect(AppServerCommandLine.parse(["python3", "-Bm", "gunicorn", "app"])?.kind == "gunicorn")
        #expect(AppServerCommandLine.parse(["python3", "-W", "ignore", "-X", "dev", "/srv/venv/bin/gunicorn", "app"])?.kind == "gunicorn")
        // gunicorn 27's control client, an editor on its config, and wrappers are not servers.
        #expect(AppServerCommandLine.parse(["/srv/venv/bin/python3", "/srv/venv/bin/gunicornc", "status"]) == nil)
        #expect(AppServerCommandLine.parse(["vim", "gunicorn.conf.py"]) == nil)
        #expect(AppServerCommandLine.parse(["/usr/bin/uv", "run", "gunicorn", "app"]) == nil)
        #expect(AppServerCommandLine.parse(["python3", "manage.py", "runserver"]) == nil)
    }

    @Test func setproctitleTitleLeavesBindsUnknown() throws {
        // gunicorn with setproctitle installed names itself `gunicorn: master [%s]` (gunicorn/arbiter.py).
        let master = try #require(AppServerCommandLine.parse(["gunicorn: master [mysite.wsgi:application]"]))
        #expect(master.kind == "gunicorn")
        #expect(master.titleRewritten)
        #expect(master.binds.isEmpty)
        #expect(AppServerCommandLine.parse(["gunicorn: worker [mysite.wsgi:application]"])?.titleRewritten == true)
        #expect(AppServerCommandLine.parse(["uWSGI worker 1"])?.kind == "uwsgi")
    }

    // MARK: uvicorn

    @Test func uvicornHostAndPort() throws {
        // Captured; ss: 127.0.0.1:18433.
        let parsed = try #require(AppServerCommandLine.parse(
            ["/work/main/.lab-venv/bin/python3", "/work/main/.lab-venv/bin/uvicorn", "--host", "127.0.0.1", "--port", "18433", "app:asgi"]))
        #expect(parsed.kind == "uvicorn")
        #expect(parsed.binds == [AppServerBind(endpoint: .tcp(host: "127.0.0.1", port: 18433), raw: "127.0.0.1:18433",
                                               source: "command line")])
        #expect(parsed.timeoutSeconds == nil)
    }

    @Test func uvicornUnixSocketAndItsWorkers() throws {
        // Captured; ss: /tmp/argvlab/u.sock held by the master and both workers.
        let parsed = try #require(AppServerCommandLine.parse(
            ["/work/main/.lab-venv/bin/python", "-m", "uvicorn", "--uds", "/tmp/argvlab/u.sock", "--workers", "2", "app:asgi"]))
        #expect(endpoints(parsed) == [.unix(path: "/tmp/argvlab/u.sock")])
        // Its workers are multiprocessing children (captured), not servers of their own.
        #expect(AppServerCommandLine.parse(
            ["/work/main/.lab-venv/bin/python", "-B", "-c",
             "from multiprocessing.spawn import spawn_main; spawn_main(tracker_fd=7, pipe_handle=9)", "--multiprocessing-fork"]) == nil)
        #expect(AppServerCommandLine.parse(
            ["/work/main/.lab-venv/bin/python", "-B", "-c", "from multiprocessing.resource_tracker import main;main(6)"]) == nil)
    }

    @Test func uvicornDefaultsAndPartialOptions() throws {
        let bare = try #require(AppServerCommandLine.parse(["uvicorn", "main:app"]))
        #expect(bare.bindsAreDefault)
        #expect(endpoints(bare) == [.tcp(host: "127.0.0.1", port: 8000)])
        let portOnly = try #require(AppServerCommandLine.parse(["uvicorn", "main:app", "--port=9001"]))
        #expect(!portOnly.bindsAreDefault)
        #expect(endpoints(portOnly) == [.tcp(host: "127.0.0.1", port: 9001)])
        #expect(endpoints(AppServerCommandLine.parse(["uvicorn", "--host", "::", "main:app"])) == [.tcp(host: "::", port: 8000)])
        #expect(endpoints(AppServerCommandLine.parse(["uvicorn", "--fd", "3", "main:app"])) == [nil])
        #expect(endpoints(AppServerCommandLine.parse(["uvicorn", "--uds", "run/app.sock", "main:app"], workingDirectory: "/srv"))
            == [.unix(path: "/srv/run/app.sock")])
        // --app-dir takes a value: it is not the app, and not an option of ours.
        #expect(endpoints(AppServerCommandLine.parse(["uvicorn", "--app-dir", "--port", "main:app"])) == [.tcp(host: "127.0.0.1", port: 8000)])
    }

    // MARK: uWSGI

    @Test func uwsgiSocketsAndHarakiri() throws {
        // Captured; ss: 0.0.0.0:18434 (uwsgi protocol) and 127.0.0.1:18435 (HTTP).
        let parsed = try #require(AppServerCommandLine.parse(
            ["uwsgi", "--plugin", "python3", "--socket", ":18434", "--http-socket", "127.0.0.1:18435", "--harakiri", "30",
             "--wsgi-file", "app.py", "--callable", "app", "--master", "--processes", "2"], workingDirectory: "/tmp/argvlab"))
        #expect(parsed.kind == "uwsgi")
        #expect(parsed.binds == [
            AppServerBind(endpoint: .tcp(host: "0.0.0.0", port: 18434), raw: ":18434", source: "command line", protocolName: "uwsgi"),
            AppServerBind(endpoint: .tcp(host: "127.0.0.1", port: 18435), raw: "127.0.0.1:18435", source: "command line",
                          protocolName: "http"),
        ])
        #expect(parsed.timeoutSeconds == 30)
    }

    @Test func uwsgiHTTPRouterIsNoted() throws {
        // Captured; ss: 127.0.0.1:18439 held by the router process ("uWSGI http 1"), and the
        // workers on an auto-assigned internal port that nginx is not meant to use.
        let parsed = try #require(AppServerCommandLine.parse(
            ["uwsgi", "--plugins", "http,python3", "--http", "127.0.0.1:18439", "--wsgi-file", "app.py", "--callable", "app", "--master"]))
        #expect(parsed.binds.map(\.endpoint) == [.tcp(host: "127.0.0.1", port: 18439)])
        #expect(parsed.binds.first?.protocolName == "http")
        #expect(parsed.notes.contains { $0.contains("HTTP router") })
    }

    @Test func uwsgiIniFiles() throws {
        // Captured: `uwsgi --ini w.ini` started in /tmp/argvlab.
        let parsed = try #require(AppServerCommandLine.parse(["uwsgi", "--ini", "w.ini"], workingDirectory: "/tmp/argvlab"))
        #expect(parsed.binds.isEmpty)
        #expect(parsed.iniFile == "/tmp/argvlab/w.ini")
        #expect(parsed.iniFiles == [UWSGIIniReference(path: "/tmp/argvlab/w.ini")])

        // Debian's init script: its template first, the site's file last.
        let debian = try #require(AppServerCommandLine.parse(
            ["/usr/bin/uwsgi", "--ini", "/usr/share/uwsgi/conf/default.ini", "--ini", "/etc/uwsgi/apps-enabled/site.ini",
             "--daemonize", "/var/log/uwsgi/app/site.log"]))
        #expect(debian.iniFiles.map(\.path) == ["/usr/share/uwsgi/conf/default.ini", "/etc/uwsgi/apps-enabled/site.ini"])
        #expect(debian.iniFile == "/etc/uwsgi/apps-enabled/site.ini")
        // The template's socket needs the site's name, so placeholders come from the last file.
        #expect(debian.iniPlaceholders == ["deb-confnamespace": "app", "deb-confname": "site"])
        let template = "[uwsgi]\nsocket = /run/uwsgi/%(deb-confnamespace)/%(deb-confname)/socket\n"
        #expect(UWSGIIniFile.binds(template, file: "/usr/share/uwsgi/conf/default.ini", placeholders: debian.iniPlaceholders)
            .binds.map(\.endpoint) == [.unix(path: "/run/uwsgi/app/site/socket")])

        let sections = try #require(AppServerCommandLine.parse(["uwsgi_python311", "--ini=/etc/app.ini:prod", "--ini", ":staging",
                                                                "/etc/extra.ini"]))
        #expect(sections.iniFiles == [UWSGIIniReference(path: "/etc/app.ini", section: "prod"),
                                      UWSGIIniReference(path: "/etc/app.ini", section: "staging"),
                                      UWSGIIniReference(path: "/etc/extra.ini")])
    }

    @Test func uwsgiChdirAndAddressForms() throws {
        // Captured: started in /tmp, the socket appeared as /tmp/argvlab/sub/rel.sock.
        let parsed = try #require(AppServerCommandLine.parse(
            ["uwsgi", "--plugin", "python3", "--chdir", "/tmp/argvlab/sub", "--socket", "rel.sock", "--wsgi-file", "app.py",
             "--callable", "app"], workingDirectory: "/tmp/argvlab/sub"))
        #expect(endpoints(parsed) == [.unix(path: "/tmp/argvlab/sub/rel.sock")])

        let forms = try #require(AppServerCommandLine.parse(
            ["uwsgi", "-s", "/run/uwsgi/app.sock", "--socket=127.0.0.1:3031", "-s[::1]:3032", "--uwsgi-socket", "@abstract",
             "--shared-socket", ":80", "--socket", "=0", "--protocol", "http", "-t", "20"]))
        #expect(forms.binds.map(\.endpoint) == [.unix(path: "/run/uwsgi/app.sock"), .tcp(host: "127.0.0.1", port: 3031),
                                                .tcp(host: "::1", port: 3032), .unix(path: "@abstract"), nil])
        // --protocol changes what --socket speaks, not what --uwsgi-socket speaks.
        #expect(forms.binds.map(\.protocolName) == ["http", "http", "http", "uwsgi", "http"])
        #expect(forms.timeoutSeconds == 20)
    }

    @Test func uwsgiEmperorIsNotAnAppServer() {
        #expect(AppServerCommandLine.parse(["/usr/bin/uwsgi", "--emperor", "/etc/uwsgi/vassals/*.ini", "--uid", "www-data"]) == nil)
    }

    @Test func uwsgiAppliesIniSocketsOnTopOfTheCommandLine() throws {
        let parsed = try #require(AppServerCommandLine.parse(["uwsgi", "--http-socket", ":8080", "--ini", "/etc/app.ini"]))
        let ini = UWSGIIniFile.binds("[uwsgi]\nsocket = /run/app.sock\nharakiri = 40\n", file: "/etc/app.ini")
        let applied = parsed.applying(configBinds: ini.binds, timeoutSeconds: ini.timeoutSeconds)
        #expect(applied.binds.map(\.endpoint) == [.tcp(host: "0.0.0.0", port: 8080), .unix(path: "/run/app.sock")])
        #expect(applied.timeoutSeconds == 40)
    }

    // MARK: daphne, hypercorn, node

    @Test func daphneOptions() throws {
        let bare = try #require(AppServerCommandLine.parse(["/srv/venv/bin/python", "/srv/venv/bin/daphne", "mysite.asgi:application"]))
        #expect(bare.kind == "daphne")
        #expect(bare.bindsAreDefault)
        #expect(endpoints(bare) == [.tcp(host: "127.0.0.1", port: 8000)])

        let tcp = try #require(AppServerCommandLine.parse(["daphne", "-b", "0.0.0.0", "-p", "8001", "-t", "60", "mysite.asgi:application"]))
        #expect(endpoints(tcp) == [.tcp(host: "0.0.0.0", port: 8001)])
        #expect(tcp.timeoutSeconds == 60)
        #expect(endpoints(AppServerCommandLine.parse(["daphne", "-p", "8002", "app"])) == [.tcp(host: "127.0.0.1", port: 8002)])
        #expect(endpoints(AppServerCommandLine.parse(["daphne", "--bind", "::1", "app"])) == [.tcp(host: "::1", port: 8000)])
        #expect(endpoints(AppServerCommandLine.parse(["daphne", "-u", "/run/daphne/daphne.sock", "app"]))
            == [.unix(path: "/run/daphne/daphne.sock")])
        #expect(endpoints(AppServerCommandLine.parse(["daphne", "--fd", "5", "app"])) == [nil])
        #expect(endpoints(AppServerCommandLine.parse(
            ["daphne", "-e", "tcp:port=8003:interface=127.0.0.1", "-e", "unix:/run/d.sock", "-e", "tcp6:port=8004:interface=\\:\\:1",
             "-e", "ssl:443:privateKey=key.pem", "-e", "fd:fileno=3", "app"]))
            == [.tcp(host: "127.0.0.1", port: 8003), .unix(path: "/run/d.sock"), .tcp(host: "::1", port: 8004),
                .tcp(host: "0.0.0.0", port: 443), nil])
    }

    @Test func hypercornOptions() throws {
        let bare = try #require(AppServerCommandLine.parse(["hypercorn", "app:app"]))
        #expect(bare.bindsAreDefault)
        #expect(endpoints(bare) == [.tcp(host: "127.0.0.1", port: 8000)])
        let binds = try #require(AppServerCommandLine.parse(
            ["python3", "-m", "hypercorn", "-b", "unix:/run/h.sock", "--bind", "[::1]:8443", "--insecure-bind", ":8080",
             "-b", "fd://3", "-b", "localhost", "app:app"]))
        #expect(endpoints(binds) == [.unix(path: "/run/h.sock"), .tcp(host: "::1", port: 8443), .tcp(host: "0.0.0.0", port: 8080),
                                     nil, .tcp(host: "localhost", port: 8000)])
        let configured = try #require(AppServerCommandLine.parse(["hypercorn", "-c", "hypercorn.toml", "app:app"], workingDirectory: "/srv"))
        #expect(configured.configFile == "/srv/hypercorn.toml")
        #expect(configured.binds.isEmpty)
    }

    @Test func nodeBelievesOnlyAPortInArgv() throws {
        let bare = try #require(AppServerCommandLine.parse(["/usr/bin/node", "server.js"]))
        #expect(bare.kind == "node")
        #expect(bare.binds.isEmpty)
        #expect(endpoints(AppServerCommandLine.parse(["node", "dist/main.js", "--port", "3000"])) == [.tcp(host: "::", port: 3000)])
        #expect(endpoints(AppServerCommandLine.parse(["nodejs", "--port=3001", "app.js"])) == [.tcp(host: "::", port: 3001)])
        #expect(endpoints(AppServerCommandLine.parse(["node", "server.js", "PORT=3002"])) == [.tcp(host: "::", port: 3002)])
        #expect(AppServerCommandLine.parse(["node", "server.js", "--port", "x"])?.binds.isEmpty == true)
    }

    // MARK: hostile input

    @Test func emptyAndOddArgvNeverTrap() {
        #expect(AppServerCommandLine.parse([]) == nil)
        #expect(AppServerCommandLine.parse([""]) == nil)
        #expect(AppServerCommandLine.parse(["python3"]) == nil)
        #expect(AppServerCommandLine.parse(["python3", "-m"]) == nil)
        #expect(AppServerCommandLine.parse(["python3", "-W"]) == nil)
        #expect(AppServerCommandLine.parse(["gunicorn", "-b"])?.bindsAreDefault == true)
        // gunicorn reads an empty address as 0.0.0.0:8000 (a trailing empty word is /proc padding, so one follows).
        #expect(AppServerCommandLine.parse(["gunicorn", "-b", "", "app"])?.binds.first?.endpoint == .tcp(host: "0.0.0.0", port: 8000))
        #expect(AppServerCommandLine.parse(["uwsgi", "--socket", ":"])?.binds.first?.endpoint == nil)
        #expect(AppServerCommandLine.parse(["gunicorn", "-b", "[", "-b", "]:1", "-b", "[]"]) != nil)
        #expect(AppServerCommandLine.parse(["daphne", "-e", "tcp:port=", "-e", ":::", "-e", "unix", "app"])?.binds.count == 3)
        let long = String(repeating: "x", count: 100_000)
        #expect(AppServerCommandLine.parse(["gunicorn", "-b", long, long])?.binds.count == 1)
        // A squashed argv, as `ps` prints it.
        #expect(AppServerCommandLine.parse(["/srv/venv/bin/gunicorn -b 127.0.0.1:8009 app"])?.binds.first?.endpoint
            == .tcp(host: "127.0.0.1", port: 8009))
    }
}
