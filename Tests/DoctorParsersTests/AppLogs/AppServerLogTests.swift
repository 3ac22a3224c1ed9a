import DoctorFacts
@testable import DoctorParsers
import Foundation
import Testing

/// Every fixture under `Fixtures/applogs/` is the real stderr of a real server run in a
/// private network namespace with `timeout 20` (see `Fixtures/applogs/CAPTURE.md` for the
/// exact commands and the throwaway copy of the lab site used for faults that need code):
///
///     unshare -n sh -c 'ip link set lo up; cd DIR && env -i PATH=… [ENV] timeout 20 COMMAND' 2>&1
///
/// `G` below is `.lab-venv/bin/gunicorn --no-control-socket -b 127.0.0.1:8000 -w 2`,
/// `U` is `.lab-venv/bin/uvicorn --host 127.0.0.1 --port 8000`,
/// `W` is `uwsgi --plugin python3 --http-socket 127.0.0.1:8000 --chdir Lab/labsite --module labsite.wsgi --need-app --virtualenv .lab-venv`.
@Suite("AppServerLog.classify on real boot crashes")
struct AppServerLogTests {
    static func run(_ name: String, appPackages: Set<String> = []) throws -> [StartupFailure] {
        let text = try Fixtures.text("applogs/\(name).log")
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        return AppServerLog.classify(lines: lines, source: "/var/log/\(name).log", firstLineNumber: 1,
                                     appPackages: appPackages, localZone: TimeZone(identifier: "UTC")!)
    }

    static func utc(_ text: String) -> Date {
        try! Date(text, strategy: .iso8601)
    }

    // G labsite.wsgi:application, in Lab/labsite, DJANGO_SECRET_KEY unset.
    @Test func gunicornMissingEnvVar() throws {
        let failures = try Self.run("gunicorn-missing-env")
        #expect(failures.count == 1)
        let failure = try #require(failures.first)
        #expect(failure.cause == .missingEnvVar)
        #expect(failure.detail == "DJANGO_SECRET_KEY")
        #expect(failure.decisiveLine == "KeyError: 'DJANGO_SECRET_KEY'")
        #expect(failure.source == "/var/log/gunicorn-missing-env.log:65")
        #expect(failure.program == "gunicorn")
        #expect(failure.exitCode == 3) // "Worker (pid:14377) exited with code 3."
        #expect(failure.occurrences == 2) // two workers, -w 2
        #expect(failure.time == Self.utc("2026-11-21T09:16:43Z"))
    }

    // G --preload labsite.wsgi:application, DJANGO_SECRET_KEY unset: the master imports the
    // app, only the traceback is logged (the exit status 1 is not in the log).
    @Test func gunicornPreloadMissingEnvVar() throws {
        let failures = try Self.run("gunicorn-missing-env-preload")
        #expect(failures.map(\.cause) == [.missingEnvVar])
        #expect(failures.first?.detail == "DJANGO_SECRET_KEY")
        #expect(failures.first?.exitCode == nil)
        #expect(failures.first?.occurrences == 1)
        #expect(failures.first?.program == "gunicorn") // from the traceback's gunicorn/ frames
    }

    // G labsite.wsgi:application in the throwaway site copy, LAB_BOOT_FAULT=empty-secret
    // (settings set SECRET_KEY = "" and wsgi.py reads settings.SECRET_KEY at import; an empty
    // DJANGO_SECRET_KEY alone does not crash the boot: Django checks it on first use).
    @Test func gunicornEmptySecretKey() throws {
        let failures = try Self.run("gunicorn-empty-secret")
        let failure = try #require(failures.first)
        #expect(failures.count == 1)
        #expect(failure.cause == .missingSecretKey)
        #expect(failure.decisiveLine == "django.core.exceptions.ImproperlyConfigured: The SECRET_KEY setting must not be empty.")
        #expect(failure.exitCode == 3)
        #expect(failure.occurrences == 2)
    }

