import DoctorFacts

/// `compose-published-port-mismatch`: a host proxy passes to a local port (`proxy_pass
/// http://127.0.0.1:8001`) that no compose service publishes and nothing listens on, while a
/// compose project next to it publishes its app on another port (`ports: ["8000:8000"]`).
///
/// Differs from `target-not-listening` (nothing listens, cause unknown) by naming the port the
/// stack actually publishes, and from `target-mismatch` (a host app server binds elsewhere): the
/// "server" here is Docker's port publishing, which the process table does not show as an app
/// server. Silent when the listener table could not be read (something else may serve the port).
public struct ComposePublishedPortMismatchCheck: Check {
    public init() {}

    public let id = "compose-published-port-mismatch"
    public let title = "The host proxy passes to a port the compose project does not publish"
    public let layer = Layer.route
    public let rationale = """
        With the app in a container and nginx on the host, the only way in is the published port: \
        `ports: ["8000:8000"]` makes host port 8000 lead to container port 8000. When the host proxy \
        names another port (the container port of a `8001:8000` mapping, an old port after the \
        compose file changed, a typo), nothing listens there and nginx logs `connect() failed (111: \
        Connection refused) while connecting to upstream` for every request. The compose file shows \
        which host port the app is really published on.
        """
    public let fixText = """
        Make the proxy and the compose file agree: change the pass directive to the published port \
        (then nginx -t and reload), or change the `ports:` mapping to publish the port the proxy \
        uses (then `docker compose up -d` the service).
        """
    public let precedence = 31

    public var explains: Set<String> { ["target-not-listening"] }

    public func run(_ facts: Facts) -> [Finding] {
        guard !facts.composeProjects.isEmpty,
              !facts.unavailable.contains(where: { $0.what == Unavailable.listenerTable }) else { return [] }
        let published = facts.composeProjects.flatMap { project in
            project.services.flatMap { service in service.ports.filter { $0.protocolName == "tcp" && $0.publishedPort != nil }.map { (project, service, $0) } }
        }
        guard !published.isEmpty else { return [] }
        // A `ports:` entry whose variables are not known may publish exactly the port the proxy names.
        let unknownPorts = facts.composeProjects.contains { $0.services.contains { $0.unresolved.contains("ports") } }
        var findings: [Finding] = []
        var seen = Set<Int>()
        for route in facts.routes {
            for case let .tcp(host, port) in route.target.endpoints where ComposeFacts.isLoopback(host) || host == "0.0.0.0" {
                guard !seen.contains(port) else { continue }
                if published.contains(where: { $0.2.containerPort(forPublished: port) != nil }) || unknownPorts { continue }
                if facts.listeners.contains(where: { if case let .tcp(_, listening) = $0.endpoint { listening == port } else { false } }) { continue }
                // The mapping whose container side is the port the proxy names, else an app server's, else the nearest.
                let best = published.first { $0.2.containerPort == port }
                    ?? published.first { $0.1.appServer != nil }
                    ?? published.min { abs(($0.2.publishedPort ?? 0) - port) < abs(($1.2.publishedPort ?? 0) - port) }
                guard let (project, service, mapping) = best, let publishedPort = mapping.publishedPort else { continue }
                seen.insert(port)
                let routes = facts.routes.filter { $0.target.endpoints.contains(.tcp(host: host, port: port)) }
                var evidence = RouteWording.passEvidence(routes)
                evidence.append(Evidence(kind: .config, text: "service \(service.name) ports: \(mapping.evidenceText) (host port \(publishedPort) → container port \(mapping.containerPort))",
                                         source: mapping.source.description))
                if let command = ComposeFacts.commandEvidence(service) { evidence.append(command) }
                evidence.append(Evidence(kind: .listener, text: "nothing listens on port \(port)", source: "ss -ltnp 'sport = :\(port)'"))
                evidence.append(Evidence(kind: .command, text: "the ports Docker publishes for the project",
                                         source: ComposeFacts.composeCommand(project, "ps --format '{{.Service}} {{.Ports}}'")))
                let hostIP = mapping.hostIP.map { $0.contains(":") ? "[\($0)]" : $0 } ?? "127.0.0.1"
                let why = mapping.containerPort == port ? " (\(port) is the container side of that mapping)" : ""
                findings.append(Finding(
                    check: id, layer: layer, severity: .critical,
                    summary: "\(route.directive) at \(route.source) passes to \(host):\(port), but project \(project.name) publishes \(service.name) on host port \(publishedPort)\(why); nothing listens on \(port)",
                    route: route.label, evidence: evidence,
                    fix: ["Change \(route.directive) at \(route.source) to http://\(hostIP):\(publishedPort), then nginx -t && nginx -s reload",
                          publishFix(port: port, mapping: mapping, service: service, project: project)]))
            }
        }
        return findings
    }

    /// A mapping written with variables is changed where its value comes from: the variable in `.env`.
    private func publishFix(port: Int, mapping: ComposePort, service: ComposeService, project: ComposeProject) -> String {
        let up = ComposeFacts.composeCommand(project, "up -d \(service.name)")
        guard let interpolation = mapping.interpolation else {
            return "Or publish the port the proxy uses: `\(port):\(mapping.containerPort)` under service \(service.name) at \(mapping.source), then \(up)"
        }
        let names = interpolation.variables.reduce(into: [String]()) { if !$0.contains($1.name) { $0.append($1.name) } }
        let envFile = interpolation.envFile ?? (project.workingDirectory == "/" ? "" : project.workingDirectory) + "/.env"
        return "Or publish the port the proxy uses: `\(mapping.raw)` at \(mapping.source) gives \(mapping.resolvedText); set \(names.joined(separator: ", ")) in \(envFile) so it gives host port \(port) (or write `\(port):\(mapping.containerPort)` there), then \(up)"
    }
}
