import DoctorFacts

// Shared reading of the facts about route targets, for the route, socket, upstream,
// capacity and network checks. Everything here is a pure function of `Facts`.

/// One address some route sends requests to, with everyone who names it: pass
/// directives that name it directly, and `server` lines of upstream groups.
struct TargetUse {
    let endpoint: Endpoint
    /// Routes whose pass directive names the address directly.
    var routes: [Route] = []
    /// Upstream `server` lines naming it, with the routes that pass to their group.
    var members: [GroupMember] = []

    /// Every route that ends up here, directly or through a group, without repeats.
    var allRoutes: [Route] {
        var seen = Set<Route>()
        return (routes + members.flatMap(\.routes)).filter { seen.insert($0).inserted }
    }

    /// The route a finding is filed under.
    var firstRoute: Route? { allRoutes.first }
}

/// One `server` line of an upstream group and the routes that use the group.
struct GroupMember {
    let group: String
    let server: UpstreamServer
    let routes: [Route]
}

/// An nginx `upstream` block as the routes that pass to it see it.
struct UpstreamGroup {
    let name: String
    let servers: [UpstreamServer]
    var routes: [Route]
}

/// What is known about one target address right now, from direct probes first
/// (they are what nginx itself would meet), then the listener table and the socket file.
struct EndpointState {
    let endpoint: Endpoint
    /// Direct probes of this address that say something (not "not recorded").
    let probes: [ProbeResult]
    /// A probe that got an HTTP response: the address accepts connections now.
    let responded: ProbeResult?
    /// The first failed probe, when none responded.
    let failedProbe: ProbeResult?
    /// Whether the listener table shows a socket that accepts this address; `nil` when it
    /// cannot tell (table unavailable, or a non-loopback TCP address that may be another host).
    let listening: Bool?
    /// Listeners that accept this address.
    let listeners: [Listener]
    /// What is at the path, for unix sockets (`nil` when not gathered).
    let fileKind: FileKind?

    var probed: Bool { !probes.isEmpty }

    var failure: ProbeFailure? {
        guard responded == nil, let failedProbe, case let .failed(failure) = failedProbe.outcome else { return nil }
        return failure
    }

    /// It accepts connections now: a probe answered, or (unprobed) a listener holds it.
    var servingNow: Bool { responded != nil || (!probed && listening == true) }

    /// Nothing accepts connections here now: a probe was refused, or (unprobed) the listener
    /// table proves nothing listens. For unix sockets this is "stale" when the file exists.
    var refusedNow: Bool {
        if responded != nil { return false }
        if failure == .refused { return true }
        return !probed && listening == false
    }

    /// The unix socket path does not exist now.
    var missingNow: Bool {
        if responded != nil { return false }
        if failure == .noSuchFile { return true }
        return fileKind == .missing && failure == nil
    }
}

extension Facts {
    /// The listener table could be read: "nothing listens" may be claimed from it.
    var listenerTableKnown: Bool { !unavailable.contains { $0.what == Unavailable.listenerTable } }

    /// The process table could be read: "no app server runs" may be claimed from it.
    var processTableKnown: Bool { !unavailable.contains { $0.what == Unavailable.processTable } }

    /// Addresses named directly by a pass directive, in route order, each once.
    func directTargets() -> [TargetUse] {
        var uses: [TargetUse] = []
        var index: [Endpoint: Int] = [:]
        for route in routes {
            guard case let .endpoint(_, endpoint) = route.target else { continue }
            if let at = index[endpoint] {
                uses[at].routes.append(route)
            } else {
                index[endpoint] = uses.count
                uses.append(TargetUse(endpoint: endpoint, routes: [route]))
            }
        }
        return uses
    }

    /// Upstream groups with at least one server, each once (keyed by name and server lines).
    func upstreamGroups() -> [UpstreamGroup] {
        var groups: [UpstreamGroup] = []
        var index: [String: Int] = [:]
        for route in routes {
            guard case let .upstream(_, name, servers) = route.target, !servers.isEmpty else { continue }
            let key = name + "|" + servers.map { "\($0.endpoint)@\($0.source)" }.joined(separator: ",")
            if let at = index[key] {
                groups[at].routes.append(route)
            } else {
                index[key] = groups.count
                groups.append(UpstreamGroup(name: name, servers: servers, routes: [route]))
            }
        }
        return groups
    }

