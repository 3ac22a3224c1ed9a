import DoctorFacts

/// `compose-app-loopback`: the app server in a compose service binds 127.0.0.1 (or `localhost`,
/// `::1`), which inside a container is the container's own loopback: neither a proxy container
/// nor Docker's published port can reach it.
///
/// Differs from `target-mismatch` (a host app server binding another address than the route
/// names): here the address is "right" by habit (the same bind works on a host) and wrong only
/// because of the network namespace. Fires from the compose file alone; a bind that is only
/// gunicorn's or uvicorn's default (no `-b`/`--host`) is a warning, since a config file inside
/// the image could set it.
public struct ComposeAppLoopbackCheck: Check {
    public init() {}

    public let id = "compose-app-loopback"
    public let title = "The app binds 127.0.0.1 inside its container, where nothing outside can reach it"
    public let layer = Layer.route
    public let rationale = """
        Each container has its own network namespace. `gunicorn -b 127.0.0.1:8000` (or gunicorn and \
        uvicorn with no bind at all: their default is 127.0.0.1:8000) listens on the container's \
        loopback, so a proxy container's `proxy_pass http://web:8000` is refused (`connect() failed \
        (111: Connection refused)`) and a published port `8000:8000` accepts connections that Docker \
        cannot deliver (`curl: (56) Recv failure: Connection reset by peer`). The app looks healthy \
        from inside its own container, which is why this is missed. Not reported with \
        `network_mode: host`, where the container shares the host's loopback.
        """
    public let fixText = """
        Bind the app to all addresses inside the container (`gunicorn -b 0.0.0.0:8000`, `uvicorn \
        --host 0.0.0.0`) and restrict exposure with the published port (`127.0.0.1:8000:8000`) \
        instead, then `docker compose up -d` the service.
        """
    public let precedence = 28

    public func run(_ facts: Facts) -> [Finding] {
        var findings: [Finding] = []
        let uses = ComposeFacts.proxyUses(facts)
        for project in facts.composeProjects {
            for service in project.services where service.networkMode != "host" {
                let loopback = service.binds.filter { bind in
                    if case let .tcp(host, _)? = bind.endpoint { return ComposeFacts.isLoopback(host) }
                    return false
                }
                // Some other bind reaches out (gunicorn binds every -b): then it is reachable.
                guard !loopback.isEmpty, loopback.count == service.binds.filter({ $0.endpoint.map { if case .tcp = $0 { true } else { false } } ?? false }).count else { continue }
                let ports = Set(loopback.compactMap { bind -> Int? in if case let .tcp(_, port)? = bind.endpoint { port } else { nil } })
                let proxied = uses.filter { use in
                    guard use.project.name == project.name, case let .tcp(host, port) = use.endpoint else { return false }
                    return project.service(resolving: host)?.name == service.name && ports.contains(port)
                }
                let published = service.ports.filter { port in ports.contains { port.containerPort <= $0 && $0 <= (port.containerPortEnd ?? port.containerPort) } }
                guard !proxied.isEmpty || !published.isEmpty else { continue }
                let isDefault = loopback.allSatisfy { $0.source == "default" }
                let settable = service.environmentKeys.contains("GUNICORN_CMD_ARGS")
                guard !(isDefault && settable) else { continue }
                var evidence = [ComposeFacts.serviceEvidence(service, note: "runs \(service.appServer ?? "an app server")")]
                if let command = ComposeFacts.commandEvidence(service) { evidence.append(command) }
                for bind in loopback {
                    evidence.append(Evidence(kind: .config, text: "binds \(bind.raw)\(bind.source == "default" ? " (\(service.appServer ?? "the server")'s default: no bind option in the command)" : "")",
                                             source: (service.commandSource ?? service.source).description))
                }
                for use in proxied.prefix(2) { evidence.append(ComposeFacts.routeEvidence(use)) }
                for port in published.prefix(2) {
                    evidence.append(Evidence(kind: .config, text: "ports: \(port.evidenceText)", source: port.source.description))
                }
                evidence.append(Evidence(kind: .command, text: "what the app listens on inside its container",
                                         source: ComposeFacts.composeCommand(project, "exec \(service.name) cat /proc/net/tcp")))
                let reachedBy = proxied.first.map { "\($0.config.service)'s \($0.route.directive) http://\(service.name):\(ports.sorted().first ?? 0)" }
                    ?? published.first.map { "the published port \($0.evidenceText)" } ?? "other containers"
                let bindText = loopback.map(\.raw).joined(separator: ", ")
                findings.append(Finding(
                    check: id, layer: layer, severity: isDefault ? .warning : .critical,
                    summary: "\(service.name) binds \(bindText) inside its container (\(service.commandSource ?? service.source))\(isDefault ? ", \(service.appServer ?? "the server")'s default" : ""), unreachable for \(reachedBy)",
                    route: proxied.first?.route.label, evidence: evidence,
                    fix: ["Bind to 0.0.0.0 inside the container: \(suggestedCommand(service, ports: ports)); then \(ComposeFacts.composeCommand(project, "up -d \(service.name)"))"]))
            }
        }
        return findings
    }

    private func suggestedCommand(_ service: ComposeService, ports: Set<Int>) -> String {
        let port = ports.sorted().first ?? 8000
        switch service.appServer {
        case "uvicorn": return "add `--host 0.0.0.0 --port \(port)` to the command"
        case "uwsgi": return "use `--http-socket 0.0.0.0:\(port)` (or `--socket 0.0.0.0:\(port)` for uwsgi_pass)"
        case "daphne": return "add `-b 0.0.0.0 -p \(port)` to the command"
        case "hypercorn": return "add `--bind 0.0.0.0:\(port)` to the command"
        default: return "add `--bind 0.0.0.0:\(port)` to the command"
        }
    }
}
