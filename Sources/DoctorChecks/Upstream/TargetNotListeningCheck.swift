import DoctorFacts

/// `target-not-listening`: nothing listens at a route's TCP target, no app server binds
/// it, and no running app server could be the one meant (that would be
/// `target-mismatch`). The app server is simply not running.
///
/// Evidence comes from the direct probe (connection refused) when probing ran, else from
/// the listener table for loopback targets (a non-loopback address may be another host);
/// with neither, only the error log can say so, and then it is a warning. When the
/// listener table could not be read and nothing was probed, it never claims "nothing
/// listens" on its own.
public struct TargetNotListeningCheck: Check {
    public init() {}

    public let id = "target-not-listening"
    public let title = "Nothing listens at the route's target"
    public let layer = Layer.upstream
    public let rationale = """
        nginx answers 502 and logs `connect() failed (111: Connection refused) while connecting to \
        upstream` for every request: the address it passes to has no listening socket and no app \
        server is running that binds it (or could be meant instead: that is target-mismatch). The \
        app server was stopped, crashed, or never started. An app server that names this address \
        but does not listen yet is booting or crash-looping, not this. Critical when it fails now \
        (probe refused, or no probe and no listener on a loopback address); a warning when only \
        earlier log lines say so, "recovered since HH:MM" when the probes now succeed.
        """
    public let fixText = """
        Start the app server (systemctl start <your app service>), check that it listens on the \
        address the route names (ss -ltnp | grep :PORT), and read its log if it does not stay up.
        """
    public let precedence = 50

    public func run(_ facts: Facts) -> [Finding] {
        facts.directTargets().compactMap { use in
            guard case let .tcp(host, port) = use.endpoint, let route = use.routes.first else { return nil }
            let state = facts.state(of: use.endpoint)
            if servesOnlyOneLocalhostFamily(host: host, port: port, state: state, facts: facts) { return nil }
            let events = facts.failureEvents([.refused], at: use.endpoint)
            let failingNow = state.refusedNow
            if failingNow {
                // It names this address but does not listen: booting or crash-looping, not stopped.
                if !facts.appServersBinding(use.endpoint).isEmpty { return nil }
                if facts.mismatchCandidate(for: use.endpoint) != nil { return nil }
            } else if !state.servingNow, facts.mismatchCandidate(for: use.endpoint) != nil {
                return nil
            }
            let nowNote = state.servingNow
                ? (state.probed ? "the direct probe answers now" : "a listener holds it now")
                : "could not check now: \(unknownNowReason(state, facts: facts))"
            let timeline = FailureTimeline(failingNow: failingNow, events: events,
                                           recovered: facts.probesProveWorking([use.endpoint], routes: use.routes),
                                           nowNote: nowNote, gatheredAt: facts.gatheredAt)
            guard timeline.fires else { return nil }

            var evidence = RouteWording.passEvidence(use.routes)
            if let listener = RouteWording.listenerEvidence(state, facts: facts) { evidence.append(listener) }
            if let probe = state.failedProbe ?? state.responded { evidence.append(RouteWording.probeEvidence(probe)) }
            evidence += RouteWording.proxyProbeEvidence(use.routes, facts: facts)
            evidence += RouteWording.logEvidence(events, facts: facts)
            if failingNow { evidence.append(RouteWording.appServersEvidence(facts)) }

            let routes = RouteWording.routesPhrase(use.routes)
            let summary: String
            var fix: [String]
            if failingNow {
                let apps = facts.localAppServers.isEmpty ? "no app server is running" : "no running app server binds it"
                summary = "Nothing listens at \(use.endpoint), where \(routes) sends requests (\(route.directive) at \(route.source)); \(apps)"
                fix = ["\(RouteWording.startAppServer), so it listens on \(use.endpoint)",
                       RouteWording.readAppLog,
                       "Check it answers before retrying through the proxy: \(RouteWording.probeCommand(use.endpoint, for: use.routes))"]
            } else {
                let count = RouteWording.windowCount(events, facts: facts)
                summary = "\(RouteWording.proxyName(use.routes)) could not connect to \(use.endpoint) for \(routes) (connection refused, \(count) time\(count == 1 ? "" : "s"))"
                    + timeline.qualifier
                fix = timeline.recovered
                    ? ["It answers now: find out why it stopped around \(timeline.lastClock ?? "then") (app server log: crash, restart, deploy)"]
                    : ["Check whether it listens now: \(RouteWording.listenerCommand(use.endpoint)); if not, \(RouteWording.startAppServer.lowercased())"]
                fix.append(RouteWording.readAppLog)
            }
            return Finding(check: id, layer: layer, severity: timeline.severity, summary: summary, route: route.label,
                           evidence: evidence, fix: fix)
        }
    }

    /// A `localhost` route where one of 127.0.0.1 / ::1 listens works (nginx retries the
    /// other peer); `target-mismatch` reports the refused half as info.
    private func servesOnlyOneLocalhostFamily(host: String, port: Int, state: EndpointState, facts: Facts) -> Bool {
        guard HostText.normalized(host) == "localhost", state.servingNow, facts.listenerTableKnown else { return false }
        let v4 = !facts.listeners(for: .tcp(host: "127.0.0.1", port: port)).isEmpty
        let v6 = !facts.listeners(for: .tcp(host: "::1", port: port)).isEmpty
        return v4 != v6
    }
}