    // G labsite.wsgi:application, DJANGO_SETTINGS_MODULE=labsite.settingz.
    @Test func gunicornBadSettingsModule() throws {
        let failures = try Self.run("gunicorn-bad-settings", appPackages: ["labsite"])
        #expect(failures.map(\.cause) == [.badSettingsModule])
        #expect(failures.first?.detail == "labsite.settingz")
        #expect(failures.first?.decisiveLine == "ModuleNotFoundError: No module named 'labsite.settingz'")
        #expect(failures.first?.exitCode == 3)
    }

    // G labsite.wsgi:app (no attribute `app`).
    @Test func gunicornMissingAttribute() throws {
        let failures = try Self.run("gunicorn-missing-attribute")
        #expect(failures.count == 1)
        let failure = try #require(failures.first)
        #expect(failure.cause == .missingAttribute)
        #expect(failure.detail == "labsite.wsgi:app")
        #expect(failure.decisiveLine == "Failed to find attribute 'app' in 'labsite.wsgi'.")
        #expect(failure.exitCode == 4)
        #expect(failure.occurrences == 2)
    }

    // G labsite.wsgi:application with a python listener already bound to 127.0.0.1:8000 in
    // the same namespace: five retries, then "Can't connect to" (gunicorn exits 1).
    @Test func gunicornPortInUse() throws {
        let failures = try Self.run("gunicorn-port-in-use")
        #expect(failures.count == 1)
        let failure = try #require(failures.first)
        #expect(failure.cause == .portInUse)
        #expect(failure.detail == "127.0.0.1:8000")
        #expect(failure.decisiveLine == "[2026-11-21 09:17:08 +0000] [14569] [ERROR] Connection in use: ('127.0.0.1', 8000)")
        #expect(failure.occurrences == 1) // one start, five bind retries
        #expect(failure.exitCode == 1)
        #expect(failure.source.hasSuffix(".log:2"))
    }

    // Site copy, LAB_BOOT_FAULT=app-import: wsgi.py does `import probe.signalz`.
    @Test func gunicornImportErrorInTheApp() throws {
        let withPackages = try Self.run("gunicorn-app-import", appPackages: ["labsite", "probe"])
        #expect(withPackages.map(\.cause) == [.importError])
        #expect(withPackages.first?.detail == "probe.signalz")
        // Without the app's packages: a dotted name means the package exists, its submodule not.
        #expect(try Self.run("gunicorn-app-import").map(\.cause) == [.importError])
    }

    // Site copy, LAB_BOOT_FAULT=missing-package: INSTALLED_APPS += ["rest_framework"].
    @Test func gunicornMissingPackage() throws {
        let failures = try Self.run("gunicorn-missing-package", appPackages: ["labsite", "probe"])
        #expect(failures.map(\.cause) == [.missingPackage])
        #expect(failures.first?.detail == "rest_framework")
        #expect(failures.first?.exitCode == 3)
        // The same line is the app's own import error when rest_framework were the app's package.
        #expect(try Self.run("gunicorn-missing-package", appPackages: ["rest_framework"]).map(\.cause) == [.importError])
    }

    // Site copy, LAB_BOOT_FAULT=app-label: wsgi.py imports a models module outside INSTALLED_APPS.
    @Test func gunicornModelOutsideInstalledApps() throws {
        let failures = try Self.run("gunicorn-app-label")
        #expect(failures.map(\.cause) == [.other])
        #expect(failures.first?.decisiveLine.hasPrefix("RuntimeError: Model class labsite.orphan_models.Orphan doesn't declare an explicit app_label") == true)
    }

    // Site copy, LAB_BOOT_FAULT=db-connect, LAB_DB_PATH=/tmp/applogs/nonexistent-dir/labsite.sqlite3.
    @Test func gunicornSqliteUnopenable() throws {
        let failures = try Self.run("gunicorn-sqlite-unopenable")
        #expect(failures.map(\.cause) == [.databaseUnreachable])
        // The chained sqlite3.OperationalError is superseded by Django's.
        #expect(failures.first?.decisiveLine == "django.db.utils.OperationalError: unable to open database file")
        #expect(failures.first?.occurrences == 2)
    }

    // Site copy, LAB_BOOT_FAULT=no-table: wsgi.py runs Item.objects.count() on a fresh sqlite file.
    // Here the arbiter ended with a HaltServer traceback instead of "Reason:" (a race in gunicorn 27).
    @Test func gunicornMigrationsNotApplied() throws {
        let failures = try Self.run("gunicorn-no-table")
        #expect(failures.map(\.cause) == [.migrationsNotApplied])
        #expect(failures.first?.detail == "probe_item")
        #expect(failures.first?.exitCode == 3)
    }

