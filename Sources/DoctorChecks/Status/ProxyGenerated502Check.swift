import DoctorFacts
import Foundation

/// `proxy-generated-502`: nginx itself answered 502/504, because it got no usable answer from
/// the app (refused, reset, closed, timed out, nothing alive in the group). The access log
/// proves it when `$upstream_status` is `-`/empty, differs from `$status`, or came without an
/// upstream header (`$upstream_header_time` `-`); with `combined` (no upstream variables) the
/// error log's upstream lines do (one per 502/504 nginx makes).
///
/// It is the symptom, not a cause: when the error log names the failure (a refused connect,
/// a read timeout, a premature close…) the specific check (`target-not-listening`,
/// `upstream-timeout`, `premature-close`, …) is the verdict and this finding is `info`,
/// with the counts and first/last times as context. It is a `warning` only when nothing
/// explains the 502s (no error log, or no upstream line in it). Unlike `app-returned-5xx`, the
/// app never answered these requests.
public struct ProxyGenerated502Check: Check {
    public init() {}

    public let id = "proxy-generated-502"
    public let title = "nginx answered 502/504 itself (no usable answer from the app)"
    public let layer = Layer.upstream
    public let rationale = """
        nginx makes a 502 when the connection to the app fails or the app's answer is broken \
        (refused, reset, closed early, invalid header) and a 504 when the app does not answer within \
        proxy_read_timeout; in both cases the app sent nothing usable, while a 500 (or a 502/503 the app \
        returns itself) passed through from the app (`app-returned-5xx`). The access log's \
        $upstream_status (`-`, or without $upstream_header_time) and the error log's upstream line tell \
        which. The one thing to look at: the error log line next to the first 502 (it names the cause), \
        then the route's proxy_pass target and proxy_read_timeout.
        """
    public let fixText = """
        Read the nginx error-log line written with each 502/504 (connect() failed, upstream timed out, \
        prematurely closed): it names the cause, and gwdoctor's specific check for it gives the fix.
        """
    public let precedence = 95

    public func run(_ facts: Facts) -> [Finding] {
        let tally = StatusTally(facts)
        let proven = StatusTally.sum(tally.fromProxy)
        // Without upstream variables, the error log's upstream lines are nginx's own 5xx.
        let unknownGateway = tally.unknown.filter { $0.key == 502 || $0.key == 504 }
        let inferred = min(StatusTally.sum(unknownGateway), tally.gatewayErrorLines)
        guard proven + inferred > 0 else { return [] }

        var statuses = tally.fromProxy
        if inferred > 0 {
            var left = inferred
            for status in unknownGateway.keys.sorted() {
                let take = min(left, unknownGateway[status] ?? 0)
                statuses[status, default: 0] += take
                left -= take
            }
        }
        let explained = facts.errorLogs.flatMap(\.events).filter { StatusTally.explainedKinds.contains($0.kind) }
        let total = StatusTally.sum(statuses)
        let firstFailure = tally.logs.compactMap(\.firstFailure).min()
        let lastFailure = tally.logs.compactMap(\.lastFailure).max()
        let routes = tally.logs.flatMap(\.routes).filter { $0.counts.fromProxy.values.reduce(0, +) > 0
            || ($0.counts.unknownOrigin > 0 && inferred > 0) }
        // Caddy's JSON access log: the proxy that made these is Caddy.
        let caddy = !tally.logs.isEmpty && tally.logs.allSatisfy { $0.format == "caddy-json" }
        var summary = "\(caddy ? "Caddy" : "nginx") answered \(ResponseWording.requests(total)) with its own \(AccessLogCounts.describe(statuses)) "
            + "(the app sent no usable response) \(StatusWording.span(firstFailure, lastFailure, gatheredAt: facts.gatheredAt))"
        if !routes.isEmpty { summary += " on " + routes.map(\.route).joined(separator: ", ") }
        if explained.isEmpty { summary += "; the error log does not say why" }

        var evidence: [Evidence] = []
        evidence.append(Evidence(kind: .log, text: caddy && proven > 0
            ? "origin: Caddy's error logger wrote an http.log.error line for each of these requests (its proxy failed them)"
            : proven > 0
            ? "origin: $upstream_status is `-`, differs from $status, or came without an upstream header"
            : "origin: the access log format has no $upstream_status; the error log has \(tally.gatewayErrorLines) upstream error line(s) for \(StatusTally.sum(unknownGateway)) 502/504"))
        for log in tally.logs where log.total.serverErrors > 0 {
            evidence.append(StatusWording.logEvidence(log, gatheredAt: facts.gatheredAt))
            for route in log.routes where route.counts.serverErrors > 0 {
                evidence.append(Evidence(kind: .log, text: "\(route.route): \(route.counts.requests) request(s), "
                                         + AccessLogCounts.describe(route.counts.statuses), source: log.path))
            }
            let upstreams = log.upstreams.filter { $0.statuses.keys.contains { $0 >= 500 } }
            for upstream in upstreams.prefix(4) {
                evidence.append(Evidence(kind: .log, text: "upstream \(upstream.address): " + AccessLogCounts.describe(upstream.statuses),
                                         source: log.path))
            }
            for sample in log.failureSamples.suffix(2) {
                evidence.append(Evidence(kind: .log, text: StatusWording.sample(sample), source: sample.source))
            }
        }
        for event in facts.errorLogs.flatMap(\.events).suffix(3) {
            evidence.append(Evidence(kind: .log, text: event.line, source: event.source))
        }
        let severity: Severity = explained.isEmpty ? .warning : .info
        var fix: [String] = []
        if explained.isEmpty {
            fix.append("Look at the nginx error log at the times above (error_log level error or lower); without its line the cause cannot be named")
            if !tally.logs.contains(where: \.logsUpstreamStatus) {
                fix.append("Add $upstream_status $upstream_addr $upstream_header_time $request_time to the access log's log_format")
            }
        } else {
            fix.append("See the finding that names the cause (the error log has \(explained.count) upstream line(s): \(Set(explained.map(\.kind.rawValue)).sorted().joined(separator: ", ")))")
        }
        return [Finding(check: id, layer: layer, severity: severity, summary: summary,
                        route: routes.count == 1 ? routes[0].route : nil, evidence: evidence, fix: fix)]
    }
}
