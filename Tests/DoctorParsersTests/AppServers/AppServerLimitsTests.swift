import DoctorFacts
import DoctorParsers
import Testing

/// Workers, threads, worker class and timeouts of app servers, with where each was read.
/// The argv are the ones the lab and the fixtures run (`ps -o args=` of real processes);
/// the defaults were read from the installed programs (gunicorn 27.0.1:
/// `gunicorn.config.Config()` gives timeout 30, workers 1, threads 1, sync, graceful 30,
/// worker_connections 1000, and `threads=4` turns the class into gthread).
@Suite("App server limits")
struct AppServerLimitsTests {
    private func parse(_ line: String, cwd: String? = "/srv/app") throws -> ParsedAppServer {
        try #require(AppServerCommandLine.parse(line.split(separator: " ").map(String.init), workingDirectory: cwd))
    }

    @Test func gunicornTimeoutAndWorkersFromTheCommandLine() throws {
        // The argv of the lab's supervised-worker-timeout program.
        let parsed = try parse("/work/main/.lab-venv/bin/python3 /work/main/.lab-venv/bin/gunicorn --chdir /work/main/Lab/labsite --bind 127.0.0.1:8000 --workers 2 --no-control-socket --timeout 2 --pythonpath /work/main/Lab/systemd stuckapp:application")
        let limits = parsed.applying(configBinds: [], timeoutSeconds: nil).effectiveLimits
        #expect(limits.timeout == AppServerSetting("2", source: "command line"))
        #expect(limits.workers == AppServerSetting("2", source: "command line"))
        #expect(limits.threads == AppServerSetting("1", source: "default"))
        #expect(limits.workerClass == AppServerSetting("sync", source: "default"))
        #expect(limits.gracefulTimeout?.isDefault == true)
        #expect(limits.timeoutEndsSlowRequests)
        #expect(limits.concurrency() == 2)
        #expect(!limits.notes.contains { $0.contains("WEB_CONCURRENCY") }, "--workers is given: \(limits.notes)")
        // The existing field still holds the number.
        #expect(parsed.timeoutSeconds == 2)
    }

    @Test func gunicornDefaultsWhenNothingIsSet() throws {
        let parsed = try parse("gunicorn --bind 127.0.0.1:8101 labsite.wsgi:application")
        let limits = parsed.applying(configBinds: [], timeoutSeconds: nil).effectiveLimits
        #expect(limits.timeout == AppServerSetting("30", source: "default"))
        #expect(limits.timeout?.intValue == 30)
        #expect(limits.workers == AppServerSetting("1", source: "default"))
        #expect(limits.notes.contains { $0.contains("WEB_CONCURRENCY") }, "the default worker count may come from the environment")
    }

    @Test func gunicornShortFormsAndThreadsTurnSyncIntoGthread() throws {
        let parsed = try parse("gunicorn -w4 -t 120 --threads=8 --graceful-timeout 10 -b unix:/run/app.sock app.wsgi")
        let limits = parsed.applying(configBinds: [], timeoutSeconds: nil).effectiveLimits
        #expect(limits.workers?.value == "4")
        #expect(limits.timeout?.intValue == 120)
        #expect(limits.threads?.value == "8")
        #expect(limits.gracefulTimeout == AppServerSetting("10", source: "command line"))
        #expect(limits.workerClass?.value == "gthread")
        #expect(limits.concurrency() == 32)
        // A gthread worker sends its heartbeat while a request runs: --timeout never ends it.
        #expect(!limits.timeoutEndsSlowRequests)
        #expect(limits.notes.contains { $0.contains("heartbeat") })
    }

    @Test func gunicornAsyncWorkerClassHasNoWorkerBound() throws {
        let parsed = try parse("python3 -m gunicorn -k uvicorn.workers.UvicornWorker -w 3 --worker-connections 500 app.asgi:app")
        let limits = parsed.applying(configBinds: [], timeoutSeconds: nil).effectiveLimits
        #expect(limits.workerClass == AppServerSetting("uvicorn.workers.UvicornWorker", source: "command line"))
        #expect(limits.workerConnections?.value == "500")
        #expect(!limits.isBlocking)
        #expect(limits.concurrency() == nil)
    }