    // Site copy, LAB_BOOT_FAULT=db-connect LAB_DB=pg (postgresql at 127.0.0.1:5433, nothing
    // listening in the namespace), psycopg2-binary 2.9 from PyPI in a throwaway venv on PYTHONPATH, -w 1.
    @Test func gunicornPostgresRefused() throws {
        let failures = try Self.run("gunicorn-postgres-refused")
        #expect(failures.map(\.cause) == [.databaseUnreachable])
        #expect(failures.first?.detail == "127.0.0.1:5433")
        #expect(failures.first?.decisiveLine.hasPrefix("django.db.utils.OperationalError: connection to server at \"127.0.0.1\", port 5433 failed") == true)
        #expect(failures.first?.occurrences == 1)
        #expect(failures.first?.exitCode == 3)
    }

    // Site copy, LAB_BOOT_FAULT=syntax: wsgi.py imports probe/signals.py, which is `def broken(:`.
    @Test func gunicornSyntaxErrorInTheApp() throws {
        let failures = try Self.run("gunicorn-syntax-error")
        #expect(failures.map(\.cause) == [.importError])
        #expect(failures.first?.detail == "/tmp/applogs/site/probe/signals.py:1")
        #expect(failures.first?.decisiveLine == "SyntaxError: invalid syntax")
        #expect(failures.first?.exitCode == 3)
    }

    // As gunicornPostgresRefused with psycopg 3 (`psycopg[binary]` from PyPI, --target dir on PYTHONPATH).
    @Test func gunicornPsycopg3Refused() throws {
        let failures = try Self.run("gunicorn-psycopg3-refused")
        #expect(failures.map(\.cause) == [.databaseUnreachable])
        #expect(failures.first?.detail == "127.0.0.1:5433")
        #expect(failures.first?.decisiveLine.hasPrefix("django.db.utils.OperationalError: connection failed: connection to server at") == true)
    }

    // Site copy, LAB_BOOT_FAULT=no-table: U --interface wsgi labsite.wsgi:application.
    @Test func uvicornMigrationsNotApplied() throws {
        let failures = try Self.run("uvicorn-no-table")
        #expect(failures.map(\.cause) == [.migrationsNotApplied])
        #expect(failures.first?.detail == "probe_item")
        #expect(failures.first?.program == "uvicorn")
    }

    // A known DJANGO_SETTINGS_MODULE decides even without the frames (interleaved tracebacks).
    @Test func knownSettingsModuleDecidesWithoutFrames() {
        let lines: [Substring] = ["ModuleNotFoundError: No module named 'labsite.settingz'"]
        let plain = AppServerLog.classify(lines: lines, source: "x", firstLineNumber: nil, appPackages: ["labsite"])
        #expect(plain.map(\.cause) == [.importError])
        let known = AppServerLog.classify(lines: lines, source: "x", firstLineNumber: nil, settingsModule: "labsite.settingz")
        #expect(known.map(\.cause) == [.badSettingsModule])
        #expect(known.first?.program == "unknown")
    }

    // Site copy with LAB_ENV_LIB=environ (settings: `environ.Env()("DJANGO_SECRET_KEY")`,
    // django-environ 0.14.0 from PyPI on PYTHONPATH), DJANGO_SECRET_KEY unset, -w 1. The KeyError
    // is chained into django-environ's ImproperlyConfigured, which decides.
    @Test func gunicornDjangoEnvironMissingVariable() throws {
        let failures = try Self.run("gunicorn-django-environ-missing")
        #expect(failures.map(\.cause) == [.missingEnvVar])
        #expect(failures.first?.detail == "DJANGO_SECRET_KEY")
        #expect(failures.first?.decisiveLine == "django.core.exceptions.ImproperlyConfigured: Set the DJANGO_SECRET_KEY environment variable")
        #expect(failures.first?.exitCode == 3)
    }

