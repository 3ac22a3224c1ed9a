import DoctorFacts
import Foundation

/// What the access and error logs together say about the window's 5xx: who made them.
struct StatusTally {
    /// 5xx the access log proves the app answered (`$upstream_status` = `$status` with a header).
    var fromApp: [Int: Int] = [:]
    /// 5xx the access log proves nginx made (no or another upstream status, no header).
    var fromProxy: [Int: Int] = [:]
    /// 5xx whose origin the access log cannot tell (`combined`, or no header variable).
    var unknown: [Int: Int] = [:]
    /// Error-log lines in the window for failures nginx answers with 502/504 itself.
    var gatewayErrorLines = 0
    /// Whether an error log was read over the window (else its silence proves nothing).
    var errorLogRead = false
    var logs: [AccessLogWindow] = []

    /// Kinds of error-log lines a more specific check explains (a refused connect is
    /// `target-not-listening`, a read timeout `upstream-timeout`, …).
    static let explainedKinds: Set<UpstreamErrorKind> = [
        .refused, .noSuchFile, .permissionDenied, .backlogFull, .connectTimeout, .readTimeout, .prematureClose,
        .reset, .headerTooBig, .invalidResponse, .noLiveUpstreams, .unresolvable, .tls,
    ]

    init(_ facts: Facts) {
        logs = facts.accessLogs
        for log in facts.accessLogs {
            fromApp.merge(log.total.fromApp, uniquingKeysWith: +)
            fromProxy.merge(log.total.fromProxy, uniquingKeysWith: +)
            for (status, count) in log.total.statuses where status >= 500 {
                let known = (log.total.fromApp[status] ?? 0) + (log.total.fromProxy[status] ?? 0)
                if count > known { unknown[status, default: 0] += count - known }
            }
        }
        errorLogRead = !facts.errorLogs.isEmpty
        for window in facts.errorLogs {
            for (key, count) in window.counts {
                let kind = UpstreamErrorKind(rawValue: String(key.prefix { $0 != " " })) ?? .other
                if kind != .truncatedBody && kind != .serverDisabled { gatewayErrorLines += count }
            }
        }
    }

    static func sum(_ counts: [Int: Int]) -> Int { counts.values.reduce(0, +) }
}

/// Shared wording for the status checks.
enum StatusWording {
    /// `14:05:09 UTC`, with the date when more than 12 hours before the gather.
    static func clock(_ date: Date?, gatheredAt: Date) -> String {
        guard let date else { return "an unknown time" }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let clock = String(format: "%02d:%02d:%02d UTC", parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0)
        guard gatheredAt.timeIntervalSince(date) > 12 * 3600 else { return clock }
        return String(format: "%04d-%02d-%02d ", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0) + clock
    }

    /// `at 14:05:09 UTC` when the first and last failure share a second, else `from … to …`.
    static func span(_ first: Date?, _ last: Date?, gatheredAt: Date) -> String {
        let (from, to) = (clock(first, gatheredAt: gatheredAt), clock(last, gatheredAt: gatheredAt))
        return from == to ? "at \(from)" : "from \(from) to \(to)"
    }

    /// `GET /boom/ → 500 (upstream 500, 0.012s)`.
    static func sample(_ sample: AccessLogSample) -> String {
        var text = "\(sample.method) \(sample.path) → \(sample.status)"
        var details: [String] = []
        if let upstream = sample.upstreamStatus { details.append("upstream status \(upstream)") }
        if let address = sample.upstreamAddress, address != "-", !address.isEmpty { details.append(address) }
        if let time = sample.requestTime { details.append(String(format: "%.3fs", time)) }
        if !details.isEmpty { text += " (" + details.joined(separator: ", ") + ")" }
        return text
    }

    /// One evidence line per log: the counts, the window and the first/last failure.
    static func logEvidence(_ log: AccessLogWindow, gatheredAt: Date) -> Evidence {
        let failures = log.total.serverErrors
        var text = "\(log.path) (format \(log.format)): \(log.total.requests) request(s) in the window, \(failures) 5xx"
        if failures > 0 {
            text += " [\(AccessLogCounts.describe(log.total.statuses.filter { $0.key >= 500 }))], first at "
                + clock(log.firstFailure, gatheredAt: gatheredAt) + ", last at " + clock(log.lastFailure, gatheredAt: gatheredAt)
        }
        if log.cutShort { text += " (only the end of the window was read)" }
        return Evidence(kind: .log, text: text, source: log.source?.description ?? log.path)
    }
}
