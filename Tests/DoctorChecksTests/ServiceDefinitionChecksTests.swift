import DoctorChecks
import DoctorFacts
import Testing

/// The service-definition checks on built facts: the edges the lab fixtures do not reach
/// (optional paths, numeric ids, literal secret keys, /var/run, the ranking against
/// `app-startup-crash` and `target-not-listening`).
@Suite struct ServiceDefinitionChecksTests {
    private let route = Route(proxy: .nginx, listen: ["127.0.0.1:8080"], serverNames: ["lab.test"], location: "/",
                              directive: "proxy_pass", target: .endpoint(scheme: "http", .tcp(host: "127.0.0.1", port: 8000)),
                              source: SourceLocation(file: "/etc/nginx/sites-enabled/app", line: 12))
    private let conf = "/etc/systemd/system/app.service"

    private func service(_ definition: ServiceDefinition, state: String = "failed", manager: String = "systemd") -> ManagedService {
        var service = ManagedService(manager: manager, name: manager == "systemd" ? "app.service" : "app", state: state,
                                     command: ["/srv/app/venv/bin/gunicorn", "app.wsgi:application"],
                                     binds: [AppServerBind(endpoint: .tcp(host: "127.0.0.1", port: 8000), raw: "127.0.0.1:8000", source: "command line")],
                                     source: "\(conf):1")
        service.definition = definition
        return service
    }

    private func facts(_ services: ManagedService...) -> Facts {
        var facts = Facts(proxies: [ProxyInstance(kind: .nginx, configPath: "/etc/nginx/nginx.conf", masterPID: 1)], routes: [route])
        facts.services = services
        return facts
    }

    /// A definition where everything resolves.
    private var healthy: ServiceDefinition {
        var definition = ServiceDefinition(
            executable: ServicePath(path: "/srv/app/venv/bin/gunicorn", kind: .regular, location: "\(conf):7"),
            workingDirectory: ServicePath(path: "/srv/app", kind: .directory, location: "\(conf):6"),
            environmentFiles: [ServiceEnvironmentFile(file: ServicePath(path: "/etc/app/env", kind: .regular, location: "\(conf):8"),
                                                      keys: [ServiceEnvironmentVariable(name: "DJANGO_SECRET_KEY", isEmpty: false, location: "/etc/app/env:1")])],
            user: ServiceAccount(name: "www-data", exists: true, location: "\(conf):9"),
            restart: ServiceSetting(value: "on-failure", location: "\(conf):10"),
            settingsModule: SettingsModuleReference(module: "app.settings", location: "/etc/app/env:2", searchDirectory: "/srv/app",
                                                    foundFile: "/srv/app/app/settings.py", exists: true))
        definition.interpreter = ServicePath(path: "/srv/app/venv/bin/python", kind: .regular)
        definition.djangoMarkers = ["DJANGO_SETTINGS_MODULE is set (/etc/app/env:2)"]
        definition.secretKeySetting = SecretKeySetting(source: .environment, variable: "DJANGO_SECRET_KEY", location: "/srv/app/app/settings.py:20")
        return definition
    }

    private let serviceChecks: [any Check] = [ExecMissingCheck(), WorkingDirectoryMissingCheck(), EnvironmentFileMissingCheck(),
                                              ServiceUserUnknownCheck(), RuntimeDirectoryMissingCheck(), SecretKeyMissingCheck(),
                                              SettingsModuleMissingCheck(), RestartPolicyMissingCheck()]

    @Test func aHealthyDefinitionIsSilentForEveryCheck() {
        let facts = facts(service(healthy, state: "active"))
        for check in serviceChecks {
            #expect(check.run(facts).isEmpty, "\(check.id) fired on a healthy definition")
        }
    }

