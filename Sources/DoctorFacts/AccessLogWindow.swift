import Foundation

/// One proxy access log read over the `--since` window: status counts per route
/// and per upstream address, when failures started and stopped, and a per-minute
/// series. Built from the log's own `log_format`, so it knows whether the upstream's
/// answer was logged (`$upstream_status`) and can tell a 502 nginx made from one the
/// app returned.
public struct AccessLogWindow: Hashable, Codable, Sendable {
    public var path: String
    /// `log_format` name (`combined` when the `access_log` names none).
    public var format: String
    /// Where the `access_log` directive is written; `nil` for nginx's default log.
    public var source: SourceLocation?
    public var windowStart: Date
    /// Times of the first and last line read in the window.
    public var firstTime: Date?
    public var lastTime: Date?
    /// Lines in the window, and lines among them the format could not match.
    public var lines: Int
    public var unmatched: Int
    /// Bytes read from the file (the window plus the seek-back probes).
    public var bytesRead: Int
    /// The read stopped at its byte cap before reaching the window's start (snapshots and
    /// recordings read tails, capped); counts then cover only the end of the window.
    public var cutShort: Bool = false
    /// Which variables the format logs: without `$upstream_status` the origin of a 5xx is unknown.
    public var logsUpstreamStatus: Bool
    public var logsUpstreamAddress: Bool
    public var logsRequestTime: Bool
    /// All requests of the window.
    public var total: AccessLogCounts
    /// Per route served by this log, in route order (a request counts for the location nginx would pick).
    public var routes: [AccessLogRouteCounts]
    /// Per `$upstream_addr` (each address of a retried request counts once, with its own status).
    public var upstreams: [AccessLogUpstreamCounts]
    /// First and last 5xx of the window.
    public var firstFailure: Date?
    public var lastFailure: Date?
    /// One entry per minute that has requests, oldest first.
    public var minutes: [AccessLogMinute]
    /// The last few 5xx lines (method, path without query, status, upstream status), for evidence.
    public var failureSamples: [AccessLogSample]

    public init(path: String, format: String, source: SourceLocation? = nil, windowStart: Date, firstTime: Date? = nil,
                lastTime: Date? = nil, lines: Int = 0, unmatched: Int = 0, bytesRead: Int = 0, logsUpstreamStatus: Bool = false,
                logsUpstreamAddress: Bool = false, logsRequestTime: Bool = false, total: AccessLogCounts = AccessLogCounts(),
                routes: [AccessLogRouteCounts] = [], upstreams: [AccessLogUpstreamCounts] = [], firstFailure: Date? = nil,
                lastFailure: Date? = nil, minutes: [AccessLogMinute] = [], failureSamples: [AccessLogSample] = []) {
        self.path = path
        self.format = format
        self.source = source
        self.windowStart = windowStart
        self.firstTime = firstTime
        self.lastTime = lastTime
        self.lines = lines
        self.unmatched = unmatched
        self.bytesRead = bytesRead
        self.logsUpstreamStatus = logsUpstreamStatus
        self.logsUpstreamAddress = logsUpstreamAddress
        self.logsRequestTime = logsRequestTime
        self.total = total
        self.routes = routes
        self.upstreams = upstreams
        self.firstFailure = firstFailure
        self.lastFailure = lastFailure
        self.minutes = minutes
        self.failureSamples = failureSamples
    }
}

/// Status counts for a set of requests, with the 5xx split by who produced them.
public struct AccessLogCounts: Hashable, Codable, Sendable {
    /// Status → requests.
    public var statuses: [Int: Int]
    /// 5xx whose `$upstream_status` equals `$status`: the app answered it.
    public var fromApp: [Int: Int]
    /// 5xx with no upstream status (`-`, empty) or a different one: nginx made it.
    public var fromProxy: [Int: Int]

    public init(statuses: [Int: Int] = [:], fromApp: [Int: Int] = [:], fromProxy: [Int: Int] = [:]) {
        self.statuses = statuses
        self.fromApp = fromApp
        self.fromProxy = fromProxy
    }

    public var requests: Int { statuses.values.reduce(0, +) }
    /// Requests answered 500–599.
    public var serverErrors: Int { statuses.reduce(0) { $0 + ($1.key >= 500 && $1.key < 600 ? $1.value : 0) } }
    public func count(_ status: Int) -> Int { statuses[status] ?? 0 }
    /// 5xx whose origin the log cannot tell (no `$upstream_status` in the format).
    public var unknownOrigin: Int {
        serverErrors - fromApp.values.reduce(0, +) - fromProxy.values.reduce(0, +)
    }
    /// `502×12, 504×3`, statuses in order.
    public static func describe(_ counts: [Int: Int]) -> String {
        counts.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: ", ")
    }
}

/// Requests of one route in an access log window.
public struct AccessLogRouteCounts: Hashable, Codable, Sendable {
    /// `Route.label` (`server_name location`).
    public var route: String
    public var location: String
    public var counts: AccessLogCounts

    public init(route: String, location: String, counts: AccessLogCounts) {
        self.route = route
        self.location = location
        self.counts = counts
    }
}

/// Requests one upstream address answered (its own status, from `$upstream_status`).
public struct AccessLogUpstreamCounts: Hashable, Codable, Sendable {
    /// As logged (`127.0.0.1:8000`, `unix:/run/app.sock`).
    public var address: String
    /// Status → requests, from the aligned `$upstream_status` entry (`0` when it logged none, `-`).
    public var statuses: [Int: Int]

    public init(address: String, statuses: [Int: Int]) {
        self.address = address
        self.statuses = statuses
    }
}

/// One minute of an access log.
public struct AccessLogMinute: Hashable, Codable, Sendable {
    /// Start of the minute.
    public var start: Date
    public var requests: Int
    public var serverErrors: Int
    /// 502s and 504s (the gateway statuses) among the 5xx.
    public var gatewayErrors: Int
    /// Slowest `$request_time` of the minute, in seconds, when the format logs it.
    public var maxRequestTime: Double?

    public init(start: Date, requests: Int, serverErrors: Int, gatewayErrors: Int, maxRequestTime: Double? = nil) {
        self.start = start
        self.requests = requests
        self.serverErrors = serverErrors
        self.gatewayErrors = gatewayErrors
        self.maxRequestTime = maxRequestTime
    }
}

/// A failed request as evidence: no query string, no client address, no user agent.
public struct AccessLogSample: Hashable, Codable, Sendable {
    public var time: Date?
    public var method: String
    public var path: String
    public var status: Int
    /// `$upstream_status` as logged (`-`, `502`, `502, 200`); `nil` when the format has none.
    public var upstreamStatus: String?
    public var upstreamAddress: String?
    public var requestTime: Double?
    /// `path:line` when the line number is known, else `path`.
    public var source: String

    public init(time: Date?, method: String, path: String, status: Int, upstreamStatus: String? = nil,
                upstreamAddress: String? = nil, requestTime: Double? = nil, source: String) {
        self.time = time
        self.method = method
        self.path = path
        self.status = status
        self.upstreamStatus = upstreamStatus
        self.upstreamAddress = upstreamAddress
        self.requestTime = requestTime
        self.source = source
    }
}
