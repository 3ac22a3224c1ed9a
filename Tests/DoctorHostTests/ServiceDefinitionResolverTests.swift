@testable import DoctorHost
import DoctorFacts
import DoctorParsers
import Foundation
import Testing

/// `ServiceDefinitionResolver` on real files: a temporary app layout (virtualenv scripts,
/// settings packages, env files) read through `LiveHost`, so every stat and read is the real one.
@Suite struct ServiceDefinitionResolverTests {
    let accounts = AccountDatabase(passwd: "root:x:0:0:root:/root:/bin/bash\nwww-data:x:33:33::/var/www:/usr/sbin/nologin\n",
                                   group: "root:x:0:\nwww-data:x:33:\n")

    /// `DIR/venv/bin/gunicorn` (a console script whose #! names DIR/venv/bin/python), a
    /// `pyvenv.cfg`, and `DIR/app/mysite/{settings.py,wsgi.py}` plus manage.py.
    func layout(_ dir: TemporaryDirectory, interpreter: Bool = true, settings: String = "SECRET_KEY = os.environ[\"DJANGO_SECRET_KEY\"]\n") throws {
        let fm = FileManager.default
        for sub in ["venv/bin", "venv/lib/python3.11/site-packages", "app/mysite"] {
            try fm.createDirectory(atPath: dir.file(sub), withIntermediateDirectories: true)
        }
        try dir.write("venv/pyvenv.cfg", "home = /usr/bin\n")
        try dir.write("venv/bin/gunicorn", "#!\(dir.file("venv/bin/python"))\nimport sys\n")
        if interpreter { try dir.write("venv/bin/python", "") }
        try dir.write("app/manage.py", "import django\n")
        try dir.write("app/mysite/__init__.py", "")
        try dir.write("app/mysite/settings.py", "import os\n" + settings)
        try dir.write("app/mysite/wsgi.py", "from django.core.wsgi import get_wsgi_application\n")
    }

    func spec(_ dir: TemporaryDirectory) -> ServiceSpec {
        ServiceSpec(manager: "supervisor", command: [dir.file("venv/bin/gunicorn"), "--chdir", dir.file("app"), "mysite.wsgi:application"],
                    commandLocation: "/etc/supervisor/conf.d/app.conf:2",
                    workingDirectory: .init(dir.file("app"), location: "/etc/supervisor/conf.d/app.conf:3"),
                    environment: [ServiceEnvironmentVariable(name: "DJANGO_SECRET_KEY", isEmpty: false, location: "/etc/supervisor/conf.d/app.conf:4")],
                    settingsModule: ServiceSetting(value: "mysite.settings", location: "/etc/supervisor/conf.d/app.conf:4"))
    }

