import DoctorFacts

/// `target-mismatch`: an app server runs, but binds somewhere else than where the route
/// points: another port, another socket path, another address or address family
/// (`proxy_pass http://127.0.0.1:8000` while gunicorn binds `[::1]:8000`), or TCP
/// against a unix socket. Acceptance is decided by `Facts.listener(_:accepts:)`, so a
/// route to `localhost:8000` is served by a bind on either `127.0.0.1` or `::1`.
///
/// Preferred over `socket-missing` and `socket-stale`: when the socket file is missing or
/// stale but an app server binds another path, the paths disagree and that is the fix.
/// Also reports, as **info**, a route to `localhost` where only one of `127.0.0.1` and
/// `::1` listens (nginx round-robins both and logs a refused connect for the other).
public struct TargetMismatchCheck: Check {
    public init() {}

    public let id = "target-mismatch"
    public let title = "The route points where the running app server does not bind"
    public let layer = Layer.route
    public let rationale = """
        The app server is up and healthy on its own address, yet every request through the proxy \
        fails (502, `connect() failed (111: Connection refused)` or `(2: No such file or directory)`) \
        because the pass directive and the bind disagree: another port, another socket path, \
        127.0.0.1 against [::1], or TCP against a unix socket. Restarting anything does not help; \
        one side has to change. The app server named is the most plausible one: the same kind of \
        address at the same port or another socket path first, then the only one running. When a \
        unix socket is missing or stale while an app server binds another path, this check reports \
        it instead of socket-missing or socket-stale.
        """
    public let fixText = """
        Make both sides name the same address: "proxy_pass at FILE:LINE points to X; gunicorn pid N \
        binds Y; change one to match". Either change the pass directive (then nginx -t and reload) \
        or the app server's bind (then restart it).
        """
    public let precedence = 30

    public func run(_ facts: Facts) -> [Finding] {
        facts.directTargets().compactMap { use in
            let state = facts.state(of: use.endpoint)
            if state.servingNow { return halfLocalhost(use, state: state, facts: facts) }
            guard let candidate = facts.mismatchCandidate(for: use.endpoint), let route = use.routes.first else { return nil }
            let failingNow: Bool
            switch use.endpoint {
            case .tcp: failingNow = state.refusedNow
            case .unix: failingNow = state.missingNow || state.refusedNow
            }
            let events = facts.failureEvents([.refused, .noSuchFile], at: use.endpoint)
            let timeline = FailureTimeline(failingNow: failingNow, events: events, recovered: false,
                                           nowNote: "could not check now: \(unknownNowReason(state, facts: facts))",
                                           gatheredAt: facts.gatheredAt)
            guard timeline.fires else { return nil }

            var evidence = RouteWording.passEvidence(use.routes)
            evidence.append(candidate.evidence)
            if case let .unix(path) = use.endpoint, state.fileKind == .missing {
                evidence.append(Evidence(kind: .file, text: "ls: cannot access '\(path)': No such file or directory", source: "ls -l \(path)"))
            }
            if let listener = RouteWording.listenerEvidence(state, facts: facts) { evidence.append(listener) }
            if let probe = state.failedProbe { evidence.append(RouteWording.probeEvidence(probe)) }
            evidence += RouteWording.proxyProbeEvidence(use.routes, facts: facts)
            evidence += RouteWording.logEvidence(events, facts: facts)

            let summary = "\(RouteWording.routesPhrase(use.routes)) points to \(use.endpoint) (\(route.directive) at \(route.source)), "
                + "but \(candidate.bindText): \(candidate.difference)" + timeline.qualifier
            return Finding(check: id, layer: layer, severity: timeline.severity, summary: summary, route: route.label,
                           evidence: evidence,
                           fix: candidate.fix(directive: route.directive, at: route.source, pointsTo: use.endpoint,
                                              scheme: RouteWording.scheme(of: route)))
        }
    }

    /// `localhost` resolves to 127.0.0.1 and ::1; nginx uses both as peers. When only one
    /// listens, requests still succeed, but every connect to the other is refused and logged.
    private func halfLocalhost(_ use: TargetUse, state: EndpointState, facts: Facts) -> Finding? {
        guard case let .tcp(host, port) = use.endpoint, HostText.normalized(host) == "localhost",
              facts.listenerTableKnown, let route = use.routes.first else { return nil }
        let v4 = Endpoint.tcp(host: "127.0.0.1", port: port), v6 = Endpoint.tcp(host: "::1", port: port)
        let (v4Listens, v6Listens) = (!facts.listeners(for: v4).isEmpty, !facts.listeners(for: v6).isEmpty)
        guard v4Listens != v6Listens else { return nil }
        let (live, dead) = v4Listens ? (v4, v6) : (v6, v4)
        var evidence = RouteWording.passEvidence(use.routes)
        if let listener = RouteWording.listenerEvidence(state, facts: facts) { evidence.append(listener) }
        evidence += RouteWording.logEvidence(facts.failureEvents([.refused], at: dead), facts: facts)
        let passValue = RouteWording.passValue(directive: route.directive, scheme: RouteWording.scheme(of: route), endpoint: live)
        return Finding(check: id, layer: layer, severity: .info,
                       summary: "\(RouteWording.routesPhrase(use.routes)) points to \(use.endpoint), which resolves to 127.0.0.1 and ::1, "
                           + "but only \(live) listens: \(RouteWording.proxyName(use.routes)) also tries \(dead), gets connection refused and logs it",
                       route: route.label, evidence: evidence,
                       fix: ["Name the address that listens: `\(RouteWording.passLine(directive: route.directive, value: passValue))` at \(route.source), then \(RouteWording.testAndReload(directive: route.directive))",
                             "Or make the app server listen on both 127.0.0.1 and ::1 (two binds)"])
    }
}

/// Why "now" is unknown for an address, for "could not check now: …".
func unknownNowReason(_ state: EndpointState, facts: Facts) -> String {
    if let failure = state.failure { return "the direct probe failed differently (\(failure))" }
    if !facts.listenerTableKnown { return "listener table unavailable" + (state.probed ? "" : " and no probe") }
    if case let .tcp(host, _) = state.endpoint, !HostText.isLoopback(host) {
        return "\(host) may be another host" + (state.probed ? "" : " and it was not probed")
    }
    return "no probe"
}
