import DoctorFacts
import DoctorParsers
import Testing

@Suite("gunicorn.conf.py")
struct GunicornConfigFileTests {
    @Test func literalBindAndTimeout() {
        let text = """
        # gunicorn.conf.py
        import multiprocessing

        bind = "127.0.0.1:8000"
        workers = multiprocessing.cpu_count() * 2 + 1
        timeout = 60  # seconds
        """
        let parsed = GunicornConfigFile.binds(text, file: "/srv/app/gunicorn.conf.py")
        #expect(parsed.binds == [AppServerBind(endpoint: .tcp(host: "127.0.0.1", port: 8000), raw: "127.0.0.1:8000",
                                               source: "/srv/app/gunicorn.conf.py:4")])
        #expect(parsed.timeoutSeconds == 60)
    }

    @Test func listOverSeveralLinesWithCommentsAndTrailingComma() {
        let text = """
        bind = [
            'unix:/run/app.sock',  # nginx
            "127.0.0.1:8001",      # health checks
        ]
        timeout = "90"
        """
        let parsed = GunicornConfigFile.binds(text, file: "g.py")
        #expect(parsed.binds.map(\.endpoint) == [.unix(path: "/run/app.sock"), .tcp(host: "127.0.0.1", port: 8001)])
        #expect(parsed.binds.map(\.source) == ["g.py:1", "g.py:1"])
        #expect(parsed.timeoutSeconds == 90)
    }

    @Test func lastTopLevelAssignmentWinsAndIndentedOnesAreNotFollowed() {
        let text = """
        bind = "127.0.0.1:8000"
        bind = ("[::1]:8002",)
        if DEBUG:
            bind = "0.0.0.0:9999"
        def on_starting(server):
            timeout = 5
        timeout: int = 1_20
        """
        let parsed = GunicornConfigFile.binds(text, file: "g.py")
        #expect(parsed.binds == [AppServerBind(endpoint: .tcp(host: "::1", port: 8002), raw: "[::1]:8002", source: "g.py:2")])
        #expect(parsed.timeoutSeconds == 120)
    }

    @Test func computedValuesAreNotGuessed() {
        let text = """
        import os
        port = os.environ.get("PORT", "8000")
        bind = [f"0.0.0.0:{port}"]
        timeout = int(os.environ["TIMEOUT"])
        """
        let parsed = GunicornConfigFile.binds(text, file: "g.py")
        // The file does set bind, so the default does not apply; what it computes is unknown.
        #expect(parsed.binds == [AppServerBind(endpoint: nil, raw: "[f\"0.0.0.0:{port}\"]", source: "g.py:3")])
        #expect(parsed.timeoutSeconds == nil)
        #expect(GunicornConfigFile.binds("bind = \"127.0.0.1:\" + PORT\n", file: "g.py").binds.first?.endpoint == nil)
    }

    @Test func relativeUnixPathAndJoinedStrings() {
        let parsed = GunicornConfigFile.binds("bind = 'unix:' 'run/app.sock'\n", file: "g.py", workingDirectory: "/srv/app")
        #expect(parsed.binds.map(\.endpoint) == [.unix(path: "/srv/app/run/app.sock")])
    }

    @Test func comparisonsAndOtherNamesAreNotAssignments() {
        let text = """
        bind == "x"
        binding = "127.0.0.1:1"
        bind += ["127.0.0.1:2"]
        """
        #expect(GunicornConfigFile.binds(text, file: "g.py").binds.isEmpty)
    }

    @Test func hostileInputNeverTraps() {
        let unclosed = "bind = [\n" + String(repeating: "'127.0.0.1:1',\n", count: 5_000)
        _ = GunicornConfigFile.binds(unclosed, file: "g.py")
        _ = GunicornConfigFile.binds("bind = '\ntimeout = \"\n", file: "g.py")
        _ = GunicornConfigFile.binds(String(repeating: "[", count: 10_000), file: "g.py")
        _ = GunicornConfigFile.binds("bind = " + String(repeating: "[", count: 10_000), file: "g.py")
        _ = GunicornConfigFile.binds("timeout = 99999999999999999999999\nbind = '\\", file: "g.py")
        let binary = String(decoding: (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 31) }, as: UTF8.self)
        _ = GunicornConfigFile.binds(binary, file: "g.py")
    }
}

