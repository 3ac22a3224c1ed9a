import DoctorFacts

/// Evidence and wording shared by the route-target checks: every piece names where a
/// person can see it themselves (file:line, a command, a log line with its source).
enum RouteWording {
    /// What nginx answers when it could not get a response from the upstream.
    static let gatewayStatuses: Set<Int> = [502, 504]

    /// Commands a person runs to see the same thing.
    static let appServerListCommand = "ps -eo pid,user,args | grep -E 'gunicorn|uvicorn|uwsgi|daphne|hypercorn'"
    static let startAppServer = "Start the app server: systemctl start <your app service> (or supervisorctl start <program>, docker compose up -d <service>)"
    static let readAppLog = "If it does not stay up, read its log: journalctl -u <your app service> -n 50 (a boot crash is the app's own error, not the proxy's)"

    /// `example.com /`, or `example.com / and 2 other routes`.
    static func routesPhrase(_ routes: [Route]) -> String {
        guard let first = routes.first else { return "no route" }
        switch routes.count {
        case 1: return first.label
        case 2: return "\(first.label) and 1 other route"
        default: return "\(first.label) and \(routes.count - 1) other routes"
        }
    }

    /// The pass directive, where it is written.
    static func passEvidence(_ route: Route) -> Evidence {
        Evidence(kind: .config, text: "\(route.directive) \(targetText(route)) (route \(route.label))",
                 source: route.source.description)
    }

    /// The target as the route's config writes it: nginx's `http://…` / `upstream NAME`, Caddy's upstream list.
    static func targetText(_ route: Route) -> String {
        guard isCaddy(route.directive) else { return route.target.description }
        switch route.target {
        case let .endpoint(scheme, endpoint): return passValue(directive: route.directive, scheme: scheme, endpoint: endpoint)
        case let .upstream(_, name, _): return name
        case let .variable(raw): return raw
        }
    }

    static func passEvidence(_ routes: [Route], limit: Int = 3) -> [Evidence] {
        var evidence = routes.prefix(limit).map(passEvidence)
        if routes.count > limit {
            evidence.append(Evidence(kind: .config, text: "and \(routes.count - limit) more route(s) to the same target"))
        }
        return evidence
    }

    /// A `server` line of an upstream group, where it is written.
    static func memberEvidence(_ member: GroupMember, note: String? = nil) -> Evidence {
        let parameters = member.server.parameters.isEmpty ? "" : " " + member.server.parameters.joined(separator: " ")
        let suffix = note.map { ": \($0)" } ?? ""
        if member.routes.first.map({ isCaddy($0.directive) }) == true {
            // Caddy's upstreams are the words of its reverse_proxy line, not `server` lines.
            return Evidence(kind: .config, text: "upstream \(member.server.endpoint) of reverse_proxy \(member.group)\(suffix)",
                            source: member.server.source.description)
        }
        return Evidence(kind: .config, text: "server \(member.server.endpoint)\(parameters) (upstream \(member.group))\(suffix)",
                        source: member.server.source.description)
    }

    /// Pass directives and `server` lines naming this address.
    static func useEvidence(_ use: TargetUse) -> [Evidence] {
        passEvidence(use.routes) + use.members.prefix(3).map { memberEvidence($0) }
    }

    /// The value a pass directive would need to reach `endpoint` (`http://unix:/run/app.sock:`, `127.0.0.1:8000`).
    static func passValue(directive: String, scheme: String, endpoint: Endpoint) -> String {
        if isCaddy(directive) {
            // Caddy's upstream address: `unix//run/app.sock`, `127.0.0.1:8000` (http is its default scheme).
            if case let .unix(path) = endpoint { return "unix/\(path)" }
            return scheme == "http" ? endpoint.description : "\(scheme)://\(endpoint)"
        }
        if directive == "proxy_pass" || directive == "grpc_pass" {
            if case let .unix(path) = endpoint { return "\(scheme)://unix:\(path):" }
            return "\(scheme)://\(endpoint)"
        }
        if case let .unix(path) = endpoint { return "unix:\(path)" }
        return endpoint.description
    }

