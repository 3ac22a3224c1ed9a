import DoctorFacts
import DoctorParsers
import Testing

/// Command lines marked "captured" were read from /proc/PID/cmdline of real processes
/// (Gunicorn 27.0.1, Uvicorn 0.54.0 from the lab venv, Debian 12's uWSGI 2.0.21), started in
/// /tmp/build-lab-argv; "wrote" is where the log file really appeared, and `fd` what
/// `readlink /proc/PID/fd/1` and `fd/2` showed.
@Suite("app-server log files")
struct AppServerLogFilesTests {
    @Test func gunicornRelativeErrorAndAccessLogsResolveUnderChdir() {
        // Captured (cwd /tmp/build-lab-argv/sub, as /proc shows it after --chdir); wrote
        // sub/logs-err.log and sub/acc.log; fd 1 and 2 were the shell's pipe.
        let files = AppServerLogFiles.fromCommandLine(
            ["/work/main/.lab-venv/bin/python3", "/work/main/.lab-venv/bin/gunicorn", "--no-control-socket", "-b", "127.0.0.1:18501",
             "--chdir", "sub", "--error-logfile", "logs-err.log", "--access-logfile=acc.log", "app:app"],
            workingDirectory: "/tmp/build-lab-argv/sub")
        #expect(files == [
            AppServerLogFile(path: "/tmp/build-lab-argv/sub/logs-err.log", role: .error, source: "--error-logfile"),
            AppServerLogFile(path: "/tmp/build-lab-argv/sub/acc.log", role: .access, source: "--access-logfile"),
        ])
    }

    @Test func gunicornAsModuleWithLogFileAlias() {
        // Captured; wrote /tmp/build-lab-argv/g2.log (`--log-file` is `--error-logfile`).
        let files = AppServerLogFiles.fromCommandLine(
            ["/work/main/.lab-venv/bin/python3", "-m", "gunicorn", "--no-control-socket", "-b", "127.0.0.1:18502",
             "--log-file", "/tmp/build-lab-argv/g2.log", "app:app"],
            workingDirectory: "/tmp/build-lab-argv")
        #expect(files == [AppServerLogFile(path: "/tmp/build-lab-argv/g2.log", role: .error, source: "--error-logfile")])
    }

    @Test func gunicornDashIsAStreamAndTheLastOptionWins() {
        #expect(AppServerLogFiles.fromCommandLine(["gunicorn", "--error-logfile", "-", "--access-logfile", "-", "app:app"],
                                                  workingDirectory: "/srv").isEmpty)
        let files = AppServerLogFiles.fromCommandLine(
            ["gunicorn", "--error-logfile", "/var/log/a.log", "--log-file=/var/log/b.log", "app:app"], workingDirectory: "/srv")
        #expect(files.map(\.path) == ["/var/log/b.log"])
    }

    @Test func gunicornOptionValuesAreNotMistakenForLogOptions() {
        // `--name` takes a value: the word after it is that value, not an option.
        let files = AppServerLogFiles.fromCommandLine(["gunicorn", "-n", "--error-logfile", "app:app"], workingDirectory: "/srv")
        #expect(files.isEmpty)
    }

    @Test func uwsgiLogtoIsRelativeToTheStartDirectory() {
        // Captured; wrote /tmp/build-lab-argv/u-logto.log, and fd 1 and 2 pointed at it.
        let files = AppServerLogFiles.fromCommandLine(
            ["uwsgi", "--plugin", "python3", "--http-socket", "127.0.0.1:18503", "--wsgi-file", "app.py", "--logto", "u-logto.log"],
            workingDirectory: "/tmp/build-lab-argv")
        #expect(files == [AppServerLogFile(path: "/tmp/build-lab-argv/u-logto.log", role: .error, source: "--logto")])
    }

    @Test func uwsgiDaemonizeFileAndLoggerFile() {
        // Captured (`--daemonize`); fd 1 and 2 pointed at /tmp/build-lab-argv/u-daemon.log.
        let daemonized = AppServerLogFiles.fromCommandLine(
            ["uwsgi", "--plugin", "python3", "--http-socket", "127.0.0.1:18504", "--wsgi-file", "app.py",
             "--daemonize", "/tmp/build-lab-argv/u-daemon.log"],
            workingDirectory: "/tmp/build-lab-argv")
        #expect(daemonized.map(\.path) == ["/tmp/build-lab-argv/u-daemon.log"])
        let logger = AppServerLogFiles.fromCommandLine(
            ["uwsgi", "--logger", "file:logfile=/var/log/uwsgi/app.log,maxsize=2000000", "--daemonize", "192.168.0.1:1717"],
            workingDirectory: "/")
        #expect(logger.map(\.path) == ["/var/log/uwsgi/app.log"])
    }

    @Test func uvicornHasNoLogFileOption() {
        // Captured: `uvicorn … > uv-stdout.log 2>&1`; only fd 1 and 2 knew the file.
        let files = AppServerLogFiles.fromCommandLine(
            ["/work/main/.lab-venv/bin/python3", "/work/main/.lab-venv/bin/uvicorn", "--port", "18505", "--interface", "wsgi", "app:app"],
            workingDirectory: "/tmp/build-lab-argv")
        #expect(files.isEmpty)
        #expect(AppServerLogFiles.fromCommandLine(["nginx", "-g", "daemon off;"], workingDirectory: "/").isEmpty)
    }

    @Test func gunicornConfigFileErrorlogAndAccesslog() {
        let text = """
        import multiprocessing
        bind = "unix:/run/app/gunicorn.sock"
        errorlog = "/var/log/app/old.log"
        errorlog = "logs/gunicorn-error.log"  # relative to chdir
        accesslog: str = "-"
        loglevel = "info"
        """
        let files = AppServerLogFiles.fromGunicornConfig(text, file: "/srv/app/gunicorn.conf.py", workingDirectory: "/srv/app")
        #expect(files == [AppServerLogFile(path: "/srv/app/logs/gunicorn-error.log", role: .error, source: "/srv/app/gunicorn.conf.py:4")])
        let computed = AppServerLogFiles.fromGunicornConfig("errorlog = os.environ['LOG']\n", file: "g.py", workingDirectory: "/srv")
        #expect(computed.isEmpty)
    }

    @Test func bindsFromTheLastStartInALog() throws {
        // The real gunicorn capture of a missing env var (Tests/DoctorParsersTests/Fixtures/applogs).
        let text = try Fixtures.text("applogs/gunicorn-missing-env.log")
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(AppServerLogFiles.listeningBinds(lines: lines, source: "e.log") == [
            AppServerBind(endpoint: .tcp(host: "127.0.0.1", port: 8000), raw: "127.0.0.1:8000", source: "e.log"),
        ])
        let uvicorn: [Substring] = ["INFO:     Uvicorn running on unix socket /run/app/uv.sock (Press CTRL+C to quit)"]
        #expect(AppServerLogFiles.listeningBinds(lines: uvicorn, source: "u").map(\.endpoint) == [.unix(path: "/run/app/uv.sock")])
        let uwsgi = try Fixtures.text("applogs/uwsgi-missing-env.log").split(separator: "\n")
        #expect(AppServerLogFiles.listeningBinds(lines: uwsgi, source: "w").map(\.endpoint) == [.tcp(host: "127.0.0.1", port: 8000)])
        // A later start replaces an earlier one's binds.
        let restarted: [Substring] = ["[x] [1] [INFO] Starting gunicorn 27.0.1", "[x] [1] [INFO] Listening at: http://127.0.0.1:8000 (1)",
                                      "[x] [2] [INFO] Starting gunicorn 27.0.1", "[x] [2] [INFO] Listening at: unix:/run/g.sock (2)"]
        #expect(AppServerLogFiles.listeningBinds(lines: restarted, source: "g").map(\.endpoint) == [.unix(path: "/run/g.sock")])
    }
}

