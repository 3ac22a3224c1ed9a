import DoctorFacts

// Shared reading of the facts for the response checks (header-too-big,
// invalid-upstream-response, truncated-response, request-too-large, keepalive-mismatch):
// which route a logged request went through, and how to cite a route setting.

/// Error-log events of some kinds grouped by the route that served the request: the
/// upstream address the line names, then the route among those reaching that address whose
/// server name and location match the logged request best.
struct RouteEvents {
    let route: Route
    /// The address the lines name.
    let endpoint: Endpoint
    /// Oldest first.
    var events: [ProxyLogEvent]
    /// Every route reaching the address (for evidence), the matched one first.
    let routes: [Route]

    /// Distinct request paths of the lines (without the query), most recent first, at most `limit`.
    func requestPaths(limit: Int = 3) -> [String] {
        var seen: [String] = []
        for event in events.reversed() {
            guard let path = ResponseWording.requestPath(event), !seen.contains(path) else { continue }
            seen.append(path)
            if seen.count == limit { break }
        }
        return seen
    }
}

extension Facts {
    /// Events of `kinds` in the window, grouped per (route, address), in route order.
    func routeEvents(_ kinds: Set<UpstreamErrorKind>, where include: (ProxyLogEvent) -> Bool = { _ in true }) -> [RouteEvents] {
        var groups: [RouteEvents] = []
        for use in allTargets() {
            let events = failureEvents(kinds, at: use.endpoint).filter(include)
            guard !events.isEmpty else { continue }
            let routes = use.allRoutes
            guard !routes.isEmpty else { continue }
            var byRoute: [Route: [ProxyLogEvent]] = [:]
            for event in events {
                byRoute[ResponseWording.route(for: event, among: routes), default: []].append(event)
            }
            for route in routes {
                guard let matched = byRoute[route] else { continue }
                groups.append(RouteEvents(route: route, endpoint: use.endpoint, events: matched,
                                          routes: [route] + routes.filter { $0 != route }))
            }
        }
        return groups
    }
}

extension Facts {
    /// Events of `kinds` whose line names no upstream address, tied to `routes` by the server
    /// name the line still carries and the logged request path. nginx cuts an error-log line
    /// at 2048 bytes, so a request line of a few kB pushes `upstream: "…"` off its end:
    /// exactly the lines of the large requests `request-too-large` is about.
    func unaddressedEvents(_ kinds: Set<UpstreamErrorKind>, routes: [Route]) -> [ProxyLogEvent] {
        let events = errorLogs.flatMap(\.events).filter { event in
            guard kinds.contains(event.kind), event.endpoint == nil, event.upstream == nil,
                  let server = event.server?.lowercased() else { return false }
            let candidates = self.routes.filter { route in route.serverNames.contains { $0.lowercased() == server } }
            guard !candidates.isEmpty else { return false }
            return routes.contains(ResponseWording.route(for: event, among: candidates))
        }
        return LogMatch.chronological(events)
    }
}

/// Wording and matching shared by the response checks.
enum ResponseWording {
    /// `/bigheader/` from `GET /bigheader/?kb=20 HTTP/1.1` (the query left out: it may carry
    /// secrets, and requests are grouped by view).
    static func requestPath(_ event: ProxyLogEvent) -> String? {
        guard let request = event.request else { return nil }
        let words = request.split(separator: " ", omittingEmptySubsequences: true)
        guard words.count >= 2 else { return nil }
        let target = words[1]
        return String(target.prefix { $0 != "?" })
    }

    /// The route a logged request went through: among `routes`, the one whose server name
    /// matches the line's `host`/`server` and whose prefix location is the longest prefix of
    /// the path (nginx's prefix rule; regex locations are not evaluated), else the first.
    /// `routes` is never empty (every caller has at least the routes of one address).
    static func route(for event: ProxyLogEvent, among routes: [Route]) -> Route {
        guard routes.count > 1, let first = routes.first else { return routes[0] }
        let names = [event.host, event.server].compactMap { $0?.lowercased() }
        let named = routes.filter { route in route.serverNames.contains { names.contains($0.lowercased()) } }
        let candidates = named.isEmpty ? routes : named
        guard let path = requestPath(event) else { return candidates.first ?? first }
        var best: (route: Route, length: Int)?
        for route in candidates {
            let location = route.location
            if location.hasPrefix("= ") {
                if String(location.dropFirst(2)) == path { return route }
                continue
            }
            if location.hasPrefix("~") { continue }
            let prefix = location.hasPrefix("^~ ") ? String(location.dropFirst(3)) : location
            if path.hasPrefix(prefix), prefix.count > (best?.length ?? -1) { best = (route, prefix.count) }
        }
        return best?.route ?? candidates.first ?? first
    }

