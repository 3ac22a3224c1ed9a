import DoctorParsers
import Foundation
import Testing

/// The values the migration reader hands to `manage.py shell` (and nothing else), read from
/// the config shapes real deployments use: supervisord program sections (one line, continued
/// over indented lines, `%(ENV_X)s` and `%(here)s`), a uWSGI ini's `env =` lines, a
/// gunicorn.conf.py's `raw_env`, and `/proc/PID/environ`. Values are compared here because
/// this is the one parser that must keep them; every rendering of the result shows names only.
@Suite("Migration command environment: real config shapes")
struct MigrationCommandEnvironmentShapeTests {
    /// The shape of Debian's /etc/supervisor/conf.d/app.conf with a multi-line environment
    /// (as supervisord's docs and most deploy guides write it), inline comments included.
    static let supervisorMultiLine = """
        [program:app]
        command=/srv/app/current/venv/bin/gunicorn --chdir /srv/app/current -c /srv/app/current/gunicorn.conf.py mysite.wsgi
        directory=/srv/app/current
        environment=
            DJANGO_SETTINGS_MODULE="mysite.settings.production",
            DATABASE_URL="postgres://app:s3cr%%et@db:5432/app",   ; %% is a literal percent
            ALLOWED_HOSTS="example.com,www.example.com",
            HOME="%(here)s",
            API_TOKEN="%(ENV_APP_API_TOKEN)s",
            EMPTY=""
        autorestart=true

        [program:other]
        command=/bin/sleep 1000
        environment=OTHER="not app's"
        """

