import DoctorFacts

/// `app-startup-crash`: the app server behind a route dies while booting, and its own
/// log says why (missing env var, empty SECRET_KEY, bad settings module, import error,
/// missing package, wrong WSGI attribute, port in use, database down, migrations missing,
/// uWSGI "no app loaded"). It explains why nothing listens, so it becomes the verdict over
/// `target-not-listening` and the socket checks for the same route — and over
/// `target-mismatch` there: with the route's own app server dead, any other app server on
/// the machine (another site on :8001) looks like "the one meant", which it is not.
public struct AppStartupCrashCheck: Check {
    public init() {}

    public let id = "app-startup-crash"
    public let title = "The app server crashes while booting"
    public let layer = Layer.startup
    public let rationale = """
        A service manager (supervisord, systemd) restarts an app that dies on boot until it gives up \
        (FATAL, start-limit-hit); meanwhile nothing listens and nginx answers 502. The proxy's log only \
        says "connection refused" or "no such file"; the cause is in the app server's own log: the last \
        line of the boot traceback. gwdoctor quotes that one line (never the whole log) and names the cause.
        """
    public let fixText = """
        Fix what the decisive line names (the environment, the settings module, the package in the \
        virtualenv, the WSGI target, the port, the database, the migrations), then restart only the app \
        service (supervisorctl restart NAME, systemctl restart UNIT) and probe it directly before the proxy.
        """
    public let precedence = 5
    public var explains: Set<String> { ServiceFindings.explainedChecks.union(["target-mismatch"]) }

    public func run(_ facts: Facts) -> [Finding] {
        facts.services.compactMap { service in
            guard let failure = service.startupFailures.last else { return nil }
            let listening = service.binds.compactMap(\.endpoint).contains { !facts.listeners(for: $0).isEmpty }
            let up = service.isRunning && listening
            let route = ServiceFindings.route(for: service, in: facts)
            var evidence = [Evidence(kind: .log, text: failure.decisiveLine, source: failure.source)]
            if service.state != nil {
                evidence.append(Evidence(kind: .service, text: "\(who(service)): \(service.stateText)", source: service.statusCommand))
            }
            if failure.occurrences > 1 {
                evidence.append(Evidence(kind: .log, text: "\(failure.occurrences) boot attempts failed this way in the window",
                                         source: failure.source))
            }
            if let code = failure.exitCode {
                evidence.append(Evidence(kind: .log, text: "\(failure.program) exited with code \(code)", source: failure.source))
            }
            let what = describe(failure, facts: facts)
            let summary = up
                ? "\(failure.program) (\(who(service))) failed to boot \(ResponseWording.counted(failure.occurrences, "time")) in the window (\(what)) but runs now"
                : "\(failure.program) (\(who(service))) crashes on boot: \(what)"
            // A crash of a service no diagnosed route points at is a real problem, but not
            // this proxy's 502: report it without letting it take over the verdict.
            let severity: Severity = up || route == nil ? .warning : .critical
            let scopedSummary = route == nil && !facts.routes.isEmpty ? summary + " (no route diagnosed here points at it)" : summary
            return Finding(check: id, layer: layer, severity: severity, summary: scopedSummary,
                           route: route?.label, evidence: evidence, fix: fix(failure, service: service, facts: facts),
                           cause: failure.cause.rawValue)
        }
    }

    /// `supervisor app`, `systemd app.service`, `pid 412, no manager`.
    private func who(_ service: ManagedService) -> String {
        service.manager == "none" ? "\(service.name), no manager" : "\(service.manager) \(service.name)"
    }

    private func describe(_ failure: StartupFailure, facts: Facts) -> String {
        let detail = failure.detail ?? "?"
        switch failure.cause {
        case .missingEnvVar: return "environment variable \(detail) is not set"
        case .missingSecretKey: return "SECRET_KEY is empty or missing"
        case .badSettingsModule: return "DJANGO_SETTINGS_MODULE names \(detail), which does not import"
        case .importError: return "the app fails to import (\(detail))"
        case .missingPackage: return "package \(detail) is not installed in the virtualenv"
        case .missingAttribute: return "the WSGI/ASGI target \(detail) does not exist"
        case .portInUse:
            let holder = holderOf(detail, facts: facts).map { ", held by \($0)" } ?? ""
            return "\(detail) is already in use\(holder)"
        case .databaseUnreachable: return "the database is unreachable (\(detail))"
        case .migrationsNotApplied: return "migrations are not applied (\(detail) is missing)"
        case .noAppLoaded: return "uWSGI loaded no app"
        case .other: return failure.decisiveLine
        }
    }

    /// Who holds `host:port`, from the listener table.
    private func holderOf(_ address: String, facts: Facts) -> String? {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) else { return nil }
        var host = String(address[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return facts.server(for: .tcp(host: host.isEmpty ? "0.0.0.0" : host, port: port))?.label
    }

    private func fix(_ failure: StartupFailure, service: ManagedService, facts: Facts) -> [String] {
        let detail = failure.detail ?? ""
        let environment = switch service.manager {
        case "systemd": "the unit's Environment= or EnvironmentFile="
        case "none": "the environment it is started with (a bare process: the shell or script that starts it)"
        default: "the program's environment= line (\(service.source ?? "its supervisor config"))"
        }
        var steps: [String] = switch failure.cause {
        case .missingEnvVar:
            ["Set \(detail) in \(environment); never commit its value"]
        case .missingSecretKey:
            ["Give SECRET_KEY (or the variable your settings read it from) a non-empty value in \(environment)"]
        case .badSettingsModule:
            ["Point DJANGO_SETTINGS_MODULE at a module that exists under the app directory (it names \(detail))"]
        case .importError where detail.contains("/") || detail.contains(":"):
            ["Fix the error at \(detail) (a syntax error or failing import in the app's code), then check it with the service's interpreter before restarting"]
        case .importError:
            ["Fix the import error in the app (\(detail)); reproduce with the service's interpreter in the app directory: python -c 'import \(detail)'"]
        case .missingPackage:
            ["Install \(detail) into the virtualenv the service runs (\(service.command.first ?? "its python")): VENV/bin/pip install -r requirements.txt"]
        case .missingAttribute:
            ["Point the server at an attribute that exists (\(detail) does not): usually module.wsgi:application"]
        case .portInUse:
            ["Find who holds \(detail): ss -ltnp 'sport = :\(detail.split(separator: ":").last.map(String.init) ?? "")'; stop it, or bind the app elsewhere and point the proxy there"]
        case .databaseUnreachable:
            ["Check the database the app uses is up and reachable (\(detail)); the DSN is in the app's settings or environment"]
        case .migrationsNotApplied:
            ["Apply the migrations of the deployed release: manage.py migrate (with the service's interpreter and settings)"]
        case .noAppLoaded:
            ["Check uWSGI's module/wsgi-file and the traceback before GAME OVER in \(failure.source)"]
        case .other:
            ["Read the traceback ending at \(failure.source)"]
        }
        // An environment set in the program section or unit needs the manager to reload it.
        let changes: ServiceRestart.Change = [.missingEnvVar, .missingSecretKey].contains(failure.cause) ? .either : .outside
        steps.append(ServiceRestart.step(for: service, after: changes))
        if service.manager == "none" {
            steps.append("Better run it under supervisord or a systemd unit, so it is restarted when it dies and its log is kept")
        }
        return steps
    }
}
