import DoctorChecks
import DoctorFacts
import Testing

@Suite struct AppStartupCrashCheckTests {
    private let route = Route(proxy: .nginx, listen: ["127.0.0.1:8080"], serverNames: ["lab.test"], location: "/",
                              directive: "proxy_pass", target: .endpoint(scheme: "http", .tcp(host: "127.0.0.1", port: 8000)),
                              source: SourceLocation(file: "/etc/nginx/sites-enabled/app", line: 12))

    private func service(state: String, failures: [StartupFailure]) -> ManagedService {
        ManagedService(manager: "supervisor", name: "app", state: state, stateDetail: "Exited too quickly",
                       command: ["/srv/venv/bin/gunicorn", "--bind", "127.0.0.1:8000", "app.wsgi:application"],
                       binds: [AppServerBind(endpoint: .tcp(host: "127.0.0.1", port: 8000), raw: "127.0.0.1:8000", source: "command line")],
                       logFiles: ["/var/log/app.err.log"], startupFailures: failures, source: "/etc/supervisor/conf.d/app.conf:1")
    }

    private let keyError = StartupFailure(cause: .missingEnvVar, detail: "DJANGO_SECRET_KEY",
                                          decisiveLine: "KeyError: 'DJANGO_SECRET_KEY'", source: "/var/log/app.err.log:41",
                                          program: "gunicorn", exitCode: 3, occurrences: 4)

    @Test func crashOnBootIsTheVerdictOverNothingListening() {
        let notListening = Finding(check: "target-not-listening", layer: .upstream, severity: .critical,
                                   summary: "Nothing listens at 127.0.0.1:8000", route: route.label)
        var facts = Facts(proxies: [ProxyInstance(kind: .nginx, configPath: "/etc/nginx/nginx.conf", masterPID: 1)], routes: [route])
        facts.services = [service(state: "FATAL", failures: [keyError])]
        let crash = AppStartupCrashCheck().run(facts)
        #expect(crash.count == 1)
        #expect(crash.first?.cause == "missing-env-var")
        #expect(crash.first?.severity == .critical)
        #expect(crash.first?.evidence.first?.source == "/var/log/app.err.log:41")
        #expect(crash.first?.summary.contains("DJANGO_SECRET_KEY") == true)
        #expect(crash.first?.fix.last?.contains("supervisorctl restart app") == true)
        let diagnosis = VerdictRanker.rank(crash + [notListening], facts: facts,
                                           checks: CheckCatalog.all.filter { $0.id != "app-startup-crash" } + [AppStartupCrashCheck()])
        #expect(diagnosis.verdict.check == "app-startup-crash")
        #expect(diagnosis.verdict.layer == Layer.startup)
        #expect(diagnosis.verdict.cause == "missing-env-var")
    }

    @Test func bootedSinceIsAWarningAndNoFailuresIsSilent() {
        var running = Facts(routes: [route], listeners: [Listener(endpoint: .tcp(host: "127.0.0.1", port: 8000), inode: 5, pids: [9])])
        running.services = [service(state: "RUNNING", failures: [keyError])]
        #expect(AppStartupCrashCheck().run(running).first?.severity == .warning)
        var healthy = Facts(routes: [route])
        healthy.services = [service(state: "RUNNING", failures: [])]
        #expect(AppStartupCrashCheck().run(healthy).isEmpty)
    }

    @Test func aCrashNoRoutePointsAtIsOnlyAWarning() {
        var other = service(state: "FATAL", failures: [keyError])
        other.binds = [AppServerBind(endpoint: .tcp(host: "127.0.0.1", port: 9100), raw: "127.0.0.1:9100", source: "command line")]
        var facts = Facts(routes: [route])
        facts.services = [other]
        let finding = AppStartupCrashCheck().run(facts).first
        #expect(finding?.severity == .warning)
        #expect(finding?.route == nil)
        #expect(finding?.summary.contains("no route diagnosed here points at it") == true)
    }

    @Test func secretValuesNeverReachTheFinding() {
        let leaky = StartupFailure(cause: .databaseUnreachable, detail: "127.0.0.1:5433",
                                   decisiveLine: "OperationalError: could not connect: postgres://app:hunter2@127.0.0.1:5433/app",
                                   source: "/var/log/app.err.log:9", program: "gunicorn")
        var facts = Facts(routes: [route])
        facts.services = [service(state: "BACKOFF", failures: [leaky])]
        let text = AppStartupCrashCheck().run(facts).flatMap { [$0.summary] + $0.evidence.map(\.text) + $0.fix }.joined()
        #expect(!text.contains("hunter2"))
    }
}