    /// Every address a route reaches, directly or as a group member, each once.
    func allTargets() -> [TargetUse] {
        var uses = directTargets()
        var index = Dictionary(uniqueKeysWithValues: uses.enumerated().map { ($0.element.endpoint, $0.offset) })
        for group in upstreamGroups() {
            for server in group.servers {
                let member = GroupMember(group: group.name, server: server, routes: group.routes)
                if let at = index[server.endpoint] {
                    uses[at].members.append(member)
                } else {
                    index[server.endpoint] = uses.count
                    uses.append(TargetUse(endpoint: server.endpoint, members: [member]))
                }
            }
        }
        return uses
    }

    /// Unix socket addresses any route reaches.
    func unixTargets() -> [TargetUse] {
        allTargets().filter { if case .unix = $0.endpoint { true } else { false } }
    }

    /// Direct probes of this address that recorded something.
    func directProbes(of endpoint: Endpoint) -> [ProbeResult] {
        (routeProbes.flatMap(\.direct) + probes).filter {
            $0.endpoint == endpoint && $0.outcome != .failed(.notRecorded)
        }
    }

    /// The probe of this route through the proxy's listener, when one was recorded.
    func proxyProbe(for route: Route) -> ProbeResult? {
        guard let probe = routeProbes.first(where: { $0.route == route.label })?.viaProxy,
              probe.outcome != .failed(.notRecorded) else { return nil }
        return probe
    }

    /// What is known about this address now.
    func state(of endpoint: Endpoint) -> EndpointState {
        let probes = directProbes(of: endpoint)
        let responded = probes.first { if case .response = $0.outcome { true } else { false } }
        let failed = responded == nil ? probes.first : nil
        let accepting = listeners(for: endpoint)
        var listening: Bool?
        if listenerTableKnown {
            switch endpoint {
            case .unix:
                listening = !accepting.isEmpty
            case let .tcp(host, _):
                if HostText.isLoopback(host) {
                    listening = !accepting.isEmpty
                } else if accepting.contains(where: { !$0.endpoint.isWildcard }) {
                    // Bound exactly to this address: it is one of ours.
                    listening = true
                }
            }
        }
        var fileKind: FileKind?
        if case let .unix(path) = endpoint { fileKind = socketFiles[path] }
        return EndpointState(endpoint: endpoint, probes: probes, responded: responded, failedProbe: failed,
                             listening: listening, listeners: accepting, fileKind: fileKind)
    }

    /// Upstream error-log events of these kinds about this address, oldest first, over every error log.
    func failureEvents(_ kinds: Set<UpstreamErrorKind>, at endpoint: Endpoint) -> [ProxyLogEvent] {
        let events = errorLogs.flatMap(\.events).filter { event in
            kinds.contains(event.kind) && LogMatch.event(event, concerns: endpoint)
        }
        return LogMatch.chronological(events)
    }

    /// Whether the probes prove these routes work now: every address answered a direct
    /// probe, and every recorded probe through the proxy got something other than 502/504.
    /// With `proxyRequired`, at least one probe through the proxy must exist (a direct
    /// probe as gwdoctor's user says nothing about what the proxy's worker user can reach).
    func probesProveWorking(_ endpoints: [Endpoint], routes: [Route], proxyRequired: Bool = false) -> Bool {
        guard !endpoints.isEmpty, endpoints.allSatisfy({ state(of: $0).responded != nil }) else { return false }
        let viaProxy = routes.compactMap { proxyProbe(for: $0) }
        if proxyRequired && viaProxy.isEmpty { return false }
        return viaProxy.allSatisfy { probe in
            if case let .response(status, _) = probe.outcome { return !RouteWording.gatewayStatuses.contains(status) }
            return false
        }
    }

    /// The app servers that can be the ones this proxy talks to. The process table covers
    /// the whole machine but the listener table only this network namespace: an app server
    /// that holds sockets, none of them a listener here, listens in another namespace
    /// (another container, a parallel lab) and is neither blamed nor offered as "the one
    /// meant". One holding no socket at all (booting, or its fds unreadable) is kept.
    var localAppServers: [AppServer] {
        guard listenerTableKnown else { return appServers }
        let holders = Set(listeners.flatMap(\.pids))
        return appServers.filter { app in
            let pids = [app.masterPID] + app.workerPIDs
            if pids.contains(where: holders.contains) { return true }
            let records = pids.compactMap { process($0) }
            return records.allSatisfy { $0.socketInodes.isEmpty }
        }
    }

    /// App servers left out because they listen in another network namespace.
    var foreignAppServers: [AppServer] {
        let local = Set(localAppServers.map(\.masterPID))
        return appServers.filter { !local.contains($0.masterPID) }
    }