@Suite("uWSGI ini")
struct UWSGIIniFileTests {
    @Test func socketsAndHarakiriOfTheUwsgiSection() {
        // The ini of the captured `uwsgi --ini w.ini` run; ss showed /tmp/argvlab/w.sock and 0.0.0.0:18438.
        let text = """
        [uwsgi]
        plugin = python3
        socket = /tmp/argvlab/w.sock
        http-socket = :18438
        harakiri = 20
        wsgi-file = app.py
        callable = app
        master = true
        processes = 2
        """
        let parsed = UWSGIIniFile.binds(text, file: "/tmp/argvlab/w.ini")
        #expect(parsed.binds == [
            AppServerBind(endpoint: .unix(path: "/tmp/argvlab/w.sock"), raw: "/tmp/argvlab/w.sock", source: "/tmp/argvlab/w.ini:3",
                          protocolName: "uwsgi"),
            AppServerBind(endpoint: .tcp(host: "0.0.0.0", port: 18438), raw: ":18438", source: "/tmp/argvlab/w.ini:4",
                          protocolName: "http"),
        ])
        #expect(parsed.timeoutSeconds == 20)
    }

    @Test func otherSectionsCommentsAndProtocol() {
        let text = """
        ; comment
        [other]
        socket = /run/other.sock
        [uwsgi]
        # comment = ignored
          protocol = http
        socket = 127.0.0.1:3031
        http = 0.0.0.0:8080
        http_socket = 127.0.0.1:9
        [prod]
        socket = /run/prod.sock
        """
        let parsed = UWSGIIniFile.binds(text, file: "/etc/app.ini")
        // uWSGI does not read `http_socket` as `http-socket` (observed: it stops with "the -s/--socket option is missing").
        #expect(parsed.binds.map(\.endpoint) == [.tcp(host: "127.0.0.1", port: 3031), .tcp(host: "0.0.0.0", port: 8080)])
        #expect(parsed.binds.map(\.protocolName) == ["http", "http"])
        #expect(UWSGIIniFile.binds(text, file: "/etc/app.ini", section: "prod").binds.map(\.endpoint) == [.unix(path: "/run/prod.sock")])
    }

    @Test func placeholdersFromTheFileAndEarlierKeys() {
        let text = """
        [uwsgi]
        project = mysite
        base = /srv/%(project)
        socket = %(base)/run/%n.sock
        socket = %drelative.sock
        socket = $(SOCKET_PATH)
        socket = /run/%(unknown).sock
        harakiri = 30
        harakiri = 45
        """
        let parsed = UWSGIIniFile.binds(text, file: "/etc/uwsgi/apps-enabled/mysite.ini")
        #expect(parsed.binds.map(\.endpoint) == [.unix(path: "/srv/mysite/run/mysite.sock"), .unix(path: "/etc/uwsgi/apps-enabled/relative.sock"),
                                                 nil, nil])
        #expect(parsed.binds.map(\.raw)[2...] == ["$(SOCKET_PATH)", "/run/%(unknown).sock"])
        #expect(parsed.timeoutSeconds == 45)
    }

    @Test func debianDefaultTemplateWithItsPlaceholders() {
        // Debian 12's /usr/share/uwsgi/conf/default.ini (comments dropped), loaded before the site's own ini.
        let text = """
        [uwsgi]
        declare-option = deb-confnamespace=$1
        declare-option = deb-confname=$1
        master = true
        workers = 2
        no-orphans = true
        pidfile = /run/uwsgi/%(deb-confnamespace)/%(deb-confname)/pid
        socket = /run/uwsgi/%(deb-confnamespace)/%(deb-confname)/socket
        chown-socket = www-data
        chmod-socket = 660
        log-date = true
        uid = www-data
        gid = www-data
        """
        let unknown = UWSGIIniFile.binds(text, file: "/usr/share/uwsgi/conf/default.ini")
        #expect(unknown.binds.map(\.endpoint) == [nil])
        let placeholders = UWSGIIniFile.debianPlaceholders(forConfig: "/etc/uwsgi/apps-enabled/site.ini")
        #expect(placeholders == ["deb-confnamespace": "app", "deb-confname": "site"])
        let known = UWSGIIniFile.binds(text, file: "/usr/share/uwsgi/conf/default.ini", placeholders: placeholders)
        #expect(known.binds == [AppServerBind(endpoint: .unix(path: "/run/uwsgi/app/site/socket"),
                                              raw: "/run/uwsgi/app/site/socket", source: "/usr/share/uwsgi/conf/default.ini:8",
                                              protocolName: "uwsgi")])
        #expect(UWSGIIniFile.debianPlaceholders(forConfig: "/srv/app/uwsgi.ini").isEmpty)
    }

    @Test func relativeSocketsResolveAgainstTheWorkingDirectory() {
        let parsed = UWSGIIniFile.binds("[uwsgi]\nsocket = run/app.sock\nhttps = :443,cert.pem,key.pem\n", file: "app.ini",
                                        workingDirectory: "/srv/app")
        #expect(parsed.binds.map(\.endpoint) == [.unix(path: "/srv/app/run/app.sock"), .tcp(host: "0.0.0.0", port: 443)])
    }

    @Test func hostileInputNeverTraps() {
        _ = UWSGIIniFile.binds("[", file: "x.ini")
        _ = UWSGIIniFile.binds("[]\n[uwsgi\nsocket\n=\n= =\nsocket = %\nsocket = %(\nsocket = %(x\nharakiri = x", file: "")
        let binary = String(decoding: (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 7) }, as: UTF8.self)
        _ = UWSGIIniFile.binds("[uwsgi]\n" + binary, file: "x.ini")
        let many = "[uwsgi]\n" + String(repeating: "socket = :1\n", count: 10_000)
        #expect(UWSGIIniFile.binds(many, file: "x.ini").binds.count == 10_000)
    }
}
