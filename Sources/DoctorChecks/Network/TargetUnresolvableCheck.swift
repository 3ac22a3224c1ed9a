import DoctorFacts

/// `target-unresolvable`: a route's target is a host name that does not resolve.
///
/// - A fixed `proxy_pass http://app.internal:8000` or `server app.internal:8000;`: the
///   direct probe fails with `unresolvable`, the error log says `could not be resolved` /
///   `host not found`, or `nginx -t` fails with `host not found in upstream` (nginx resolves
///   these names only when it loads the config: a running master keeps the old address,
///   the next reload or start fails).
/// - A target with variables (`proxy_pass http://$backend`), resolved per request: nginx
///   needs a `resolver` directive for it. The config model does not carry `resolver`
///   (not in `ProxyInstance`), so only the log's `no resolver defined to resolve NAME` /
///   `could not be resolved` says so.
public struct TargetUnresolvableCheck: Check {
    public init() {}

    public let id = "target-unresolvable"
    public let title = "The route's target host name does not resolve"
    public let layer = Layer.network
    public let rationale = """
        A proxy_pass or upstream server named by host name needs DNS (or /etc/hosts) when nginx \
        loads its config: a name that does not resolve makes `nginx -t` fail with `host not found \
        in upstream`, so a running nginx keeps the old address and the next reload fails. A target \
        with variables is resolved per request and needs a `resolver` directive; without one nginx \
        logs `no resolver defined to resolve NAME` and answers 502, and `nginx -t` passes. Critical \
        when the probe cannot resolve the name now, the proxy cannot start because of it, or the \
        route's probe through the proxy gets 502 with such log lines; a warning from log lines alone.
        """
    public let fixText = """
        Check the name on this host (getent hosts NAME), fix the DNS record or /etc/hosts or use an \
        IP address, then nginx -t and reload. For targets with variables, add `resolver <DNS server \
        IP> valid=30s;` (nginx does not read /etc/resolv.conf).
        """
    public let precedence = 70

    public func run(_ facts: Facts) -> [Finding] {
        let named = facts.allTargets().compactMap { use -> Finding? in
            guard case let .tcp(host, _) = use.endpoint, HostText.isName(host) else { return nil }
            return namedTarget(use, host: host, facts: facts)
        }
        return named + variableTargets(facts)
    }

    private func namedTarget(_ use: TargetUse, host: String, facts: Facts) -> Finding? {
        guard let route = use.firstRoute else { return nil }
        let state = facts.state(of: use.endpoint)
        let events = LogMatch.chronological(facts.errorLogs.flatMap(\.events).filter {
            $0.kind == .unresolvable && Self.mentions($0.line, host)
        })
        let testFailures = facts.proxies.flatMap { proxy in
            (proxy.configTest?.messages ?? []).filter { $0.text.contains("host not found") && Self.mentions($0.text, host) }
                .map { (proxy, $0) }
        }
        var probeFailure = false
        if case .unresolvable? = state.failure { probeFailure = true }
        let proxyCannotStart = testFailures.contains { $0.0.masterPID == nil }
        let failingNow = probeFailure || proxyCannotStart
        guard failingNow || !events.isEmpty || !testFailures.isEmpty else { return nil }
        let routes = use.allRoutes
        let nowNote = state.responded != nil ? "the direct probe reaches it now"
            : testFailures.isEmpty ? "could not check now: \(unknownNowReason(state, facts: facts))" : "nginx -t still fails on it"
        let timeline = FailureTimeline(failingNow: failingNow, events: events,
                                       recovered: testFailures.isEmpty && facts.probesProveWorking([use.endpoint], routes: routes),
                                       nowNote: nowNote, gatheredAt: facts.gatheredAt)

        var evidence = RouteWording.useEvidence(use)
        if let probe = state.failedProbe ?? state.responded { evidence.append(RouteWording.probeEvidence(probe)) }
        for (proxy, message) in testFailures.prefix(2) {
            evidence.append(Evidence(kind: .command, text: "nginx -t: [\(message.level)] \(message.text)",
                                     source: message.location?.description ?? configTestCommand(proxy)))
        }
        evidence.append(Evidence(kind: .command, text: "resolve it as nginx does", source: "getent hosts \(host)"))
        evidence += RouteWording.proxyProbeEvidence(routes, facts: facts)
        evidence += RouteWording.logEvidence(events, facts: facts)

        let phrase = RouteWording.routesPhrase(routes)
        let place = use.members.first.map { "server line at \($0.server.source)" } ?? "\(route.directive) at \(route.source)"
        let summary: String
        if probeFailure || (failingNow && proxyCannotStart) {
            summary = "\(host) in \(use.endpoint) does not resolve (\(phrase), \(place))"
                + (proxyCannotStart ? "; nginx cannot start with it (`host not found in upstream`)" : "")
        } else if !testFailures.isEmpty && events.isEmpty {
            summary = "\(host) in \(use.endpoint) does not resolve for `nginx -t` (\(phrase), \(place)): the running nginx keeps the address it resolved at start, the next reload or restart fails"
        } else {
            summary = "nginx could not resolve \(host) for \(phrase) (\(place))" + timeline.qualifier
        }
        let location = use.members.first?.server.source ?? route.source
        let severity: Severity = failingNow ? .critical : .warning
        return Finding(check: id, layer: layer, severity: severity, summary: summary, route: route.label, evidence: evidence,
                       fix: ["Check the name on this host: getent hosts \(host) (nginx resolves it with the system resolver when it loads the config)",
                             "Fix the DNS record or /etc/hosts, or write an IP address at \(location)",
                             "Then test and reload: nginx -t && nginx -s reload (a name is resolved again only on reload)"])
    }