    // As above with LAB_ENV_LIB=decouple (`decouple.config("DJANGO_SECRET_KEY")`, python-decouple 3.8).
    @Test func gunicornDecoupleMissingVariable() throws {
        let failures = try Self.run("gunicorn-decouple-missing")
        #expect(failures.map(\.cause) == [.missingEnvVar])
        #expect(failures.first?.detail == "DJANGO_SECRET_KEY")
        #expect(failures.first?.decisiveLine.hasPrefix("decouple.UndefinedValueError: DJANGO_SECRET_KEY not found.") == true)
    }

    // U labsite.asgi:application, DJANGO_SECRET_KEY unset.
    @Test func uvicornMissingEnvVar() throws {
        let failures = try Self.run("uvicorn-missing-env")
        #expect(failures.map(\.cause) == [.missingEnvVar])
        #expect(failures.first?.program == "uvicorn")
        #expect(failures.first?.time == nil) // uvicorn's default log has no times
    }

    // U labsite.asgi:app.
    @Test func uvicornMissingAttribute() throws {
        let failures = try Self.run("uvicorn-missing-attribute")
        #expect(failures.map(\.cause) == [.missingAttribute])
        #expect(failures.first?.detail == "labsite.asgi:app")
        #expect(failures.first?.program == "uvicorn")
    }

    // U labsite.asgi:application with 127.0.0.1:8000 already bound.
    @Test func uvicornPortInUse() throws {
        let failures = try Self.run("uvicorn-port-in-use")
        #expect(failures.map(\.cause) == [.portInUse])
        #expect(failures.first?.detail == "127.0.0.1:8000")
        #expect(failures.first?.program == "uvicorn")
    }

    // W, DJANGO_SECRET_KEY unset: the traceback explains the GAME OVER, which gives exit code 22.
    @Test func uwsgiMissingEnvVar() throws {
        let failures = try Self.run("uwsgi-missing-env")
        #expect(failures.map(\.cause) == [.missingEnvVar])
        #expect(failures.first?.program == "uwsgi")
        #expect(failures.first?.exitCode == 22)
        #expect(failures.first?.time == Self.utc("2026-11-21T09:17:44Z")) // from "*** Starting uWSGI … on [Sat Nov 21 09:17:44 2026]"
    }

    // W with DJANGO_SETTINGS_MODULE=labsite.settingz.
    @Test func uwsgiBadSettingsModule() throws {
        let failures = try Self.run("uwsgi-bad-settings")
        #expect(failures.map(\.cause) == [.badSettingsModule])
        #expect(failures.first?.detail == "labsite.settingz")
        #expect(failures.first?.exitCode == 22)
    }

    // W with --module labsite.wsgx: uWSGI prints the exception without a traceback.
    @Test func uwsgiMissingModule() throws {
        let failures = try Self.run("uwsgi-missing-module", appPackages: ["labsite"])
        #expect(failures.map(\.cause) == [.importError])
        #expect(failures.first?.detail == "labsite.wsgx")
    }

    // W with 127.0.0.1:8000 already bound.
    @Test func uwsgiPortInUse() throws {
        let failures = try Self.run("uwsgi-port-in-use")
        #expect(failures.count == 1)
        #expect(failures.first?.cause == .portInUse)
        #expect(failures.first?.detail == "127.0.0.1:8000")
        #expect(failures.first?.program == "uwsgi")
    }

    // The real uwsgi-missing-env log with the traceback lines removed: only GAME OVER is left.
    @Test func uwsgiNoAppLoadedWithoutTraceback() throws {
        let text = try Fixtures.text("applogs/uwsgi-missing-env.log")
        let lines = text.split(separator: "\n").filter {
            !$0.hasPrefix(" ") && !$0.hasPrefix("Traceback") && !$0.hasPrefix("KeyError")
        }
        let failures = AppServerLog.classify(lines: lines, source: "journal", firstLineNumber: nil)
        #expect(failures.map(\.cause) == [.noAppLoaded])
        #expect(failures.first?.decisiveLine == "*** no app loaded. GAME OVER ***")
        #expect(failures.first?.source == "journal")
        #expect(failures.first?.exitCode == 22)
    }