    @Test func gunicornConfigFileWithLinesAndTheCommandLineWins() throws {
        let text = """
        import multiprocessing

        bind = "unix:/run/app/gunicorn.sock"
        workers = multiprocessing.cpu_count() * 2 + 1
        worker_class = "gthread"
        threads = 4
        timeout = 90  # seconds
        graceful_timeout = 20
        def post_fork(server, worker):
            timeout = 1
        """
        let file = GunicornConfigFile.limits(text, file: "/etc/app/gunicorn.conf.py")
        #expect(file.workers == AppServerSetting("multiprocessing.cpu_count() * 2 + 1", source: "/etc/app/gunicorn.conf.py:4"))
        #expect(file.workers?.intValue == nil)
        #expect(file.workerClass == AppServerSetting("gthread", source: "/etc/app/gunicorn.conf.py:5"))
        #expect(file.threads?.intValue == 4)
        #expect(file.timeout == AppServerSetting("90", source: "/etc/app/gunicorn.conf.py:7"))
        #expect(file.gracefulTimeout?.source == "/etc/app/gunicorn.conf.py:8")

        let parsed = try parse("gunicorn -c /etc/app/gunicorn.conf.py --timeout 45 app.wsgi")
        let folded = parsed.applying(configBinds: [], timeoutSeconds: 90, limits: file)
        let limits = folded.effectiveLimits
        #expect(limits.timeout == AppServerSetting("45", source: "command line"))
        #expect(limits.threads?.source == "/etc/app/gunicorn.conf.py:6")
        #expect(folded.timeoutSeconds == 45)
        // Computed workers: the running worker count decides.
        #expect(limits.concurrency() == nil)
        #expect(limits.concurrency(runningWorkers: 5) == 20)
    }

    @Test func gunicornConfigFileContinuationLinesAreNotSettings() {
        // One assignment walker for binds, limits and log files: a keyword argument at the start
        // of a continued line is part of the call, not a top-level setting.
        let text = """
        raw_env = dict(
        workers=9,
        )
        workers = \\
            3
        errorlog = "/var/log/app/" \\
            "error.log"
        """
        let limits = GunicornConfigFile.limits(text, file: "g.py")
        #expect(limits.workers == AppServerSetting("3", source: "g.py:4"))
        let files = AppServerLogFiles.fromGunicornConfig(text, file: "g.py", workingDirectory: "/srv")
        #expect(files == [AppServerLogFile(path: "/var/log/app/error.log", role: .error, source: "g.py:6")])
    }

    @Test func uwsgiHarakiriProcessesAndThreadsFromArgvAndIni() throws {
        let parsed = try parse("uwsgi --ini /etc/uwsgi/apps-enabled/app.ini --processes 3")
        let ini = """
        [uwsgi]
        socket = /run/uwsgi/app.sock
        ; harakiri = 5
        workers = 2
        threads = 2
        harakiri = 30

        [other]
        harakiri = 1
        """
        let file = UWSGIIniFile.limits(ini, file: "/etc/uwsgi/apps-enabled/app.ini")
        #expect(file.timeout == AppServerSetting("30", source: "/etc/uwsgi/apps-enabled/app.ini:6"))
        #expect(file.workers?.source == "/etc/uwsgi/apps-enabled/app.ini:4")
        let limits = parsed.applying(configBinds: [], timeoutSeconds: 30, limits: file).effectiveLimits
        #expect(limits.workers == AppServerSetting("3", source: "command line"))
        #expect(limits.threads?.intValue == 2)
        #expect(limits.timeout?.intValue == 30)
        #expect(limits.timeoutEndsSlowRequests)
        #expect(limits.concurrency() == 6)
        #expect(!limits.notes.contains { $0.contains("harakiri") }, "harakiri is set: \(limits.notes)")
    }

    @Test func uwsgiWithoutHarakiriHasNoTimeout() throws {
        let parsed = try parse("uwsgi --http-socket 127.0.0.1:8000 --module labsite.wsgi -p 2")
        let limits = parsed.applying(configBinds: [], timeoutSeconds: nil).effectiveLimits
        #expect(limits.timeout == nil)
        #expect(limits.workers?.value == "2")
        #expect(!limits.timeoutEndsSlowRequests)
        #expect(limits.notes.contains { $0.contains("harakiri") })
    }

    @Test func uvicornHasNoRequestTimeout() throws {
        let parsed = try parse("/srv/venv/bin/uvicorn --app-dir /srv/app --uds /run/app.sock --workers 4 --limit-concurrency 100 labsite.asgi:application")
        let limits = parsed.applying(configBinds: [], timeoutSeconds: nil).effectiveLimits
        #expect(limits.timeout == nil)
        #expect(limits.workers == AppServerSetting("4", source: "command line"))
        #expect(limits.notes.contains { $0.hasPrefix("uvicorn has no request timeout") })
        #expect(limits.notes.contains { $0.contains("--limit-concurrency 100") })
        #expect(limits.concurrency() == nil)
    }

    @Test func cpuListsAsTheKernelWritesThem() {
        #expect(CPUList.count("0-1\n") == 2)
        #expect(CPUList.count("0\n") == 1)
        #expect(CPUList.count("0-3,6,8-9\n") == 7)
        #expect(CPUList.count("") == nil)
        #expect(CPUList.count("\u{0}\u{1}binary") == nil)
        #expect(CPUList.count("3-1") == nil)
    }
}
