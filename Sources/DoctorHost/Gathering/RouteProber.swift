import DoctorFacts

/// Probes every route the way the runbook does with curl: the upstream directly, then
/// through the proxy's listener, with the route's Host header and short deadlines.
/// Identical requests are sent once; all of them run at the same time.
struct RouteProber: Sendable {
    let host: any Host
    /// Each probe's one deadline (connect + response head).
    var timeout: Duration = .milliseconds(1500)
    /// More unique probes than this are not sent (a 2,000-site config); the rest is reported unavailable.
    var maxProbes = 48

    struct Plan: Sendable {
        var route: Route
        var direct: [ProbeRequest]
        var viaProxy: ProbeRequest?
    }

    func probe(_ routes: [Route], proxies: [ProxyInstance]) async -> (probes: [RouteProbe], unavailable: [Unavailable]) {
        let plans = routes.map { plan(for: $0, proxies: proxies) }
        var unique: [ProbeRequest] = []
        var seen = Set<ProbeRequest>()
        for plan in plans {
            for request in plan.direct + [plan.viaProxy].compactMap({ $0 }) where seen.insert(request).inserted {
                unique.append(request)
            }
        }
        var unavailable: [Unavailable] = []
        if unique.count > maxProbes {
            let skipped = unique.dropFirst(maxProbes).map { "\($0.endpoint)" }
            let listed = skipped.prefix(5).joined(separator: ", ") + (skipped.count > 5 ? ", …" : "")
            unavailable.append(Unavailable(what: "live probes of upstreams (\(skipped.count) not sent: \(listed))",
                                           reason: "the routes need \(unique.count) distinct probes (upstreams and the proxy's own listeners) and at most "
                                               + "\(maxProbes) are sent per run; the rest are judged from config and logs only: curl them by hand"))
            unique = Array(unique.prefix(maxProbes))
        }
        let results = await withTaskGroup(of: (ProbeRequest, ProbeResult).self) { group in
            for request in unique {
                group.addTask { (request, await probeWithFallback(request)) }
            }
            var results: [ProbeRequest: ProbeResult] = [:]
            for await (request, result) in group { results[request] = result }
            return results
        }
        let probes = plans.map { plan in
            RouteProbe(route: plan.route.label, direct: plan.direct.compactMap { results[$0] },
                       viaProxy: plan.viaProxy.flatMap { results[$0] })
        }
        return (probes, unavailable)
    }

    /// `/health/` first; when the app has no such page (404), `/` is what tells whether it works.
    private func probeWithFallback(_ request: ProbeRequest) async -> ProbeResult {
        let first = await host.probe(request)
        guard request.path == Self.healthPath, case .response(404, _) = first.outcome else { return first }
        var root = request
        root.path = "/"
        return await host.probe(root)
    }

    static let healthPath = "/health/"

    func plan(for route: Route, proxies: [ProxyInstance]) -> Plan {
        let hostHeader = Self.hostHeader(route.serverNames)
        // Speak to the upstream the way the proxy does: a uwsgi packet for uwsgi_pass; no
        // direct probe for FastCGI, SCGI or gRPC upstreams (the listener table still tells
        // whether anything listens there).
        let wire: ProbeRequest.Wire? = switch route.directive {
        case "proxy_pass", "reverse_proxy": .http
        case "uwsgi_pass": .uwsgi
        default: nil
        }
        let direct = wire.map { wire in
            route.target.endpoints.map {
                ProbeRequest(endpoint: $0, path: Self.healthPath, hostHeader: hostHeader, timeout: timeout, wire: wire)
            }
        } ?? []
        var viaProxy: ProbeRequest?
        if let path = Self.proxyPath(for: route.location),
           let listen = Self.probeableListen(route.listen, proxy: proxies.first { $0.kind == route.proxy }) {
            viaProxy = ProbeRequest(endpoint: listen, path: path, hostHeader: hostHeader, timeout: timeout)
        }
        return Plan(route: route, direct: direct, viaProxy: viaProxy)
    }

    /// The first server name a client could send: not `_`, not a wildcard or regex (the
    /// same name the checks' suggested `curl` commands use).
    static func hostHeader(_ names: [String]) -> String {
        Route.requestHostName(names)
    }

    /// A path that lands in this location: prefix and exact locations only.
    static func proxyPath(for location: String) -> String? {
        var location = location
        for modifier in ["= ", "^~ "] where location.hasPrefix(modifier) { location = String(location.dropFirst(modifier.count)) }
        guard location.hasPrefix("/") else { return nil } // regex (~, ~*) and named (@) locations
        return location == "/" ? healthPath : location
    }

    /// A plain-HTTP listen address of the route's server block, turned into an address to
    /// connect to (a wildcard becomes loopback of its family).
    static func probeableListen(_ listens: [String], proxy: ProxyInstance?) -> Endpoint? {
        for raw in listens {
            let words = raw.split(separator: " ")
            if words.contains(where: { $0 == "ssl" || $0 == "quic" }) { continue }
            guard let endpoint = proxy?.listens.first(where: { $0.raw == raw })?.endpoint else { continue }
            switch endpoint {
            case let .tcp(host, port):
                if host == "0.0.0.0" || host == "*" || host.isEmpty { return .tcp(host: "127.0.0.1", port: port) }
                if host == "::" { return .tcp(host: "::1", port: port) }
                return endpoint
            case .unix:
                return endpoint
            }
        }
        return nil
    }
}
