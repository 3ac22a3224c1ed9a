import DoctorFacts

/// `upstream-group-down`: every server of an nginx `upstream` block fails (nothing listens,
/// the direct probes fail, or every one is marked `down`), or the error log says
/// `no live upstreams`. Layer `upstream` when the servers simply do not listen, `route`
/// when a running app server binds elsewhere (then the fix names both sides).
///
/// A group where only some servers fail is not down: nginx passes their share to the
/// others. That is reported under the same id as a **warning** worded "k of n servers do
/// not answer", naming the dead members.
public struct UpstreamGroupDownCheck: Check {
    public init() {}

    public let id = "upstream-group-down"
    public let title = "Every server of an upstream group fails"
    public let layer = Layer.upstream
    public let rationale = """
        With `proxy_pass http://backend`, nginx tries each `server` of the group; when all fail it \
        answers 502, and once every server is marked failed (max_fails, 1 by default) it logs \
        `no live upstreams while connecting to upstream` without even trying, for fail_timeout \
        (10 s by default). Each server is judged like a single target: direct probe, listener table, \
        socket file. When a running app server binds somewhere else, the group points at the wrong \
        place (layer route). A group with some live servers is degraded, not down (a warning under \
        this id naming the dead members).
        """
    public let fixText = """
        Start the app servers behind the group (systemctl start <your app service>), or, when one \
        runs elsewhere, make the `server` line and its bind agree. nginx takes servers back on its \
        own after fail_timeout; no reload is needed once they listen.
        """
    public let precedence = 51

    private static let memberFailures: Set<UpstreamErrorKind> = [.refused, .noSuchFile, .permissionDenied, .backlogFull, .connectTimeout, .serverDisabled]

    struct Member {
        let server: UpstreamServer
        let state: EndpointState
        let markedDown: Bool
        let dead: Bool
        let alive: Bool
        let candidate: MismatchCandidate?
        let events: [ProxyLogEvent]

        var status: String {
            if markedDown { return "marked `down` in the config" }
            if let responded = state.responded { return "answers (\(RouteWording.describe(responded.outcome)))" }
            if let failure = state.failure { return "\(failure) (direct probe)" }
            if state.fileKind == .missing { return "socket file missing" }
            if state.listening == false { return "nothing listens (listener table)" }
            if state.listening == true { return "listening" }
            return "not checked"
        }
    }

    public func run(_ facts: Facts) -> [Finding] {
        facts.upstreamGroups().compactMap { group in check(group, facts: facts) }
    }