    /// A route setting as evidence: `proxy_buffer_size 4k` at its file:line, or nginx's default.
    static func settingEvidence(_ setting: RouteSetting, note: String? = nil) -> Evidence {
        let suffix = note.map { ": \($0)" } ?? ""
        // Upstream-block settings are kept as `upstream.NAME`; nginx's config says `NAME`.
        let inUpstream = setting.name.hasPrefix("upstream.")
        let name = inUpstream ? String(setting.name.dropFirst("upstream.".count)) : setting.name
        let block = inUpstream ? " (upstream block)" : ""
        if let source = setting.source {
            return Evidence(kind: .config, text: "\(name) \(setting.value)\(block)\(suffix)", source: source.description)
        }
        return Evidence(kind: .config, text: "\(name) \(setting.value)\(block) (nginx's default, not written in the config)\(suffix)",
                        source: "nginx -T | grep -n \(name)")
    }

    /// `4k (default)` or `16k (/etc/nginx/sites-enabled/app:12)`.
    static func settingText(_ setting: RouteSetting) -> String {
        "\(setting.value) (\(setting.source?.description ?? "default"))"
    }

    /// Where a person writes a directive for this route: the setting's own line when written,
    /// else the `location` holding the pass directive.
    static func placeText(_ setting: RouteSetting?, route: Route) -> String {
        if let source = setting?.source { return "at \(source)" }
        return "in the location `\(route.location)` (its pass directive is at \(route.source))"
    }

    /// `1.5 kB`, `20 kB`, `1 MB` for a byte count.
    static func size(_ bytes: Int) -> String {
        if bytes >= 1024 * 1024, bytes % (1024 * 1024) == 0 { return "\(bytes / (1024 * 1024))m" }
        if bytes >= 1024, bytes % 1024 == 0 { return "\(bytes / 1024)k" }
        return "\(bytes) bytes"
    }

    /// The probe through the proxy for this route got a gateway error (502/504) now.
    static func proxyFailsNow(_ route: Route, facts: Facts) -> ProbeResult? {
        guard let probe = facts.proxyProbe(for: route), case let .response(status, _) = probe.outcome,
              RouteWording.gatewayStatuses.contains(status) else { return nil }
        return probe
    }

    /// The probe through the proxy got no usable answer now: a gateway error (502/504), or a
    /// reply that is not HTTP at all (nginx relays a non-HTTP upstream's bytes as HTTP/0.9).
    static func proxyBrokenNow(_ route: Route, facts: Facts) -> ProbeResult? {
        if let probe = proxyFailsNow(route, facts: facts) { return probe }
        guard let probe = facts.proxyProbe(for: route), case let .failed(failure) = probe.outcome,
              failure == .notHTTP || failure == .closedEarly else { return nil }
        return probe
    }

    /// The probe through the proxy failed now on a path the log lines name for this failure:
    /// the failure is not limited to a few requests.
    static func probeHitsLoggedPath(_ group: RouteEvents, facts: Facts) -> ProbeResult? {
        guard let probe = proxyFailsNow(group.route, facts: facts) else { return nil }
        let path = String(probe.path.prefix { $0 != "?" })
        return group.events.contains { requestPath($0) == path } ? probe : nil
    }

    /// `12 requests` / `1 request`.
    static func requests(_ count: Int) -> String { counted(count, "request") }

    /// `1 time`, `3 times`: a count with its noun, for every check's summary (no `time(s)`).
    static func counted(_ count: Int, _ noun: String) -> String { "\(count) \(noun)\(count == 1 ? "" : "s")" }

    /// `/a/, /b/` for paths, with `…` when cut.
    static func pathsText(_ paths: [String]) -> String {
        paths.isEmpty ? "" : " (" + paths.joined(separator: ", ") + ")"
    }
}
