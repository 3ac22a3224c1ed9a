import DoctorFacts
import Foundation

/// `failures-on-some-routes`: the window's 5xx are concentrated on some locations (only
/// `/admin/` or `/upload/` fail) while other routes served by the same nginx answer fine.
///
/// That shape rules out what breaks everything at once (nginx down, the whole app server
/// down) and points at what differs per location: another `proxy_pass` target, a per-location
/// setting (`proxy_read_timeout`, `client_max_body_size`, buffers), or one slow or broken view.
/// Needs at least two routes with traffic in the access log. A `warning` when nothing names the
/// cause; `info` (context for the cause's own finding) when the error log has upstream lines a
/// specific check explains, or when the failures are the app's own (`app-returned-5xx`).
public struct FailuresOnSomeRoutesCheck: Check {
    public init() {}

    public let id = "failures-on-some-routes"
    public let title = "5xx only on some locations; others answer fine"
    public let layer = Layer.route
    public let rationale = """
        When only some locations fail, nginx and the app server are up: the difference is in what \
        those locations do. A 504 there means those requests take longer than the location's \
        proxy_read_timeout, a 502 that their target differs or their worker dies (large uploads, slow \
        views), a 500 that the view itself raises (the app's answer, not nginx's). The one thing to \
        look at: the failing location's own block (its proxy_pass target, proxy_read_timeout, \
        client_max_body_size) against a location that works.
        """
    public let fixText = """
        Compare the failing location's block with a working one (target, timeouts, body size, buffers) \
        and request the failing path directly against the app server to see whether the app or nginx fails.
        """
    public let precedence = 96

    /// A route counts as failing with at least this many 5xx making at least this share of its requests.
    static let minimumFailures = 3
    static let failingShare = 0.2
    /// A route counts as healthy with at least this many requests and at most this share of 5xx.
    static let minimumHealthyRequests = 3
    static let healthyShare = 0.05

    public func run(_ facts: Facts) -> [Finding] {
        facts.accessLogs.compactMap { check($0, facts: facts) }
    }

    private func check(_ log: AccessLogWindow, facts: Facts) -> Finding? {
        func share(_ counts: AccessLogCounts) -> Double {
            counts.requests == 0 ? 0 : Double(counts.serverErrors) / Double(counts.requests)
        }
        let active = log.routes.filter { $0.counts.requests > 0 }
        let failing = active.filter { $0.counts.serverErrors >= Self.minimumFailures && share($0.counts) >= Self.failingShare }
        let healthy = active.filter { $0.counts.requests >= Self.minimumHealthyRequests && share($0.counts) <= Self.healthyShare }
        guard !failing.isEmpty, !healthy.isEmpty else { return nil }

        // The app's own failures when none is provably nginx's and none is a gateway status of unknown
        // origin (nginx makes 502/504 for upstream failures; 500/503 of unknown origin are the app's).
        let appMade = failing.allSatisfy { route in
            let counts = route.counts
            let unknownGateway = [502, 504].reduce(0) { $0 + counts.count($1) - (counts.fromApp[$1] ?? 0) - (counts.fromProxy[$1] ?? 0) }
            return counts.fromProxy.isEmpty && unknownGateway == 0
        }
        let explained = facts.errorLogs.flatMap(\.events).contains { StatusTally.explainedKinds.contains($0.kind) }
        let describe = { (route: AccessLogRouteCounts) in
            "\(route.route) \(route.counts.serverErrors)/\(route.counts.requests) failed [\(AccessLogCounts.describe(route.counts.statuses.filter { $0.key >= 500 }))]"
        }
        let summary = "Only some locations fail: " + failing.map(describe).joined(separator: "; ")
            + ", while " + healthy.prefix(3).map { "\($0.route) answered \($0.counts.requests - $0.counts.serverErrors)/\($0.counts.requests)" }
                .joined(separator: ", ")
        var evidence = [StatusWording.logEvidence(log, gatheredAt: facts.gatheredAt)]
        for route in active {
            evidence.append(Evidence(kind: .log, text: "\(route.route): \(route.counts.requests) request(s), "
                                     + AccessLogCounts.describe(route.counts.statuses), source: log.path))
        }
        // The settings that differ between the failing and the working locations, with file:line.
        let routesByLabel = Dictionary(facts.routes.map { ($0.label, $0) }, uniquingKeysWith: { first, _ in first })
        if let bad = failing.first.flatMap({ routesByLabel[$0.route] }), let good = healthy.first.flatMap({ routesByLabel[$0.route] }) {
            if bad.target != good.target {
                evidence.append(Evidence(kind: .config, text: "\(bad.label) passes to \(bad.target), \(good.label) to \(good.target)",
                                         source: bad.source.description))
            }
            for name in ["read_timeout", "buffer_size", "buffering"] {
                let (a, b) = (bad.settings.moduleSetting(name), good.settings.moduleSetting(name))
                if let a, a.value != b?.value {
                    evidence.append(Evidence(kind: .config, text: "\(bad.label): \(a); \(good.label): \(b?.description ?? "none")",
                                             source: a.source?.description))
                }
            }
            if let a = bad.settings.clientMaxBodySize, a.value != good.settings.clientMaxBodySize?.value {
                evidence.append(Evidence(kind: .config, text: "\(bad.label): \(a); \(good.label): \(good.settings.clientMaxBodySize?.description ?? "none")",
                                         source: a.source?.description))
            }
        }
        for sample in log.failureSamples.suffix(3) {
            evidence.append(Evidence(kind: .log, text: StatusWording.sample(sample), source: sample.source))
        }
        let failingPath = log.failureSamples.last?.path ?? failing[0].location
        let fix = [
            "Request the failing path directly against the app server (curl -i http://<app address>\(failingPath)) and through nginx: "
                + "the same 5xx from the app means the view fails; only through nginx means the location's settings",
            "Compare the failing location's block with a working one: proxy_pass target, proxy_read_timeout, client_max_body_size, proxy_buffer_size",
        ]
        return Finding(check: id, layer: appMade ? .app : layer, severity: explained || appMade ? .info : .warning,
                       summary: summary, route: failing.count == 1 ? failing[0].route : nil, evidence: evidence, fix: fix)
    }
}
