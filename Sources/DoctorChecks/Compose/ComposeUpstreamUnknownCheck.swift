import DoctorFacts

/// `compose-upstream-unknown`: an nginx running in a compose service passes to a host name
/// that no service of its project answers to (a service renamed from `web` to `app` while
/// `proxy_pass http://web:8000` stayed), or to a port the named service does not listen on.
///
/// Differs from `target-unresolvable`, which is about a host nginx and DNS: inside a compose
/// network the names are the services (and `container_name`s and network aliases), so the
/// compose file itself says the name is wrong, and which service was most likely meant (by
/// name similarity, else by the port). Read from the host-side file of the mounted config; no
/// engine needed.
public struct ComposeUpstreamUnknownCheck: Check {
    public init() {}

    public let id = "compose-upstream-unknown"
    public let title = "A proxy in a compose project passes to a service or port the project does not have"
    public let layer = Layer.route
    public let rationale = """
        Inside a compose network a proxy reaches the app by its service name. After a service is \
        renamed (web → app) or its port changes, the proxy's `proxy_pass http://web:8000` names \
        something that no longer exists: nginx in the container fails to start with `host not found \
        in upstream "web"`, or, with a resolver, answers 502 for every request. The compose file is \
        the proof: no service, container_name or network alias has that name, or the named service \
        listens on another port (its command's bind, `expose` or `ports`). The likely intended \
        service is named by similarity of names or by the port.
        """
    public let fixText = """
        Change the proxy config's target to the service's current name and port (or add the old \
        name as a network alias of the service), then `docker compose up -d` the proxy service.
        """
    public let precedence = 29

    public func run(_ facts: Facts) -> [Finding] {
        var findings: [Finding] = []
        var seen = Set<String>()
        for use in ComposeFacts.proxyUses(facts) {
            guard case let .tcp(host, port) = use.endpoint, !ComposeFacts.isLoopbackOrAddress(host) else { continue }
            let key = "\(use.project.name) \(host):\(port)"
            guard !seen.contains(key) else { continue }
            if let service = use.project.service(resolving: host) {
                let ports = service.containerTCPPorts
                // Unknown ports (an image's own EXPOSE, a config file in the image) are not proof.
                guard !ports.isEmpty, !ports.contains(port), service.appServer != nil || !service.expose.isEmpty,
                      // A port field whose variables are not known may hold the port the proxy names.
                      service.unresolved.isDisjoint(with: ["ports", "expose", "command", "entrypoint"]) else { continue }
                seen.insert(key)
                findings.append(wrongPort(use, service: service, host: host, port: port, ports: ports))
                continue
            }
            // A dotted name is likely outside the project (another host, a managed database).
            guard !host.contains(".") else { continue }
            // A `container_name` whose variables are not known may be the name the proxy uses.
            guard !use.project.services.contains(where: { $0.unresolved.contains("container_name") }) else { continue }
            seen.insert(key)
            findings.append(unknownName(use, host: host, port: port))
        }
        return findings
    }

    private func unknownName(_ use: ComposeFacts.ProxyUse, host: String, port: Int) -> Finding {
        let project = use.project
        let candidates = project.services.filter { $0.name != use.config.service }
        let byName = candidates.map { ($0, ComposeFacts.distance($0.name, host)) }
            .filter { $0.1 <= max(1, host.count / 3) }.min { $0.1 < $1.1 }?.0
        // The port is the stronger clue: `web` → `app` share no letters but the same 8000.
        let listening = candidates.filter { $0.containerTCPPorts.contains(port) }
        let byPort = listening.first { $0 == byName } ?? listening.first { $0.appServer != nil } ?? listening.first
        let likely = byPort ?? byName
        var evidence = [ComposeFacts.routeEvidence(use)]
        evidence.append(Evidence(kind: .config, text: "services of project \(project.name): \(project.services.map(\.name).joined(separator: ", "))",
                                 source: project.files.first))
        if let likely {
            let reason = likely == byName && likely == byPort ? "similar name, and listens on \(port)"
                : likely == byName ? "similar name" : "listens on \(port)"
            evidence.append(ComposeFacts.serviceEvidence(likely, note: "likely meant (\(reason))"))
            if let command = ComposeFacts.commandEvidence(likely) { evidence.append(command) }
        }
        evidence.append(Evidence(kind: .command, text: "names the proxy container can resolve",
                                 source: ComposeFacts.composeCommand(project, "config --services")))
        let suggestion = likely.map { "; did you mean \($0.name)?" } ?? ""
        return Finding(check: id, layer: layer, severity: .critical,
                       summary: "\(use.config.service) proxies to \(host):\(port) (\(use.route.source)), but project \(project.name) has no service named \(host)\(suggestion)",
                       route: use.route.label, evidence: evidence,
                       fix: [likely.map { "Change \(use.route.directive) at \(use.route.source) to \(use.route.directive) http://\($0.name):\(port); (or add `aliases: [\(host)]` to service \($0.name)'s network), then \(ComposeFacts.composeCommand(project, "up -d \(use.config.service)"))" }
                             ?? "Point \(use.route.directive) at \(use.route.source) to an existing service (\(project.services.map(\.name).joined(separator: ", "))), then \(ComposeFacts.composeCommand(project, "up -d \(use.config.service)"))"],
                       cause: "unknown-service")
    }

    private func wrongPort(_ use: ComposeFacts.ProxyUse, service: ComposeService, host: String, port: Int, ports: Set<Int>) -> Finding {
        let listed = ports.sorted().map(String.init).joined(separator: ", ")
        var evidence = [ComposeFacts.routeEvidence(use), ComposeFacts.serviceEvidence(service, note: "listens on \(listed)")]
        if let command = ComposeFacts.commandEvidence(service) { evidence.append(command) }
        let target = ports.count == 1 ? "\(ports.first!)" : "one of \(listed)"
        return Finding(check: id, layer: layer, severity: .critical,
                       summary: "\(use.config.service) proxies to \(host):\(port) (\(use.route.source)), but service \(service.name) listens on \(listed)",
                       route: use.route.label, evidence: evidence,
                       fix: ["Change \(use.route.directive) at \(use.route.source) to port \(target) (or the app's bind to \(port)), then \(ComposeFacts.composeCommand(use.project, "up -d \(use.config.service)"))"],
                       cause: "wrong-port")
    }
}
