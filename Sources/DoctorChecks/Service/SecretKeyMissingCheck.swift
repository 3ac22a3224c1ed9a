import DoctorFacts

/// `secret-key-missing`: a Django app whose settings read `SECRET_KEY` from the environment
/// (or whose settings could not be read), while neither `SECRET_KEY` nor `DJANGO_SECRET_KEY`
/// (nor the variable the settings name) is set, non-empty, anywhere in the service's
/// environment: inline variables, environment files, a `.env` the app loads. Django refuses
/// to boot ("The SECRET_KEY setting must not be empty", or a KeyError). Static: it looks at
/// the definition, where `app-startup-crash` reads the traceback of a boot that already failed.
/// Only when the app looks like Django; values are never read or printed.
public struct SecretKeyMissingCheck: Check {
    public init() {}

    public let id = "secret-key-missing"
    public let title = "The Django app's SECRET_KEY is not set (or empty) in the service's environment"
    public let layer = Layer.startup
    public let rationale = """
        Production settings read SECRET_KEY from the environment; a service whose unit or program \
        does not pass it (an environment file without the key, `SECRET_KEY=` left empty by a \
        template, a variable renamed in the settings but not in the env file) crashes at every boot. \
        gwdoctor lists every source it checked and never prints a value. A settings file that assigns \
        a literal key, or one an environment file that could not be read, keeps it silent.
        """
    public let fixText = """
        Set the variable the settings read (SECRET_KEY or DJANGO_SECRET_KEY) to a long random value in \
        the service's environment file or environment= line; generate one with \
        python -c 'import secrets; print(secrets.token_urlsafe(50))' and never commit it.
        """
    public let precedence = 11
    public var explains: Set<String> { ServiceFindings.explainedChecks }

    static let defaultNames = ["SECRET_KEY", "DJANGO_SECRET_KEY"]

    public func run(_ facts: Facts) -> [Finding] {
        facts.services.compactMap { service in
            guard let definition = service.definition, !definition.djangoMarkers.isEmpty else { return nil }
            let setting = definition.secretKeySetting
            if let setting, setting.source != .environment { return nil }
            // An environment file that could not be read, or a required one that is missing
            // (`environment-file-missing`), may hold it.
            if definition.environmentFiles.contains(where: { $0.keys == nil && !($0.file.optional && $0.file.kind == .missing) }) {
                return nil
            }
            let names = setting?.variable.map { [$0] } ?? Self.defaultNames
            let all = definition.environment + definition.environmentFiles.flatMap { $0.keys ?? [] }
            let assignments = all.filter { names.contains($0.name) }
            guard !assignments.contains(where: { !$0.isEmpty }) else { return nil }

            let empty = assignments.first
            let wanted = names.joined(separator: " or ")
            let problem = empty.map { "\($0.name) is set but empty (\($0.location))" } ?? "\(wanted) is not set in its environment"
            var checked: [String] = []
            if !definition.environment.isEmpty {
                checked.append(ServiceFindings.setting(service, systemd: "Environment=", supervisor: "environment=")
                               + " (" + Set(definition.environment.map { $0.location.split(separator: ":").dropLast().joined(separator: ":") }).sorted().joined(separator: ", ") + ")")
            }
            checked += definition.environmentFiles.filter { $0.keys != nil }.map { $0.file.path }
            let checkedText = checked.isEmpty ? "the service sets no environment at all" : "checked: " + checked.joined(separator: ", ")
            var evidence = [Evidence(kind: .config, text: "\(problem); \(checkedText)", source: empty?.location ?? service.source)]
            if let setting {
                evidence.append(Evidence(kind: .file, text: "the settings read SECRET_KEY from the environment"
                                         + (setting.variable.map { " (\($0))" } ?? ""), source: setting.location))
            }
            evidence.append(Evidence(kind: .config, text: "the app is Django: " + definition.djangoMarkers.joined(separator: "; ")))
            let target: String = if let empty {
                "its assignment at \(empty.location)"
            } else if let file = definition.environmentFiles.first(where: { !$0.file.optional && $0.keys != nil }) {
                file.file.path
            } else if let inline = definition.environment.first {
                "the \(ServiceFindings.setting(service, systemd: "Environment=", supervisor: "environment=")) line at \(inline.location)"
            } else {
                service.manager == "systemd" ? "an EnvironmentFile= of \(service.source ?? service.name)"
                    : "an environment= line in the program section at \(service.source ?? service.name)"
            }
            let variable = empty?.name ?? names[0]
            // Django refuses a missing key at boot (KeyError in os.environ[...]) and an empty one
            // wherever it is first used (ImproperlyConfigured: sessions, CSRF, signing).
            let when = service.isRunning
                ? "it runs now, but Django refuses it wherever the key is used (sessions, CSRF) and a missing key stops the next boot"
                : ServiceFindings.when(service)
            return ServiceFindings.finding(
                self, service, facts: facts,
                summary: "\(ServiceFindings.name(service)) runs a Django app without a secret key: \(problem); \(when)",
                evidence: evidence,
                fix: ["Set \(variable) to a non-empty random value in \(target) "
                      + "(python -c 'import secrets; print(secrets.token_urlsafe(50))'); never commit or log it"], changes: .either)
        }
    }
}