    /// The app servers' addresses: their binds, and the listening sockets their processes hold
    /// (a bind by inherited fd, or one the command line does not show).
    func appServerEndpoints(_ app: AppServer) -> [(endpoint: Endpoint, source: String)] {
        var result: [(endpoint: Endpoint, source: String)] = []
        for bind in app.binds {
            guard let endpoint = bind.endpoint, !result.contains(where: { $0.endpoint == endpoint }) else { continue }
            result.append((endpoint, bind.source))
        }
        let pids = Set([app.masterPID] + app.workerPIDs)
        for listener in listeners where !pids.isDisjoint(with: listener.pids) {
            guard !result.contains(where: { $0.endpoint == listener.endpoint }) else { continue }
            result.append((listener.endpoint, "listener table"))
        }
        return result
    }

    /// App servers whose binds accept this address.
    func appServersBinding(_ endpoint: Endpoint) -> [AppServer] {
        localAppServers.filter { app in app.binds.contains { $0.endpoint.map { Facts.listener($0, accepts: endpoint) } ?? false } }
    }
}

/// Host-name text: which hosts are IP literals, loopback, or names that need resolving.
enum HostText {
    static func normalized(_ host: String) -> String {
        var host = host.lowercased()
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host.hasPrefix("::ffff:") { host = String(host.dropFirst(7)) }
        return host
    }

    static func isIPv4(_ host: String) -> Bool {
        let parts = normalized(host).split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { part in
            !part.isEmpty && part.count <= 3 && part.allSatisfy(\.isNumber) && (Int(part) ?? 256) <= 255
        }
    }

    static func isIP(_ host: String) -> Bool {
        isIPv4(host) || normalized(host).contains(":")
    }

    /// Addresses that can only mean this machine (connecting to 0.0.0.0 reaches loopback on Linux).
    static func isLoopback(_ host: String) -> Bool {
        let host = normalized(host)
        if host == "localhost" || host == "::1" || host == "0:0:0:0:0:0:0:1" || host == "0.0.0.0" || host == "::" { return true }
        return isIPv4(host) && host.hasPrefix("127.")
    }

    /// A name that has to be resolved (not an IP literal, not `localhost`, not a variable).
    static func isName(_ host: String) -> Bool {
        let host = normalized(host)
        return !host.isEmpty && host != "*" && host != "localhost" && !isIP(host) && !host.contains("$")
    }
}

/// Which log events are about which address.
enum LogMatch {
    static func event(_ event: ProxyLogEvent, concerns target: Endpoint) -> Bool {
        if let logged = event.endpoint { return self.endpoint(logged, matches: target) }
        // No parsed address: fall back to the text nginx writes (`unix:/run/app.sock:` in
        // `upstream: "http://unix:/run/app.sock:/"`, `connect() to unix:/run/app.sock failed`).
        let text = event.upstream ?? event.line
        switch target {
        case let .unix(path):
            return containsDelimited(text, "unix:" + path) { $0.isLetter || $0.isNumber || ".-_/".contains($0) }
        case .tcp:
            return containsDelimited(text, "//" + target.description) { $0.isNumber }
        }
    }

    /// nginx logs the address it connected to: the resolved one (`127.0.0.1:8000` for a
    /// route to `localhost:8000`).
    static func endpoint(_ logged: Endpoint, matches target: Endpoint) -> Bool {
        switch (logged, target) {
        case let (.unix(a), .unix(b)):
            return a == b
        case let (.tcp(loggedHost, loggedPort), .tcp(targetHost, targetPort)):
            guard loggedPort == targetPort else { return false }
            let (a, b) = (HostText.normalized(loggedHost), HostText.normalized(targetHost))
            if a == b { return true }
            return b == "localhost" && (a == "127.0.0.1" || a == "::1")
        default:
            return false
        }
    }

    /// `needle` occurs in `text` and is not the prefix of a longer path or port: the
    /// character after it is not one that `continues` it.
    static func containsDelimited(_ text: String, _ needle: String, continues: (Character) -> Bool) -> Bool {
        var search = text[...]
        while let range = search.range(of: needle) {
            guard let next = search[range.upperBound...].first, continues(next) else { return true }
            search = search[range.upperBound...]
        }
        return false
    }

    /// Oldest first; events without a time keep their place after the timed ones.
    static func chronological(_ events: [ProxyLogEvent]) -> [ProxyLogEvent] {
        events.enumerated().sorted { lhs, rhs in
            switch (lhs.element.time, rhs.element.time) {
            case let (a?, b?) where a != b: return a < b
            case (nil, _?): return false
            case (_?, nil): return true
            default: return lhs.offset < rhs.offset
            }
        }.map(\.element)
    }
}