    // The real gunicorn-missing-env lines behind a `journalctl -o short-iso` prefix (the
    // prefix is added here; the lab has no systemd).
    @Test func journalPrefixIsStripped() throws {
        let text = try Fixtures.text("applogs/gunicorn-missing-env.log")
        let lines = text.split(separator: "\n").map { "2026-11-21T09:16:44+0000 vm gunicorn[14376]: " + $0 }
        let failures = AppServerLog.classify(lines: lines.map { Substring($0) }, source: "journal", firstLineNumber: nil)
        #expect(failures.map(\.cause) == [.missingEnvVar])
        #expect(failures.first?.occurrences == 2)
        #expect(failures.first?.program == "gunicorn")
        #expect(failures.first?.exitCode == 3)
    }

    // A crash loop (systemd Restart=always): the real gunicorn-missing-env start repeated 1000 times.
    @Test func crashLoopIsOneFailureCountingEveryWorkerBoot() throws {
        let text = try Fixtures.text("applogs/gunicorn-missing-env.log")
        let one = text.split(separator: "\n", omittingEmptySubsequences: false)
        let lines = Array(repeating: one, count: 1000).flatMap { $0 }
        let failures = AppServerLog.classify(lines: lines, source: "/var/log/app.log", firstLineNumber: 101)
        #expect(failures.count == 1)
        #expect(failures.first?.occurrences == 2000)
        #expect(failures.first?.exitCode == 3)
        #expect(failures.first?.source == "/var/log/app.log:165") // the first KeyError, line 65 of the window
    }

    // Request-time 500s are not boot failures. Lab/labsite with K, -w 1 / uvicorn, then
    // `curl http://127.0.0.1:8000/boom/` in the same namespace and SIGTERM (curl's own "500"
    // output line removed from the capture).
    @Test(arguments: ["gunicorn-request-error", "uvicorn-request-error"])
    func requestErrorsAreNotBootFailures(_ name: String) throws {
        let text = try Fixtures.text("applogs/\(name).log")
        #expect(text.contains("RuntimeError: boom: the lab asked for a 500"))
        #expect(try Self.run(name).isEmpty)
    }

    // A request error earlier in the window does not hide a later boot crash.
    @Test func bootCrashAfterRequestError() throws {
        let text = try Fixtures.text("applogs/gunicorn-request-error.log") + (try Fixtures.text("applogs/gunicorn-missing-env.log"))
        let failures = AppServerLog.classify(lines: text.split(separator: "\n"), source: "x", firstLineNumber: nil)
        #expect(failures.map(\.cause) == [.missingEnvVar])
        #expect(failures.first?.occurrences == 2)
    }

    @Test func healthyStartupHasNoFailure() throws {
        let lines: [Substring] = [
            "[2026-11-21 09:16:43 +0000] [14376] [INFO] Starting gunicorn 27.0.1",
            "[2026-11-21 09:16:43 +0000] [14376] [INFO] Listening at: http://127.0.0.1:8000 (14376)",
            "[2026-11-21 09:16:43 +0000] [14377] [INFO] Booting worker with pid: 14377",
        ]
        #expect(AppServerLog.classify(lines: lines, source: "x", firstLineNumber: 1).isEmpty)
    }

    @Test func decisiveLineIsRedacted() {
        let lines: [Substring] = [
            "Traceback (most recent call last):",
            "psycopg2.OperationalError: connection to server failed: postgres://app:hunter2@db:5432/app refused",
        ]
        let failures = AppServerLog.classify(lines: lines, source: "x", firstLineNumber: nil)
        #expect(failures.count == 1)
        #expect(failures.first?.decisiveLine.contains("hunter2") == false)
    }

    @Test func startupFailureRoundTripsAndUsesKebabCaseCauses() throws {
        let failure = StartupFailure(cause: .migrationsNotApplied, detail: "probe_item", decisiveLine: "x",
                                     source: "a:1", program: "gunicorn", exitCode: 3, occurrences: 2)
        let data = try JSONEncoder().encode(failure)
        #expect(String(decoding: data, as: UTF8.self).contains("\"migrations-not-applied\""))
        #expect(try JSONDecoder().decode(StartupFailure.self, from: data) == failure)
        #expect(StartupCause.allCases.count == 11)
    }
}