extension AppServerLogFilesTests {
    @Test func uwsgiIniLogtoWithPlaceholdersAndSections() {
        // Checked with Debian 12's uWSGI 2.0.21: `logto = DIR/%n.log` in site.ini wrote DIR/site.log.
        let text = """
        [uwsgi]
        plugins = python3
        chdir = /srv/app
        module = app.wsgi:application
        logto = /var/log/uwsgi/app/%n.log
        ; a UDP log server is not a file
        logto2 = 192.168.0.10:1717

        [other]
        daemonize = /var/log/other.log
        """
        let files = AppServerLogFiles.fromUWSGIIni(text, file: "/etc/uwsgi/apps-enabled/site.ini", workingDirectory: "/")
        #expect(files == [AppServerLogFile(path: "/var/log/uwsgi/app/site.log", role: .error, source: "/etc/uwsgi/apps-enabled/site.ini:5")])
        let other = AppServerLogFiles.fromUWSGIIni(text, file: "/etc/uwsgi/site.ini", section: "other", workingDirectory: "/")
        #expect(other.map(\.path) == ["/var/log/other.log"])
        let unresolved = AppServerLogFiles.fromUWSGIIni("[uwsgi]\nlogto = %(logdir)/x.log\n", file: "/e/a.ini", workingDirectory: "/")
        #expect(unresolved.isEmpty)
    }
}