    private func check(_ group: UpstreamGroup, facts: Facts) -> Finding? {
        guard let route = group.routes.first else { return nil }
        let members = group.servers.map { server -> Member in
            let state = facts.state(of: server.endpoint)
            let markedDown = server.parameters.contains("down")
            let dead = !markedDown && state.responded == nil
                && (state.failure != nil || (!state.probed && (state.listening == false || state.fileKind == .missing)))
            return Member(server: server, state: state, markedDown: markedDown, dead: dead, alive: !markedDown && state.servingNow,
                          candidate: dead ? facts.mismatchCandidate(for: server.endpoint) : nil,
                          events: facts.failureEvents(Self.memberFailures, at: server.endpoint))
        }
        let active = members.filter { !$0.markedDown }
        let dead = active.filter(\.dead)
        let alive = active.filter(\.alive)
        let noLive = LogMatch.chronological(facts.errorLogs.flatMap(\.events).filter {
            $0.kind == .noLiveUpstreams && Self.event($0, names: group.name)
        })
        let allDown = active.isEmpty || dead.count == active.count
        let degraded = !allDown && !dead.isEmpty
        guard allDown || degraded || !noLive.isEmpty else { return nil }

        let findingLayer: Layer = dead.contains { $0.candidate != nil } ? .route : .upstream
        var evidence = RouteWording.passEvidence(group.routes)
        for member in members {
            var note = member.status
            if let candidate = member.candidate { note += "; \(candidate.bindText) instead" }
            evidence.append(RouteWording.memberEvidence(GroupMember(group: group.name, server: member.server, routes: group.routes), note: note))
        }
        for member in dead.prefix(3) {
            if let probe = member.state.failedProbe { evidence.append(RouteWording.probeEvidence(probe)) }
            else if let listener = RouteWording.listenerEvidence(member.state, facts: facts) { evidence.append(listener) }
            if let candidate = member.candidate { evidence.append(candidate.evidence) }
        }
        evidence += RouteWording.proxyProbeEvidence(group.routes, facts: facts)
        evidence += RouteWording.logEvidence(noLive, facts: facts)
        evidence += RouteWording.logEvidence(LogMatch.chronological(dead.flatMap(\.events)), facts: facts, limit: 2)

        let phrase = RouteWording.routesPhrase(group.routes)
        let deadList = dead.prefix(4).map { "\($0.server.endpoint) \($0.status)" }.joined(separator: ", ")
        var fix: [String] = []
        for member in dead {
            if let candidate = member.candidate {
                fix += candidate.fix(directive: "server", at: member.server.source, pointsTo: member.server.endpoint,
                                     scheme: RouteWording.scheme(of: route))
            }
        }
        let unexplained = dead.filter { $0.candidate == nil }
        if !unexplained.isEmpty {
            let addresses = unexplained.map(\.server.endpoint.description).joined(separator: ", ")
            fix.append("\(RouteWording.startAppServer), so it listens on \(addresses)")
            fix.append(RouteWording.readAppLog)
        }
        let failTimeout = RouteWording.isCaddy(route.directive)
            ? "Caddy tries one upstream per request by default (lb_try_duration 0) and marks none down unless fail_duration or health checks are set; once the servers listen, it uses them again, no reload needed"
            : "nginx keeps a failed server out for fail_timeout (10s by default) after max_fails (1) failures and answers 502 `no live upstreams` meanwhile; it takes servers back on its own, no reload needed"

        if allDown {
            let summary: String
            if active.isEmpty {
                summary = "Every server of upstream \(group.name) is marked `down` (\(phrase), \(route.directive) at \(route.source)): nginx has nowhere to send requests"
                fix.append("Remove `down` from at least one `server` line of upstream \(group.name), then nginx -t and reload")
            } else if group.servers.count == 1, let only = dead.first {
                summary = "The only server of upstream \(group.name), \(only.server.endpoint) (at \(only.server.source)), fails for \(phrase): \(only.status)"
                    + (only.candidate.map { "; \($0.bindText) instead" } ?? "")
            } else {
                summary = "All \(active.count) servers of upstream \(group.name) fail for \(phrase): \(deadList)"
            }
            fix.append(failTimeout)
            return Finding(check: id, layer: findingLayer, severity: .critical, summary: summary, route: route.label,
                           evidence: evidence, fix: fix)
        }
        if degraded {
            let summary = "\(dead.count) of \(active.count) servers of upstream \(group.name) do not answer (\(deadList)); "
                + "nginx sends their share of \(phrase) to the others, retrying each failed connect"
            fix.append("Or take them out of upstream \(group.name) (mark them `down`) until they run again, then nginx -t and reload")
            return Finding(check: id, layer: findingLayer, severity: .warning, summary: summary, route: route.label,
                           evidence: evidence, fix: fix)
        }
        // Only the log says the group was down.
        let recovered = facts.probesProveWorking(active.map(\.server.endpoint), routes: group.routes)
        let nowNote = alive.count == active.count ? "its servers answer now" : "could not check every server now"
        let timeline = FailureTimeline(failingNow: false, events: noLive, recovered: recovered, nowNote: nowNote,
                                       gatheredAt: facts.gatheredAt)
        let count = RouteWording.windowCount(noLive, facts: facts)
        let summary = "nginx found no live server in upstream \(group.name) for \(phrase) (`no live upstreams`, \(count) time\(count == 1 ? "" : "s"))"
            + timeline.qualifier
        return Finding(check: id, layer: layer, severity: .warning, summary: summary, route: route.label, evidence: evidence,
                       fix: ["Find out why its servers failed around \(timeline.lastClock ?? "then"): the app server log, restarts, deploys",
                             failTimeout])
    }

    /// nginx logs `upstream: "http://backend/path"` with the group name where an address would be.
    static func event(_ event: ProxyLogEvent, names group: String) -> Bool {
        if case let .tcp(host, _)? = event.endpoint, host == group { return true }
        let text = event.upstream ?? event.line
        return LogMatch.containsDelimited(text, "://" + group) { $0.isLetter || $0.isNumber || ".-_".contains($0) }
    }
}