    private func variableTargets(_ facts: Facts) -> [Finding] {
        let variableRoutes = facts.routes.filter { if case .variable = $0.target { true } else { false } }
        guard !variableRoutes.isEmpty else { return [] }
        let unresolved = facts.errorLogs.flatMap(\.events).filter { $0.kind == .unresolvable }
        return variableRoutes.compactMap { route -> Finding? in
            guard case let .variable(raw) = route.target else { return nil }
            let events = LogMatch.chronological(unresolved.filter { event in
                if let name = Self.unresolvedName(event.message.isEmpty ? event.line : event.message), raw.contains(name) { return true }
                if let server = event.server, route.serverNames.contains(server) { return true }
                return variableRoutes.count == 1
            })
            guard !events.isEmpty else { return nil }
            let proxyProbe = facts.proxyProbe(for: route)
            var failingNow = false
            var recovered = false
            if case let .response(status, _)? = proxyProbe?.outcome {
                failingNow = RouteWording.gatewayStatuses.contains(status)
                recovered = !failingNow
            }
            let timeline = FailureTimeline(failingNow: failingNow, events: events, recovered: recovered,
                                           nowNote: "the route was not probed through the proxy", gatheredAt: facts.gatheredAt)
            let noResolver = events.contains { $0.line.contains("no resolver defined") }
            let name = events.lazy.compactMap { Self.unresolvedName($0.message.isEmpty ? $0.line : $0.message) }.last
            var evidence = [RouteWording.passEvidence(route)]
            if let proxyProbe { evidence.append(RouteWording.proxyProbeEvidence(proxyProbe, route: route)) }
            evidence += RouteWording.logEvidence(events, facts: facts)
            let what = noResolver ? "has no `resolver` to look up \(name ?? "its host") per request" : "cannot resolve \(name ?? "its host") per request"
            let summary = "\(route.directive) \(raw) at \(route.source) (\(route.label)) \(what)" + timeline.qualifier
            var fix: [String] = []
            if noResolver {
                fix.append("Add a resolver to the server (or http) block: `resolver <DNS server IP> valid=30s;` (nginx does not read /etc/resolv.conf; use a nameserver listed there), then nginx -t and reload")
                fix.append("Or, if the target never changes, write it without variables (a fixed address or an upstream block) so nginx resolves it when it loads the config")
            } else {
                fix.append("Check the name and the resolver nginx uses: getent hosts \(name ?? "NAME"); the `resolver` directive's server must answer for it")
            }
            return Finding(check: id, layer: layer, severity: timeline.severity, summary: summary, route: route.label,
                           evidence: evidence, fix: fix)
        }
    }

    /// `app.internal` from `no resolver defined to resolve app.internal` or
    /// `app.internal could not be resolved (3: Host not found)`.
    public static func unresolvedName(_ message: String) -> String? {
        if let range = message.range(of: "resolver defined to resolve ") {
            return message[range.upperBound...].split(whereSeparator: { $0 == " " || $0 == "," }).first.map(String.init)
        }
        if let range = message.range(of: " could not be resolved") {
            return message[..<range.lowerBound].split(separator: " ").last.map { String($0.filter { $0 != "\"" }) }
        }
        if let range = message.range(of: "host not found in upstream \"") {
            let rest = message[range.upperBound...]
            return rest.split(whereSeparator: { $0 == "\"" || $0 == ":" }).first.map(String.init)
        }
        return nil
    }

    /// The name appears as a whole host name (not as part of a longer one).
    public static func mentions(_ text: String, _ host: String) -> Bool {
        let chars = Array(text.lowercased()), name = Array(host.lowercased())
        guard !name.isEmpty, chars.count >= name.count else { return false }
        func isNameChar(_ char: Character) -> Bool { char.isLetter || char.isNumber || char == "-" }
        for start in 0...(chars.count - name.count) where Array(chars[start..<(start + name.count)]) == name {
            if start > 0, isNameChar(chars[start - 1]) || chars[start - 1] == "." { continue }
            let end = start + name.count
            if end < chars.count {
                if isNameChar(chars[end]) { continue }
                // `app.internal.example` continues the name; `app.internal.` ends a sentence.
                if chars[end] == ".", end + 1 < chars.count, isNameChar(chars[end + 1]) { continue }
            }
            return true
        }
        return false
    }
}
