import DoctorFacts
import DoctorParsers
import Testing

/// Keep-alive and request-size limits of app servers, with where each was read: what the
/// response checks (`keepalive-mismatch`, `request-too-large`) compare with nginx's settings.
/// The argv are those the lab's response scenarios run; the defaults were read from the
/// installed programs (gunicorn 27.0.1 `Config()`: keepalive 2, limit_request_line 4094,
/// limit_request_field_size 8190; uWSGI 2.0.21 logs `(max 4096)` without `buffer-size`;
/// uvicorn 0.54 `--timeout-keep-alive` 5).
@Suite("App server request limits")
struct AppServerRequestLimitsTests {
    private func parse(_ line: String, cwd: String? = "/srv/app") throws -> ParsedAppServer {
        try #require(AppServerCommandLine.parse(line.split(separator: " ").map(String.init), workingDirectory: cwd))
    }

    @Test func gunicornDefaultsForKeepAliveAndRequestLimits() throws {
        let parsed = try parse("/work/main/.lab-venv/bin/python3 /work/main/.lab-venv/bin/gunicorn --chdir /work/main/Lab/labsite --bind 127.0.0.1:8000 --workers 2 --no-control-socket --worker-class gthread --threads 2 labsite.wsgi:application")
        let limits = parsed.applying(configBinds: [], timeoutSeconds: nil).effectiveLimits
        #expect(limits.keepAlive == AppServerSetting("2", source: "default"))
        #expect(limits.requestLineLimit?.intValue == 4094)
        #expect(limits.requestFieldSizeLimit?.intValue == 8190)
        #expect(limits.bufferSize == nil)
        #expect(limits.workerClass == AppServerSetting("gthread", source: "command line"))
    }

    @Test func gunicornCommandLineWinsOverItsConfigFile() throws {
        let text = """
        bind = "127.0.0.1:8000"
        keepalive = 75
        limit_request_line = 8190
        worker_class = "gevent"
        """
        let file = GunicornConfigFile.limits(text, file: "/etc/app/gunicorn.conf.py")
        #expect(file.keepAlive == AppServerSetting("75", source: "/etc/app/gunicorn.conf.py:2"))
        #expect(file.requestLineLimit == AppServerSetting("8190", source: "/etc/app/gunicorn.conf.py:3"))

        let parsed = try parse("gunicorn -c /etc/app/gunicorn.conf.py --keep-alive=5 --limit-request-field_size 16380 app.wsgi")
        let limits = parsed.applying(configBinds: [], timeoutSeconds: nil, limits: file).effectiveLimits
        #expect(limits.keepAlive == AppServerSetting("5", source: "command line"))
        #expect(limits.requestLineLimit?.source == "/etc/app/gunicorn.conf.py:3")
        #expect(limits.requestFieldSizeLimit == AppServerSetting("16380", source: "command line"))
        #expect(limits.workerClass?.value == "gevent")
    }

    @Test func uwsgiBufferSizeAndLimitPostFromArgvAndIni() throws {
        // The argv of the lab's uwsgi-buffer-ok scenario.
        let argv = "/usr/bin/uwsgi --plugin python3 --master --processes 1 --die-on-term --socket 127.0.0.1:8000 --virtualenv /work/main/.lab-venv --chdir /work/main/Lab/labsite --module labsite.wsgi:application --need-app --logto /tmp/lab/logs/uwsgi.log -b 32768"
        let fromArgv = try parse(argv).applying(configBinds: [], timeoutSeconds: nil).effectiveLimits
        #expect(fromArgv.bufferSize == AppServerSetting("32768", source: "command line"))
        #expect(fromArgv.postLimit == nil)

        let ini = """
        [uwsgi]
        socket = /run/uwsgi/app.sock
        buffer-size = 16384
        limit-post = 10485760
        """
        let file = UWSGIIniFile.limits(ini, file: "/etc/uwsgi/apps-enabled/app.ini")
        #expect(file.bufferSize == AppServerSetting("16384", source: "/etc/uwsgi/apps-enabled/app.ini:3"))
        #expect(file.postLimit?.intValue == 10_485_760)

        let defaults = try parse("uwsgi --ini /etc/uwsgi/apps-enabled/app.ini").applying(configBinds: [], timeoutSeconds: nil).effectiveLimits
        #expect(defaults.bufferSize == AppServerSetting("4096", source: "default"))
        #expect(defaults.keepAlive == nil)
    }

    @Test func uvicornKeepAlive() throws {
        let set = try parse("/srv/venv/bin/uvicorn --host 127.0.0.1 --port 8000 --timeout-keep-alive 65 labsite.asgi:application")
        #expect(set.applying(configBinds: [], timeoutSeconds: nil).effectiveLimits.keepAlive == AppServerSetting("65", source: "command line"))
        let unset = try parse("/srv/venv/bin/uvicorn --uds /run/app.sock labsite.asgi:application")
        #expect(unset.applying(configBinds: [], timeoutSeconds: nil).effectiveLimits.keepAlive == AppServerSetting("5", source: "default"))
    }

    @Test func everySettingIsListedByName() {
        let limits = AppServerLimits(keepAlive: AppServerSetting("2", source: "default"),
                                     bufferSize: AppServerSetting("4096", source: "default"))
        let names = limits.settings.map(\.name)
        #expect(names.contains("keepalive") && names.contains("buffer-size"))
        let filled = AppServerLimits(postLimit: AppServerSetting("1", source: "command line")).filled(from: limits)
        #expect(filled.keepAlive?.value == "2" && filled.bufferSize?.value == "4096" && filled.postLimit?.value == "1")
    }
}