    /// Caddy's proxy directives: their routes get Caddy's wording (no `;`, `caddy validate`).
    static func isCaddy(_ directive: String) -> Bool { directive == "reverse_proxy" || directive == "php_fastcgi" }

    /// `proxy_pass http://127.0.0.1:8000;` or `reverse_proxy 127.0.0.1:8000`, as the config writes it.
    static func passLine(directive: String, value: String) -> String {
        isCaddy(directive) ? "\(directive) \(value)" : "\(directive) \(value);"
    }

    /// What to run after editing the pass directive, in the proxy's own terms.
    static func testAndReload(directive: String) -> String {
        isCaddy(directive) ? "caddy validate --config <its Caddyfile> and reload Caddy (systemctl reload caddy; with `admin off`, systemctl restart caddy)" : "nginx -t and reload"
    }

    /// `Caddy` when every route is Caddy's, else `nginx`: the proxy a log-based summary speaks of.
    static func proxyName(_ routes: [Route]) -> String {
        !routes.isEmpty && routes.allSatisfy { $0.proxy == .caddy } ? "Caddy" : "nginx"
    }

    static func scheme(of route: Route) -> String {
        switch route.target {
        case let .endpoint(scheme, _), let .upstream(scheme, _, _): scheme
        case .variable: "http"
        }
    }

    /// `curl` the way the probe of `routes` asks: their first concrete server name as Host.
    static func probeCommand(_ endpoint: Endpoint, for routes: [Route]) -> String {
        probeCommand(endpoint, hostHeader: routes.first?.requestHostName ?? "localhost")
    }

    /// `curl` the way the probe asked.
    static func probeCommand(_ endpoint: Endpoint, path: String = "/", hostHeader: String = "localhost") -> String {
        switch endpoint {
        case let .unix(socket):
            return "curl -sS -o /dev/null -w '%{http_code}\\n' --unix-socket \(socket) -H 'Host: \(hostHeader)' http://localhost\(path)"
        case .tcp:
            return "curl -sS -o /dev/null -w '%{http_code}\\n' -H 'Host: \(hostHeader)' http://\(endpoint)\(path)"
        }
    }

    static func describe(_ outcome: ProbeOutcome) -> String {
        switch outcome {
        case let .response(status, server): "HTTP \(status)" + (server.map { " (Server: \($0))" } ?? "")
        case let .failed(failure): failure.description
        }
    }

    /// The direct probe's result, with the command that repeats it.
    static func probeEvidence(_ probe: ProbeResult) -> Evidence {
        Evidence(kind: .probe, text: "direct probe of \(probe.endpoint) (GET \(probe.path)): \(describe(probe.outcome))",
                 source: probeCommand(probe.endpoint, path: probe.path, hostHeader: probe.hostHeader))
    }

    /// The probe through the proxy for a route, with the command that repeats it.
    static func proxyProbeEvidence(_ probe: ProbeResult, route: Route) -> Evidence {
        Evidence(kind: .probe, text: "through the proxy (\(route.label)): \(describe(probe.outcome))",
                 source: probeCommand(probe.endpoint, path: probe.path, hostHeader: probe.hostHeader))
    }

    /// Probes through the proxy for these routes, at most a few.
    static func proxyProbeEvidence(_ routes: [Route], facts: Facts, limit: Int = 2) -> [Evidence] {
        routes.compactMap { route in facts.proxyProbe(for: route).map { proxyProbeEvidence($0, route: route) } }
            .prefix(limit).map { $0 }
    }

    /// The command listing the listening sockets for an address.
    static func listenerCommand(_ endpoint: Endpoint) -> String {
        switch endpoint {
        case let .tcp(_, port): "ss -ltnp | grep :\(port)"
        case let .unix(path): "ss -lxp | grep \(path)"
        }
    }

