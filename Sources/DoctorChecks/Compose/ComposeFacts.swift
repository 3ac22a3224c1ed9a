import DoctorFacts

/// What the compose checks share: which routes go where in a project, and how to word a
/// service and its lines as evidence.
enum ComposeFacts {
    /// One route of a proxy running inside a project, with the endpoints it passes to.
    struct ProxyUse {
        var project: ComposeProject
        var config: ComposeProxyConfig
        var route: Route
        var endpoint: Endpoint
    }

    /// Every endpoint every in-project proxy config passes to.
    static func proxyUses(_ facts: Facts) -> [ProxyUse] {
        facts.composeProjects.flatMap { project in
            project.proxyConfigs.flatMap { config in
                config.routes.flatMap { route in
                    route.target.endpoints.map { ProxyUse(project: project, config: config, route: route, endpoint: $0) }
                }
            }
        }
    }

    /// Host names that never name a compose service.
    static func isLoopbackOrAddress(_ host: String) -> Bool {
        let lowered = host.lowercased()
        if ["localhost", "127.0.0.1", "::1", "0.0.0.0", "::", "*", "host.docker.internal"].contains(lowered) { return true }
        if lowered.contains(":") { return true }
        return lowered.split(separator: ".").count == 4 && lowered.split(separator: ".").allSatisfy { Int($0) != nil }
    }

    static func isLoopback(_ host: String) -> Bool {
        let lowered = host.lowercased()
        return lowered == "localhost" || lowered == "::1" || lowered.hasPrefix("127.")
    }

    static func serviceEvidence(_ service: ComposeService, note: String? = nil) -> Evidence {
        let what = service.image.map { "image \($0)" } ?? service.build.map { "build \($0)" } ?? "no image"
        return Evidence(kind: .config, text: "service \(service.name) (\(what))\(note.map { ": \($0)" } ?? "")",
                        source: service.source.description)
    }

    /// `: "${SOCKET_DIR}:/run/app" = /srv/app/run:/run/app (.env:4)` for a mount written with variables.
    static func interpolationNote(_ mount: ComposeMount) -> String {
        guard let interpolation = mount.interpolation else { return "" }
        let resolved = [mount.source, mount.target].compactMap { $0 }.joined(separator: ":")
        return " (\(interpolation.describe(resolved: resolved)))"
    }

    static func commandEvidence(_ service: ComposeService) -> Evidence? {
        guard let command = service.command else { return nil }
        return Evidence(kind: .config, text: "command: \(shown(service, field: "command") ?? Redactor.redact(arguments: command).joined(separator: " "))",
                        source: (service.commandSource ?? service.source).description)
    }

    /// A command-like field (`command`, `healthcheck`) written with variables, as written, with
    /// where its variables came from: its values come from `.env`, which holds secrets under
    /// names the redactor cannot recognise (`--api ${STRIPE_KEY}`), so they are used, not shown.
    static func shown(_ service: ComposeService, field: String) -> String? {
        guard let record = service.interpolations.first(where: { $0.field == field }) else { return nil }
        return "\(record.written) (variables: \(record.origin))"
    }

    static func routeEvidence(_ use: ProxyUse) -> Evidence {
        Evidence(kind: .config, text: "\(use.route.directive) \(use.route.target) (service \(use.config.service), mounted at \(use.config.containerPath))",
                 source: use.route.source.description)
    }

    /// `docker compose` run in the project, naming its files when they are not the default.
    static func composeCommand(_ project: ComposeProject, _ arguments: String) -> String {
        let files = project.files.map { "-f \($0)" }.joined(separator: " ")
        return "docker compose \(files) \(arguments)"
    }

    /// Levenshtein distance, for "did you mean" on renamed services.
    static func distance(_ lhs: String, _ rhs: String) -> Int {
        let a = Array(lhs.lowercased()), b = Array(rhs.lowercased())
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