    @Test("supervisord: environment= continued over indented lines, quoted commas, %% and inline comments, %(here)s and %(ENV_X)s from supervisord's environ")
    func supervisorMultiLineEnvironment() throws {
        let values = try #require(MigrationCommandEnvironmentParser.supervisorProgram(
            "app", configText: MigrationCommandEnvironmentShapeTests.supervisorMultiLine, file: "/etc/supervisor/conf.d/app.conf",
            supervisordEnvironment: ["APP_API_TOKEN": "tok-123", "PATH": "/usr/bin"])).values
        #expect(values == [
            "DJANGO_SETTINGS_MODULE": "mysite.settings.production",
            "DATABASE_URL": "postgres://app:s3cr%et@db:5432/app",
            "ALLOWED_HOSTS": "example.com,www.example.com",
            "HOME": "/etc/supervisor/conf.d",
            "API_TOKEN": "tok-123",
            "EMPTY": "",
        ], "\(values)")
        // Without supervisord's environ the expansion stays unresolved (and is passed as written, as a missing one would fail).
        let bare = try #require(MigrationCommandEnvironmentParser.supervisorProgram(
            "app", configText: MigrationCommandEnvironmentShapeTests.supervisorMultiLine, file: "/etc/supervisor/conf.d/app.conf"))
        #expect(bare.values["API_TOKEN"] == "%(ENV_APP_API_TOKEN)s")
        #expect(MigrationCommandEnvironmentParser.supervisorProgram("missing", configText: MigrationCommandEnvironmentShapeTests.supervisorMultiLine, file: "/x.conf") == nil)
        #expect(MigrationCommandEnvironmentParser.supervisorProgram("other", configText: MigrationCommandEnvironmentShapeTests.supervisorMultiLine, file: "/x.conf")?.values
                == ["OTHER": "not app's"])
    }

    @Test("supervisord's /proc/PID/environ: NUL-separated, the value after the first =, odd entries skipped")
    func processEnvironment() {
        let environ = Array("PATH=/usr/bin:/bin\u{0}APP_API_TOKEN=a=b=c\u{0}\u{0}NOEQUALS\u{0}1BAD=x\u{0}EMPTY=\u{0}".utf8)
        #expect(MigrationCommandEnvironmentParser.processEnvironment(environ)
                == ["PATH": "/usr/bin:/bin", "APP_API_TOKEN": "a=b=c", "EMPTY": ""])
    }

    @Test("uWSGI ini: env = KEY=value lines of the section read, the value after the first = unquoted as uWSGI takes it, %d expanded")
    func uwsgiEnv() {
        // The shape of /etc/uwsgi/apps-enabled/app.ini (Debian) with the settings in env lines.
        let ini = """
            [uwsgi]
            plugins = python3
            chdir = /srv/app/current
            module = mysite.wsgi:application
            env = DJANGO_SETTINGS_MODULE=mysite.settings.production
            env = DATABASE_URL=postgres://app:pw@db/app?sslmode=require
            env=SECRET_KEY=abc def
            env = STATIC_ROOT=%dstatic
            ; env = COMMENTED=1
            env = NOT A NAME=1
            socket = /run/uwsgi/app.sock

            [staging]
            env = DJANGO_SETTINGS_MODULE=mysite.settings.staging
            """
        let values = MigrationCommandEnvironmentParser.uwsgiIni(ini, file: "/etc/uwsgi/apps-enabled/app.ini").values
        #expect(values == [
            "DJANGO_SETTINGS_MODULE": "mysite.settings.production",
            "DATABASE_URL": "postgres://app:pw@db/app?sslmode=require",
            "SECRET_KEY": "abc def",
            "STATIC_ROOT": "/etc/uwsgi/apps-enabled/static",
        ], "\(values)")
        #expect(MigrationCommandEnvironmentParser.uwsgiIni(ini, file: "/x.ini", section: "staging").values
                == ["DJANGO_SETTINGS_MODULE": "mysite.settings.staging"])
    }

    @Test("gunicorn.conf.py: raw_env as a list over several lines, a tuple, one string; the last assignment wins; computed values give nothing")
    func gunicornRawEnv() {
        let config = """
            import multiprocessing

            bind = "unix:/run/app.sock"
            workers = multiprocessing.cpu_count() * 2 + 1
            raw_env = ["OLD=1"]
            raw_env = [
                "DJANGO_SETTINGS_MODULE=mysite.settings.production",  # the settings
                'DATABASE_URL=postgres://app:pw@db/app',
                "URL_WITH_EQUALS=a=b",
                "NOEQUALS",
            ]
            """
        #expect(MigrationCommandEnvironmentParser.gunicornConfig(config).values == [
            "DJANGO_SETTINGS_MODULE": "mysite.settings.production",
            "DATABASE_URL": "postgres://app:pw@db/app",
            "URL_WITH_EQUALS": "a=b",
        ])
        #expect(MigrationCommandEnvironmentParser.gunicornConfig("raw_env = (\"A=1\", \"B=2\")\n").values == ["A": "1", "B": "2"])
        #expect(MigrationCommandEnvironmentParser.gunicornConfig("raw_env = 'A=1'\n").values == ["A": "1"])
        #expect(MigrationCommandEnvironmentParser.gunicornConfig("raw_env = [f\"A={x}\"]\n").isEmpty)
        #expect(MigrationCommandEnvironmentParser.gunicornConfig("def f():\n    raw_env = ['A=1']\n").isEmpty, "only top-level assignments")
    }

    @Test("what is read is never shown: description, debugDescription, a mirror and string interpolation name the variables only")
    func valuesAreNotShown() throws {
        let environment = try #require(MigrationCommandEnvironmentParser.supervisorProgram(
            "app", configText: MigrationCommandEnvironmentShapeTests.supervisorMultiLine, file: "/etc/supervisor/conf.d/app.conf",
            supervisordEnvironment: ["APP_API_TOKEN": "tok-123"]))
        var merged = environment
        merged.merge(MigrationCommandEnvironmentParser.gunicornConfig("raw_env = ['GUNICORN_SECRET=gs-456']\n"))
        merged.merge(MigrationCommandEnvironmentParser.uwsgiIni("[uwsgi]\nenv = UWSGI_SECRET=us-789\n", file: "/x.ini"))
        var dumped = ""
        dump(merged, to: &dumped)
        for shown in ["\(merged)", String(describing: merged), String(reflecting: merged), dumped] {
            for secret in ["tok-123", "s3cr%et", "gs-456", "us-789", "example.com"] {
                #expect(!shown.contains(secret), "\(secret) shown in: \(shown)")
            }
            #expect(shown.contains("GUNICORN_SECRET") && shown.contains("UWSGI_SECRET") && shown.contains("API_TOKEN"))
        }
    }
}
