import DoctorFacts

/// Ranks findings into one verdict the way the runbook reads them: the worst severity
/// first, then the layer nearest the client (a dead proxy hides everything behind it),
/// then the check that is the deeper cause (lower precedence).
public enum VerdictRanker {
    /// Runs every catalog check and ranks the findings.
    public static func diagnose(_ facts: Facts, checks: [any Check] = CheckCatalog.all) -> Diagnosis {
        rank(checks.flatMap { $0.run(facts) }, facts: facts, checks: checks)
    }

    /// Ranks already computed findings.
    public static func rank(_ findings: [Finding], facts: Facts, checks: [any Check] = CheckCatalog.all) -> Diagnosis {
        let precedence = Dictionary(checks.map { ($0.id, $0.precedence) }, uniquingKeysWith: { first, _ in first })
        var ordered = findings.enumerated().sorted { lhs, rhs in
            let (a, b) = (lhs.element, rhs.element)
            if a.severity != b.severity { return a.severity > b.severity }
            if a.layer != b.layer { return a.layer < b.layer }
            let (pa, pb) = (precedence[a.check] ?? 100, precedence[b.check] ?? 100)
            if pa != pb { return pa < pb }
            return lhs.offset < rhs.offset
        }.map(\.element)

        guard var primary = ordered.first(where: { $0.severity != .info }) else {
            return healthy(facts, findings: ordered)
        }
        // A finding that explains the first one (same route, or not tied to a route) is the
        // deeper cause and becomes the verdict.
        let explains = Dictionary(checks.map { ($0.id, $0.explains) }, uniquingKeysWith: { first, _ in first })
        let first = primary
        // Followed as a chain, not one step: a partial release explains the boot crash that
        // explains why nothing listens, and the verdict must name the release, not the crash
        // (the crash ranks first among the explainers because its layer is nearer the client).
        var seen: Set<String> = [first.check]
        while let explainer = ordered.first(where: { candidate in
            !seen.contains(candidate.check) && candidate.severity >= first.severity
                && explains[candidate.check]?.contains(primary.check) == true
                && (candidate.route == nil || primary.route == nil || candidate.route == primary.route)
        }) {
            seen.insert(explainer.check)
            primary = explainer
        }
        if primary != first {
            ordered = [primary] + ordered.filter { $0 != primary }
        }
        let status: Status = primary.severity == .critical ? .critical : .warning
        // Other findings on the same layer support the primary cause; they join its evidence chain.
        var evidence = primary.evidence
        for other in ordered.dropFirst() where other.layer == primary.layer && other.severity != .info && other.check != primary.check {
            evidence.append(Evidence(kind: other.evidence.first?.kind ?? .config, text: "also: \(other.summary)",
                                     source: other.evidence.first?.source))
        }
        let verdict = Verdict(layer: primary.layer, check: primary.check, summary: primary.summary,
                              evidence: evidence, fix: primary.fix, cause: primary.cause)
        return Diagnosis(status: status, verdict: verdict, findings: ordered)
    }

    private static func healthy(_ facts: Facts, findings: [Finding]) -> Diagnosis {
        // A proxy that runs in a container is read from the config its compose service mounts:
        // the static checks covered it, so a clean result is an answer, not "nothing to diagnose".
        let containerProxies = facts.composeProjects.flatMap(\.proxyConfigs)
        if facts.proxies.isEmpty, !containerProxies.isEmpty {
            let projects = facts.composeProjects.filter { !$0.proxyConfigs.isEmpty }.map(\.name)
            let routes = containerProxies.reduce(0) { $0 + $1.routes.count }
            var summary = "No problem found in compose project(s) \(projects.joined(separator: ", ")): "
                + "\(containerProxies.count) proxy config(s) mounted into containers, \(routes) route(s) checked against the compose file"
            if facts.composeProjects.contains(where: { $0.containers == nil }) {
                summary += "; no Docker engine answered, so container state, health and logs were not seen and this answer covers the files only"
            }
            return Diagnosis(status: .ok, verdict: Verdict(layer: .none, check: nil, summary: summary), findings: findings)
        }
        guard !facts.proxies.isEmpty else {
            let reasons = facts.unavailable.map { "\($0.what): \($0.reason)" }
            let summary = facts.unavailable.isEmpty
                ? "No reverse proxy found to diagnose (no nginx or caddy process, no /etc/nginx/nginx.conf, no proxying /etc/caddy/Caddyfile); "
                    + "pass --nginx-conf PATH, --caddyfile PATH or --compose-file PATH"
                : "No reverse proxy could be read: " + reasons.joined(separator: "; ")
            return Diagnosis(status: .unknown,
                             verdict: Verdict(layer: .none, check: nil, summary: summary,
                                              evidence: reasons.map { Evidence(kind: .file, text: $0) }),
                             findings: findings)
        }
        let routeCount = facts.routes.count
        var summary = "No problem found: \(facts.proxies.count) proxy instance(s), \(routeCount) route(s) checked"
        if !facts.unavailable.isEmpty {
            summary += "; \(facts.unavailable.count) fact(s) could not be read, so this answer is less certain (see unavailable)"
        }
        return Diagnosis(status: .ok, verdict: Verdict(layer: .none, check: nil, summary: summary), findings: findings)
    }
}
