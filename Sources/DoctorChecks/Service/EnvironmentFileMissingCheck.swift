import DoctorFacts

/// `environment-file-missing`: an `EnvironmentFile=` without the `-` prefix names a file that
/// does not exist, so systemd refuses to start the unit ("Failed to load environment files",
/// result `resources`). With `-` the file is optional and a missing one is ignored; a file
/// that exists but lacks a key is `secret-key-missing`'s (or the app's) business, not this one's.
public struct EnvironmentFileMissingCheck: Check {
    public init() {}

    public let id = "environment-file-missing"
    public let title = "A required environment file of the service does not exist"
    public let layer = Layer.startup
    public let rationale = """
        Secrets and settings usually live in an environment file (/etc/app/env, shared/.env of a \
        release layout) that deployment tooling writes. When it is missing, systemd does not start \
        the unit at all (status "Failed to load environment files", Result=resources); nothing runs, \
        nothing logs, nginx answers 502. A `-`-prefixed EnvironmentFile= is optional by design and is \
        never reported.
        """
    public let fixText = """
        Restore the environment file (from the deployment's secret store, never from a log), or fix \
        the EnvironmentFile= path; prefix it with - only if the service really runs without it.
        """
    public let precedence = 8
    public var explains: Set<String> { ServiceFindings.explainedChecks }

    public func run(_ facts: Facts) -> [Finding] {
        facts.services.flatMap { service -> [Finding] in
            guard let definition = service.definition else { return [] }
            let missing = definition.environmentFiles.filter { !$0.file.optional && $0.file.kind == .missing }
            guard !missing.isEmpty else { return [] }
            let paths = missing.map(\.file.path)
            var evidence = missing.map { Evidence(kind: .file, text: "\($0.file.path): no such file or directory", source: "ls -l \($0.file.path)") }
            evidence += missing.map { Evidence(kind: .config, text: "EnvironmentFile=\($0.file.path)", source: $0.file.location) }
            let fix = missing.map { file in
                "Restore \(file.file.path) (it holds the app's settings and secrets; take it from your secret store), "
                    + "or fix EnvironmentFile= at \(file.file.location ?? "the unit")"
            }
            return [ServiceFindings.finding(
                self, service, facts: facts,
                summary: "\(ServiceFindings.name(service)) requires environment file \(paths.joined(separator: ", ")), which does not exist; \(ServiceFindings.when(service))",
                evidence: evidence, fix: fix, changes: .either)]
        }
    }
}