    @Test func aMissingInterpreterIsExecMissingAndExplainsNothingListening() throws {
        var definition = healthy
        definition.interpreter?.kind = .missing
        let facts = facts(service(definition))
        let finding = try #require(ExecMissingCheck().run(facts).first)
        #expect(finding.severity == .critical)
        #expect(finding.summary.contains("interpreter /srv/app/venv/bin/python"))
        #expect(finding.fix.first?.contains("\(conf):7") == true)
        let notListening = Finding(check: "target-not-listening", layer: .upstream, severity: .critical, summary: "nothing listens",
                                   route: route.label)
        let diagnosis = VerdictRanker.rank([notListening, finding], facts: facts)
        #expect(diagnosis.verdict.check == "exec-missing")
        #expect(diagnosis.verdict.layer == .startup)
    }

    @Test func aRealTracebackStaysTheVerdictOverTheStaticSettingsFinding() throws {
        var definition = healthy
        definition.settingsModule?.exists = false
        definition.settingsModule?.foundFile = nil
        var crashed = service(definition, state: "FATAL", manager: "supervisor")
        crashed.startupFailures = [StartupFailure(cause: .badSettingsModule, detail: "app.settingz",
                                                  decisiveLine: "ModuleNotFoundError: No module named 'app.settingz'",
                                                  source: "/var/log/app.err.log:9", program: "gunicorn", occurrences: 3)]
        let facts = facts(crashed)
        let findings = SettingsModuleMissingCheck().run(facts) + AppStartupCrashCheck().run(facts)
            + [Finding(check: "target-not-listening", layer: .upstream, severity: .critical, summary: "nothing listens", route: route.label)]
        #expect(findings.filter { $0.severity == .critical }.count == 3)
        #expect(VerdictRanker.rank(findings, facts: facts).verdict.check == "app-startup-crash")
    }

    @Test func optionalPathsAndNumericOrUndecidedAccountsAreSilent() {
        var definition = healthy
        definition.workingDirectory = ServicePath(path: "/srv/gone", kind: .missing, optional: true, location: "\(conf):6")
        definition.environmentFiles.append(ServiceEnvironmentFile(file: ServicePath(path: "/etc/app/local", kind: .missing, optional: true),
                                                                  keys: nil, unreadableReason: "missing"))
        definition.user = ServiceAccount(name: "deploy", exists: nil)
        let facts = facts(service(definition))
        #expect(WorkingDirectoryMissingCheck().run(facts).isEmpty)
        #expect(EnvironmentFileMissingCheck().run(facts).isEmpty)
        #expect(ServiceUserUnknownCheck().run(facts).isEmpty)
        #expect(SecretKeyMissingCheck().run(facts).isEmpty, "an optional missing file does not hide the key")
    }

    @Test func aRunningServiceGetsWarningsAndAGroupIsNamed() throws {
        var definition = healthy
        definition.group = ServiceAccount(name: "webapps", exists: false, location: "\(conf):11")
        let finding = try #require(ServiceUserUnknownCheck().run(facts(service(definition, state: "active"))).first)
        #expect(finding.severity == .warning)
        #expect(finding.summary.contains("group webapps"))
        #expect(finding.fix.first?.contains("Group= at \(conf):11") == true)
    }

