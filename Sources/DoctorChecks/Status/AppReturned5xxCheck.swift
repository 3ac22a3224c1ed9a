import DoctorFacts
import Foundation

/// `app-returned-5xx`: the app itself answered 500/502/503 and nginx passed it on. Not a
/// gateway failure: nginx reached the app, the app sent a status line and headers.
///
/// Proof, strongest first: the access log's `$upstream_status` equals `$status` and the
/// upstream's header arrived (`$upstream_header_time` a number, or upstream bytes
/// received); with only `$upstream_status` logged, or the default `combined` format
/// (no upstream variables), the 5xx count is compared with the error log: nginx writes an
/// `[error]` line for every 502/504 it makes itself (refused, timed out, closed…), and none
/// for a status the app sent. The finding says which proof it rests on. Differs from
/// `proxy-generated-502` (nginx made the status) and from `premature-close` (the worker
/// died before answering: nginx's 502 with an error line).
public struct AppReturned5xxCheck: Check {
    public init() {}

    public let id = "app-returned-5xx"
    public let title = "The app answered 5xx itself (not a gateway failure)"
    public let layer = Layer.app
    public let rationale = """
        A 500 (or a 502/503 the app sends itself) passes through nginx unchanged: nginx reached the \
        app and got a response, so proxy settings, sockets and timeouts are not the cause. A 502 or 504 \
        made by nginx comes with an error-log line (connect refused, upstream timed out, prematurely \
        closed) and $upstream_status of `-` or no upstream header; an app's 5xx has neither. The one \
        thing to look at: the app's own error log or traceback for the failing path (log \
        $upstream_status and $upstream_header_time in nginx's log_format to tell the two apart for sure).
        """
    public let fixText = """
        Read the app's traceback for the failing requests (gunicorn --error-logfile, Django's ADMINS \
        mail or logging, uWSGI's log) and fix the view. Nothing in nginx needs to change.
        """
    public let precedence = 90

    public func run(_ facts: Facts) -> [Finding] {
        let tally = StatusTally(facts)
        let proven = StatusTally.sum(tally.fromApp)
        let unknown = StatusTally.sum(tally.unknown)
        // Without proof in the log, the error log's silence is the evidence: only when it was read,
        // and only for the 5xx it does not account for.
        var inferred = 0
        if unknown > 0, tally.errorLogRead {
            inferred = max(0, unknown - tally.gatewayErrorLines)
        }
        guard proven + inferred > 0 else { return [] }

        var appStatuses = tally.fromApp
        if inferred > 0 {
            // Which statuses: the unknown 500/503 first (nginx makes 502/504 itself), then the rest.
            var left = inferred
            for status in tally.unknown.keys.sorted(by: { ($0 == 502 || $0 == 504 ? 1 : 0, $0) < ($1 == 502 || $1 == 504 ? 1 : 0, $1) }) {
                let take = min(left, tally.unknown[status] ?? 0)
                if take > 0 { appStatuses[status, default: 0] += take }
                left -= take
            }
        }
        let total = StatusTally.sum(appStatuses)
        let requests = tally.logs.reduce(0) { $0 + $1.total.requests }
        let routes = failingRoutes(tally.logs)
        let certainty: String
        if inferred == 0 {
            certainty = "the access log shows the upstream answered these statuses itself ($upstream_status equals $status, with a response header)"
        } else if proven > 0 {
            certainty = "\(proven) proven by $upstream_status; \(inferred) more inferred because the error log has no upstream error for them"
        } else {
            certainty = "likely, not proven: the access log format does not log who answered ($upstream_status with $upstream_header_time), "
                + "and the error log has \(tally.gatewayErrorLines == 0 ? "no" : "only \(tally.gatewayErrorLines)") upstream error line(s) "
                + "for these \(unknown) 5xx (nginx writes one for every 502/504 it makes)"
        }
        let allFail = requests > 0 && total * 2 >= requests && total >= 5
        let where_ = routes.isEmpty ? "" : " on \(routes.map(\.label).joined(separator: ", "))"
        let summary = "The app answered \(ResponseWording.requests(total)) with its own \(AccessLogCounts.describe(appStatuses))\(where_): "
            + "not a gateway failure (nginx reached the app and passed its answer on)"

        var evidence: [Evidence] = [Evidence(kind: .log, text: "origin: " + certainty)]
        for log in tally.logs where log.total.serverErrors > 0 {
            evidence.append(StatusWording.logEvidence(log, gatheredAt: facts.gatheredAt))
            for route in log.routes where route.counts.serverErrors > 0 {
                evidence.append(Evidence(kind: .log, text: "\(route.route): \(route.counts.requests) request(s), "
                                         + AccessLogCounts.describe(route.counts.statuses), source: log.path))
            }
            for sample in log.failureSamples.suffix(3) {
                evidence.append(Evidence(kind: .log, text: StatusWording.sample(sample), source: sample.source))
            }
        }
        var fix = ["Read the app's error output for the failing requests (the traceback names the view and line); "
                   + "a 500 from Django with DEBUG off is logged by the django.request logger and mailed to ADMINS"]
        if let path = tally.logs.lazy.flatMap(\.failureSamples).last?.path {
            fix.append("Reproduce against the app directly, without nginx: " + reproduceCommand(path: path, routes: routes, facts: facts))
        }
        if inferred > 0 {
            fix.append("Add $upstream_status $upstream_addr $upstream_header_time $request_time to the access log's log_format to tell app answers from nginx's own 502/504 for sure")
        }
        return [Finding(check: id, layer: layer, severity: allFail ? .critical : .warning, summary: summary,
                        route: routes.count == 1 ? routes[0].label : nil, evidence: evidence, fix: fix)]
    }

    /// Routes with app-made (or unknown-origin) 5xx, in log order.
    /// `curl -i` of the failing path at the address the failing route passes to, with its
    /// server name as Host (the placeholder only when no diagnosed route matches).
    private func reproduceCommand(path: String, routes: [(label: String, count: Int)], facts: Facts) -> String {
        let route = routes.first.flatMap { failing in facts.routes.first { $0.label == failing.label } }
        guard let route, let endpoint = route.target.endpoints.first else { return "curl -i http://<app address>\(path)" }
        let host = route.requestHostName
        switch endpoint {
        case let .unix(socket): return "curl -i --unix-socket \(socket) -H 'Host: \(host)' http://localhost\(path)"
        case .tcp: return "curl -i -H 'Host: \(host)' http://\(endpoint)\(path)"
        }
    }

    private func failingRoutes(_ logs: [AccessLogWindow]) -> [(label: String, count: Int)] {
        var result: [(label: String, count: Int)] = []
        for log in logs {
            for route in log.routes {
                let count = route.counts.serverErrors - route.counts.fromProxy.values.reduce(0, +)
                if count > 0, !result.contains(where: { $0.label == route.route }) { result.append((route.route, count)) }
            }
        }
        return result
    }
}