    @Test func healthyLayoutResolvesEverything() throws {
        let dir = try TemporaryDirectory()
        try layout(dir)
        var spec = spec(dir)
        spec.user = ServiceSetting(value: "www-data", location: "x:5")
        let (definition, unavailable) = ServiceDefinitionResolver(host: LiveHost(), accounts: accounts).resolve(spec)
        #expect(unavailable.isEmpty, "\(unavailable)")
        #expect(definition.executable?.kind == .regular)
        #expect(definition.executable?.location == "/etc/supervisor/conf.d/app.conf:2")
        #expect(definition.interpreter == ServicePath(path: dir.file("venv/bin/python"), kind: .regular, location: "/etc/supervisor/conf.d/app.conf:2"))
        #expect(definition.workingDirectory?.kind == .directory)
        #expect(definition.user == ServiceAccount(name: "www-data", exists: true, location: "x:5"))
        #expect(definition.settingsModule?.foundFile == dir.file("app/mysite/settings.py"))
        #expect(definition.settingsModule?.exists == true)
        #expect(definition.secretKeySetting == SecretKeySetting(source: .environment, variable: "DJANGO_SECRET_KEY",
                                                                location: dir.file("app/mysite/settings.py") + ":2"))
        #expect(definition.djangoMarkers.count == 3, "\(definition.djangoMarkers)")
    }

    @Test func missingBinaryInterpreterDirectoryAndAccounts() throws {
        let dir = try TemporaryDirectory()
        try layout(dir, interpreter: false)
        var spec = spec(dir)
        spec.user = ServiceSetting(value: "deploy", location: "x:5")
        spec.group = ServiceSetting(value: "1001", location: "x:6")
        spec.workingDirectory = .init(dir.file("gone"), location: "x:3")
        let resolver = ServiceDefinitionResolver(host: LiveHost(), accounts: accounts)
        let (definition, _) = resolver.resolve(spec)
        #expect(definition.interpreter?.kind == .missing)
        #expect(definition.workingDirectory?.kind == .missing)
        #expect(definition.user?.exists == false)
        #expect(definition.group?.exists == true, "a numeric gid needs no /etc/group entry")

        spec.command[0] = dir.file("venv2/bin/gunicorn")
        let (moved, _) = resolver.resolve(spec)
        #expect(moved.executable?.kind == .missing)
        #expect(moved.interpreter == nil)

        let (unknownAccounts, _) = ServiceDefinitionResolver(host: LiveHost(), accounts: nil).resolve(spec)
        #expect(unknownAccounts.user?.exists == nil, "unreadable /etc/passwd: undecided, not unknown")
    }

    @Test func environmentFilesKeysOnlyAndTheSettingsModuleTheySet() throws {
        let dir = try TemporaryDirectory()
        try layout(dir)
        let env = try dir.write("app.env", "# app\nDJANGO_SECRET_KEY=\nDJANGO_SETTINGS_MODULE=\"mysite.prod\"\nexport X=1\n")
        var spec = spec(dir)
        spec.environmentFiles = [.init(env, location: "u:7"), .init(dir.file("missing.env"), optional: true, location: "u:8"),
                                 .init(dir.file("required.env"), location: "u:9")]
        let (definition, _) = ServiceDefinitionResolver(host: LiveHost(), accounts: accounts).resolve(spec)
        let files = definition.environmentFiles
        #expect(files.count == 3)
        #expect(files[0].keys?.map(\.name) == ["DJANGO_SECRET_KEY", "DJANGO_SETTINGS_MODULE"], "systemd ignores `export X=1`")
        #expect(files[0].keys?.first?.isEmpty == true)
        #expect(files[0].keys?.first?.location == env + ":2")
        #expect(files[1].file.kind == .missing && files[1].file.optional)
        #expect(files[2].file.kind == .missing && !files[2].file.optional)
        // The env file overrides the inline value, and mysite.prod has no module.
        #expect(definition.settingsModule?.module == "mysite.prod")
        #expect(definition.settingsModule?.location == env + ":3")
        #expect(definition.settingsModule?.exists == false)
        #expect(definition.settingsModule?.searchDirectory?.hasPrefix(dir.file("app")) == true)
    }

    @Test func aSnapshotKeepsEnvironmentFileNamesNotValues() throws {
        // Names that do not look secret still hold secrets (a Stripe key, a Sentry DSN without a
        // password): a recording keeps every name, which are empty, and the settings module.
        let dir = try TemporaryDirectory()
        try layout(dir)
        let env = try dir.write("app.env", """
            # app
            STRIPE_LIVE=sk_live_51abc
            SENTRY_URL="https://f00dfeed@o1.ingest.sentry.io/1"
            EMPTY=
            QUOTED_EMPTY=""
            DJANGO_SETTINGS_MODULE="mysite.prod"
            sk_pasted_without_a_name
            MULTI="first \\
            """)
        var spec = spec(dir)
        spec.environmentFiles = [.init(env, location: "u:7")]
        let recorder = SnapshotRecorder(wrapping: LiveHost(), gwdoctorVersion: "0.0-test")
        let (live, _) = ServiceDefinitionResolver(host: recorder, accounts: accounts).resolve(spec)
        let output = try TemporaryDirectory()
        try recorder.write(to: output.file("snap"))
        let copy = try String(contentsOfFile: output.file("snap") + "/" + SnapshotLayout.copyPath(for: env), encoding: .utf8)
        for secret in ["sk_live_51abc", "f00dfeed", "first", "sk_pasted"] {
            #expect(!copy.contains(secret), "\(secret) in the snapshot:\n\(copy)")
        }
        #expect(copy.contains("STRIPE_LIVE=[REDACTED]\nSENTRY_URL=\"[REDACTED]\"\nEMPTY=\nQUOTED_EMPTY=\"\"\nDJANGO_SETTINGS_MODULE=\"mysite.prod\""))
        let (replayed, _) = ServiceDefinitionResolver(host: try SnapshotHost(directory: output.file("snap")), accounts: accounts).resolve(spec)
        #expect(replayed.environmentFiles == live.environmentFiles)
        #expect(replayed.settingsModule == live.settingsModule)
        #expect(live.environmentFiles.first?.keys?.map(\.isEmpty) == [false, false, true, true, false])
        #expect(replayed.environmentFiles.first?.keys?.map(\.name).contains("MULTI") == false, "an unclosed quote stays unclosed")
    }

    @Test func settingsPackageAndStarImportedSecretKey() throws {
        let dir = try TemporaryDirectory()
        try layout(dir)
        try FileManager.default.createDirectory(atPath: dir.file("app/mysite/settings"), withIntermediateDirectories: true)
        try FileManager.default.removeItem(atPath: dir.file("app/mysite/settings.py"))
        try dir.write("app/mysite/settings/__init__.py", "")
        try dir.write("app/mysite/settings/base.py", "SECRET_KEY = 'dev-only-literal'\n")
        try dir.write("app/mysite/settings/prod.py", "from .base import *\nDEBUG = False\n")
        var spec = spec(dir)
        spec.settingsModule = ServiceSetting(value: "mysite.settings.prod", location: "x:4")
        let (definition, _) = ServiceDefinitionResolver(host: LiveHost(), accounts: accounts).resolve(spec)
        #expect(definition.settingsModule?.foundFile == dir.file("app/mysite/settings/prod.py"))
        #expect(definition.secretKeySetting?.source == .literal)
        #expect(definition.secretKeySetting?.location == dir.file("app/mysite/settings/base.py") + ":1")
    }

    @Test func gunicornEnvOptionAndDotenvTheAppLoads() throws {
        let dir = try TemporaryDirectory()
        try layout(dir, settings: "import environ\nenviron.Env.read_env()\nSECRET_KEY = env('SECRET_KEY')\n")
        try dir.write("app/.env", "SECRET_KEY=abc\n")
        var spec = spec(dir)
        spec.settingsModule = nil
        spec.command += ["-e", "DJANGO_SETTINGS_MODULE=mysite.settings"]
        let (definition, _) = ServiceDefinitionResolver(host: LiveHost(), accounts: accounts).resolve(spec)
        #expect(definition.settingsModule?.exists == true)
        #expect(definition.secretKeySetting?.variable == "SECRET_KEY")
        let dotenv = definition.environmentFiles.first { $0.file.path == dir.file("app/.env") }
        #expect(dotenv?.file.optional == true)
        #expect(dotenv?.keys?.map(\.name) == ["SECRET_KEY"])
    }

    @Test func socketDirectoriesAndPythonpathMakesAnUnfoundModuleUndecided() throws {
        let dir = try TemporaryDirectory()
        try layout(dir)
        var spec = spec(dir)
        spec.unixSockets = ["/var/run/gwdoctor-test-none/app.sock", dir.file("app.sock")]
        spec.runtimeDirectories = ["gwdoctor-test-none"]
        spec.settingsModule = ServiceSetting(value: "elsewhere.settings", location: "x:4")
        spec.environment.append(ServiceEnvironmentVariable(name: "PYTHONPATH", isEmpty: false, location: "x:4"))
        let (definition, _) = ServiceDefinitionResolver(host: LiveHost(), accounts: accounts).resolve(spec)
        #expect(definition.socketDirectories.map(\.path) == ["/var/run/gwdoctor-test-none", dir.path])
        #expect(definition.socketDirectories.map(\.kind) == [.missing, .directory])
        #expect(definition.runtimeDirectories == ["/run/gwdoctor-test-none"])
        #expect(definition.settingsModule?.exists == nil)
    }

    @Test func oversizedAndBinaryEnvFilesAreUnavailableNotParsed() throws {
        let dir = try TemporaryDirectory()
        try layout(dir)
        let big = try dir.write("big.env", String(repeating: "A=1\n", count: 300_000))
        let binary = dir.file("bin.env")
        try Data([0x41, 0x3D, 0x00, 0x01]).write(to: URL(fileURLWithPath: binary))
        var spec = spec(dir)
        spec.environmentFiles = [.init(big), .init(binary)]
        let (definition, unavailable) = ServiceDefinitionResolver(host: LiveHost(), accounts: accounts).resolve(spec)
        #expect(definition.environmentFiles.allSatisfy { $0.keys == nil && $0.unreadableReason != nil })
        #expect(unavailable.map(\.what) == ["environment file \(big)", "environment file \(binary)"])
    }

    @Test func secretKeyFallbacksAreNotEnvironmentReads() {
        let cases: [(String, SecretKeySetting.Source, String?)] = [
            ("os.environ[\"DJANGO_SECRET_KEY\"]  # or fail", .environment, "DJANGO_SECRET_KEY"),
            ("os.environ.get('SECRET_KEY')", .environment, "SECRET_KEY"),
            ("os.environ.get('SECRET_KEY', 'dev-insecure')", .other, nil),
            ("os.getenv(\"SECRET_KEY\") or 'dev'", .other, nil),
            ("env('SECRET_KEY', default='x')", .other, nil),
            ("config('SECRET_KEY')", .environment, "SECRET_KEY"),
            ("'django-insecure-abc'", .literal, nil),
            ("open('/etc/app/key').read().strip()", .other, nil),
        ]
        for (value, source, variable) in cases {
            let setting = ServiceDefinitionResolver.classifySecretKey(value, location: "s.py:1")
            #expect(setting.source == source, "\(value)")
            if source == .environment { #expect(setting.variable == variable, "\(value)") }
        }
    }

    @Test func commandOptionsPerServer() {
        let gunicorn = ServiceDefinitionResolver.commandOptions(["/v/bin/gunicorn", "-w", "4", "-c", "conf.py", "--pythonpath", "a,b",
                                                                 "--chdir=/srv/x", "-eA=1", "m.wsgi:app"])
        #expect(gunicorn.appTargets == ["m.wsgi"], "gunicorn -w is workers, not a module")
        #expect(gunicorn.configFile == "conf.py")
        #expect(gunicorn.importDirectories == ["/srv/x", "a", "b"])
        #expect(gunicorn.environment.map(\.name) == ["A"])
        let uwsgi = ServiceDefinitionResolver.commandOptions(["/usr/bin/uwsgi", "--ini", "app.ini", "-w", "mysite.wsgi", "--chdir", "/srv/y"])
        #expect(uwsgi.appTargets == ["mysite.wsgi"])
        #expect(uwsgi.configFile == "app.ini")
        let uvicorn = ServiceDefinitionResolver.commandOptions(["/v/bin/uvicorn", "--app-dir", "src", "--env-file", ".env", "m.asgi:app"])
        #expect(uvicorn.dotenvFiles == [".env"])
        #expect(uvicorn.importDirectories == ["src"])
    }

    @Test func dynamicUserAndAServerConfigFileLeaveNothingToReport() throws {
        let dir = try TemporaryDirectory()
        try layout(dir)
        var spec = spec(dir)
        spec.user = ServiceSetting(value: "myapp", location: "u:5")
        spec.dynamicUser = true
        spec.settingsModule = ServiceSetting(value: "mysite.elsewhere", location: "u:4")
        spec.command.insert(contentsOf: ["-c", "gunicorn.conf.py"], at: 1)
        let (definition, _) = ServiceDefinitionResolver(host: LiveHost(), accounts: accounts).resolve(spec)
        #expect(definition.user?.exists == true)
        #expect(definition.settingsModule?.exists == nil, "the config file may chdir or set pythonpath")
    }

    @Test func uvicornEnvFileIsReadAsDotenv() throws {
        let dir = try TemporaryDirectory()
        try layout(dir)
        try dir.write("app/.env.prod", "export SECRET_KEY=abc\nDJANGO_SETTINGS_MODULE=mysite.settings\n")
        var spec = spec(dir)
        spec.settingsModule = nil
        spec.command = [dir.file("venv/bin/uvicorn"), "--env-file", ".env.prod", "mysite.asgi:application"]
        let (definition, _) = ServiceDefinitionResolver(host: LiveHost(), accounts: accounts).resolve(spec)
        let file = try #require(definition.environmentFiles.first)
        #expect(file.file.path == dir.file("app/.env.prod") && file.file.optional)
        #expect(file.keys?.map(\.name) == ["SECRET_KEY", "DJANGO_SETTINGS_MODULE"], "dotenv strips export")
        #expect(definition.settingsModule?.exists == true)
    }

    @Test func execStartPreMkdirCreatesTheSocketDirectoryAtBoot() {
        let created = ServiceDefinitionResolver.createdDirectories([
            (["/bin/mkdir", "-p", "-m", "0755", "/var/run/app/"], "u:6"),
            (["/usr/bin/install", "-d", "-o", "www-data", "/run/other"], "u:7"),
            (["/usr/bin/install", "-m", "0644", "a", "/etc/b"], "u:8"),
        ])
        #expect(created == [ServiceSetting(value: "/run/app", location: "u:6"), ServiceSetting(value: "/run/other", location: "u:7")])
    }

    @Test func supervisorProgramSourceLinesAndEnvironmentEntries() {
        let text = """
            [supervisord]
            nodaemon=true

            [program:app]
            command=/srv/venv/bin/gunicorn app.wsgi
            ; a comment
            environment=DJANGO_SETTINGS_MODULE="mysite.settings",DJANGO_SECRET_KEY="",OTHER='a,b'
            autorestart=false
            user = deploy
            """
        let sources = SupervisorProgramSources.parse(text, file: "/etc/supervisor/conf.d/app.conf")
        let app = sources["app"]
        #expect(app?.location("command", file: "f") == "f:5")
        #expect(app?.location("environment", file: "f") == "f:7")
        #expect(app?.location("user", file: "f") == "f:9")
        #expect(app?.environment == [
            SupervisorEnvironmentEntry(name: "DJANGO_SETTINGS_MODULE", isEmpty: false, settingsModule: "mysite.settings"),
            SupervisorEnvironmentEntry(name: "DJANGO_SECRET_KEY", isEmpty: true),
            SupervisorEnvironmentEntry(name: "OTHER", isEmpty: false),
        ])
        #expect(ServiceDefinitionResolver.settingsModule(inAssignments: "A=1 \"DJANGO_SETTINGS_MODULE=x.prod\" B=2") == "x.prod")
        #expect(ServiceDefinitionResolver.settingsModule(inAssignments: "MY_DJANGO_SETTINGS_MODULE=x") == nil)
    }
}