    /// What the listener table says about an address.
    static func listenerEvidence(_ state: EndpointState, facts: Facts) -> Evidence? {
        guard let listening = state.listening else { return nil }
        let command = listenerCommand(state.endpoint)
        if listening {
            let holders = state.listeners.map { listener -> String in
                let who = facts.server(for: listener.endpoint)?.label
                    ?? (listener.pids.isEmpty ? "process unknown" : "pids " + listener.pids.map(String.init).joined(separator: ","))
                return "\(listener.endpoint) held by \(who)"
            }
            return Evidence(kind: .listener, text: "listening: " + holders.joined(separator: "; "), source: command)
        }
        switch state.endpoint {
        case let .tcp(_, port):
            let samePort = facts.listeners.filter { if case .tcp(_, port) = $0.endpoint { true } else { false } }
            let elsewhere = samePort.map(\.endpoint.description).joined(separator: ", ")
            let text = samePort.isEmpty
                ? "no listening socket on port \(port)"
                : "nothing listens at \(state.endpoint); port \(port) is held only on \(elsewhere)"
            return Evidence(kind: .listener, text: text, source: command)
        case let .unix(path):
            return Evidence(kind: .listener, text: "no process listens on unix socket \(path)", source: command)
        }
    }

    /// The last few log lines (each with its file:line) and, when there were more, a count.
    static func logEvidence(_ events: [ProxyLogEvent], facts: Facts, limit: Int = 3) -> [Evidence] {
        guard !events.isEmpty else { return [] }
        var evidence = events.suffix(limit).map { Evidence(kind: .log, text: $0.line, source: $0.source) }
        let total = windowCount(events, facts: facts)
        if total > evidence.count, let first = events.first {
            evidence.append(Evidence(kind: .log, text: "\(total) such lines in the window, first at \(LogClock.text(for: first, gatheredAt: facts.gatheredAt))",
                                     source: first.source))
        }
        return evidence
    }

    /// How many such lines the whole window holds (the events list keeps only the most recent).
    static func windowCount(_ events: [ProxyLogEvent], facts: Facts) -> Int {
        // The parser counts by `kind endpoint`, else `kind scheme://peer` (the upstream
        // text without its URI), else `unresolvable NAME`.
        var keys = Set<String>()
        for event in events {
            if let endpoint = event.endpoint {
                keys.insert("\(event.kind.rawValue) \(endpoint)")
            } else if let upstream = event.upstream {
                keys.insert("\(event.kind.rawValue) \(peer(upstream))")
            } else if event.kind == .unresolvable, let name = TargetUnresolvableCheck.unresolvedName(event.message) {
                keys.insert("\(event.kind.rawValue) \(name)")
            }
        }
        let counted = facts.errorLogs.reduce(0) { sum, window in
            sum + keys.reduce(0) { $0 + (window.counts[$1] ?? 0) }
        }
        return max(counted, events.count)
    }

    /// `http://backend` from `http://backend/health/`: scheme and peer, without the URI.
    static func peer(_ upstream: String) -> String {
        guard let scheme = upstream.range(of: "://") else { return upstream }
        let rest = upstream[scheme.upperBound...]
        let end = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        return String(upstream[..<end])
    }

    /// Running app servers with their addresses, for "nothing of ours listens" evidence.
    static func appServersEvidence(_ facts: Facts) -> Evidence {
        guard facts.processTableKnown else {
            return Evidence(kind: .process, text: "the process table could not be read: running app servers are unknown")
        }
        let foreign = facts.foreignAppServers
        let elsewhere = foreign.isEmpty ? ""
            : "; \(foreign.count) more listen in another network namespace (not reachable as configured): "
                + foreign.prefix(3).map(\.label).joined(separator: ", ")
        let local = facts.localAppServers
        guard !local.isEmpty else {
            return Evidence(kind: .process, text: "no app server (gunicorn, uvicorn, uwsgi, …) is running" + elsewhere, source: appServerListCommand)
        }
        let described = local.map { app -> String in
            let endpoints = facts.appServerEndpoints(app).map(\.endpoint.description)
            return app.label + (endpoints.isEmpty ? " (binds unknown)" : " binds " + endpoints.joined(separator: ", "))
        }
        return Evidence(kind: .process, text: "app servers running: " + described.joined(separator: "; ") + elsewhere, source: appServerListCommand)
    }
}