    @Test func runtimeDirectoryCoverageAndSeverity() throws {
        var definition = healthy
        definition.socketDirectories = [ServicePath(path: "/var/run/app", kind: .directory)]
        let running = facts(service(definition, state: "active"))
        let warning = try #require(RuntimeDirectoryMissingCheck().run(running).first)
        #expect(warning.severity == .warning)
        #expect(warning.fix.first?.contains("RuntimeDirectory=app") == true)

        definition.runtimeDirectories = ["/run/app"]
        #expect(RuntimeDirectoryMissingCheck().run(facts(service(definition, state: "active"))).isEmpty, "/var/run is /run")
        definition.runtimeDirectories = []
        definition.bootCreatedDirectories = [ServiceSetting(value: "/run/app", location: "/etc/tmpfiles.d/app.conf:1")]
        #expect(RuntimeDirectoryMissingCheck().run(facts(service(definition, state: "active"))).isEmpty, "tmpfiles.d creates it")

        definition.bootCreatedDirectories = []
        definition.socketDirectories = [ServicePath(path: "/run", kind: .directory), ServicePath(path: "/srv/app/run", kind: .missing)]
        #expect(RuntimeDirectoryMissingCheck().run(facts(service(definition))).isEmpty, "/run itself and paths outside /run")

        definition.socketDirectories = [ServicePath(path: "/run/app", kind: .missing)]
        var unix = service(definition, state: "active")
        unix.binds = [AppServerBind(endpoint: .unix(path: "/run/app/app.sock"), raw: "unix:/run/app/app.sock", source: "command line")]
        var unixFacts = facts(unix)
        unixFacts.routes = [Route(proxy: .nginx, listen: ["80"], serverNames: ["lab.test"], location: "/", directive: "proxy_pass",
                                  target: .endpoint(scheme: "http", .unix(path: "/run/app/app.sock")),
                                  source: SourceLocation(file: "/etc/nginx/sites-enabled/app", line: 3))]
        #expect(RuntimeDirectoryMissingCheck().run(unixFacts).first?.severity == .critical,
                "missing behind a route: nothing can bind there, whatever the state says")
    }

    @Test func secretKeyDependsOnHowTheSettingsReadIt() throws {
        var definition = healthy
        definition.environmentFiles[0].keys = [ServiceEnvironmentVariable(name: "DJANGO_SECRET_KEY", isEmpty: true, location: "/etc/app/env:1")]
        let empty = try #require(SecretKeyMissingCheck().run(facts(service(definition))).first)
        #expect(empty.summary.contains("DJANGO_SECRET_KEY is set but empty (/etc/app/env:1)"))
        #expect(empty.fix.first?.contains("/etc/app/env:1") == true)
        #expect(empty.evidence.first?.text.contains("checked: /etc/app/env") == true)

        definition.secretKeySetting = SecretKeySetting(source: .literal, location: "/srv/app/app/settings.py:20")
        #expect(SecretKeyMissingCheck().run(facts(service(definition))).isEmpty, "a literal key needs no environment")

        definition.secretKeySetting = SecretKeySetting(source: .environment, variable: "APP_KEY", location: "/srv/app/app/settings.py:20")
        definition.environmentFiles[0].keys = [ServiceEnvironmentVariable(name: "DJANGO_SECRET_KEY", isEmpty: false, location: "/etc/app/env:1")]
        let renamed = try #require(SecretKeyMissingCheck().run(facts(service(definition))).first, "the settings read APP_KEY")
        #expect(renamed.summary.contains("APP_KEY is not set"))

        definition.djangoMarkers = []
        #expect(SecretKeyMissingCheck().run(facts(service(definition))).isEmpty, "not Django: no opinion")

        definition = healthy
        definition.environmentFiles[0].keys = nil
        definition.environmentFiles[0].unreadableReason = "permission denied"
        #expect(SecretKeyMissingCheck().run(facts(service(definition))).isEmpty, "an unreadable file may hold it")
    }

    @Test func restartPolicyPerManager() throws {
        var definition = healthy
        definition.restart = nil
        let systemd = try #require(RestartPolicyMissingCheck().run(facts(service(definition, state: "active"))).first)
        #expect(systemd.severity == .warning)
        #expect(systemd.layer == .upstream)
        definition.restart = ServiceSetting(value: "no", location: "\(conf):10")
        #expect(RestartPolicyMissingCheck().run(facts(service(definition, state: "failed"))).first?.severity == .warning,
                "never critical: it explains why it stayed down, not why it died")
        definition.restart = ServiceSetting(value: "unexpected")
        #expect(RestartPolicyMissingCheck().run(facts(service(definition, state: "RUNNING", manager: "supervisor"))).isEmpty)
        definition.restart = ServiceSetting(value: "false", location: "/etc/supervisor/conf.d/app.conf:5")
        let supervisor = try #require(RestartPolicyMissingCheck().run(facts(service(definition, state: "RUNNING", manager: "supervisor"))).first)
        #expect(supervisor.fix.first?.contains("/etc/supervisor/conf.d/app.conf:5") == true)
    }
}
