import Foundation

/// One line of a proxy's error log that concerns an upstream, parsed.
public struct ProxyLogEvent: Hashable, Codable, Sendable {
    /// When it was logged, as an instant (nginx writes local time without a zone).
    public var time: Date?
    /// `emerg` … `debug`.
    public var level: String
    /// The class of failure, by errno number and message.
    public var kind: UpstreamErrorKind
    /// The errno number when the message has one (`111: Connection refused`).
    public var errno: Int?
    /// The message between the connection number and `, client:`.
    public var message: String
    /// nginx's `upstream: "http://127.0.0.1:8000/health/"` as written.
    public var upstream: String?
    /// The endpoint the upstream names, when it names one.
    public var endpoint: Endpoint?
    public var server: String?
    public var request: String?
    public var host: String?
    /// The line as logged, redacted.
    public var line: String
    /// `path:line` when the line number is known, else `path` with the byte offset.
    public var source: String

    public init(time: Date?, level: String, kind: UpstreamErrorKind, errno: Int? = nil, message: String,
                upstream: String? = nil, endpoint: Endpoint? = nil, server: String? = nil, request: String? = nil,
                host: String? = nil, line: String, source: String) {
        self.time = time
        self.level = level
        self.kind = kind
        self.errno = errno
        self.message = message
        self.upstream = upstream
        self.endpoint = endpoint
        self.server = server
        self.request = request
        self.host = host
        self.line = line
        self.source = source
    }
}

/// What went wrong between proxy and upstream, as nginx's error log classifies it.
public enum UpstreamErrorKind: String, Hashable, Codable, Sendable, CaseIterable {
    /// `connect() failed (111: Connection refused)`.
    case refused
    /// `connect() to unix:… failed (2: No such file or directory)`.
    case noSuchFile = "no-such-file"
    /// `(13: Permission denied)`.
    case permissionDenied = "permission-denied"
    /// `(11: Resource temporarily unavailable)`: unix socket backlog full.
    case backlogFull = "backlog-full"
    /// `upstream timed out (110: …) while connecting to upstream`.
    case connectTimeout = "connect-timeout"
    /// `upstream timed out (110: …) while reading response header`.
    case readTimeout = "read-timeout"
    /// `upstream prematurely closed connection while reading response header`.
    case prematureClose = "premature-close"
    /// `… while reading upstream`: the body was cut.
    case truncatedBody = "truncated-body"
    /// `recv() failed (104: Connection reset by peer)`.
    case reset
    /// `upstream sent too big header`.
    case headerTooBig = "header-too-big"
    /// `upstream sent invalid header`, `no valid HTTP/1.0 header`.
    case invalidResponse = "invalid-response"
    /// `no live upstreams`.
    case noLiveUpstreams = "no-live-upstreams"
    /// `could not be resolved`, `no resolver defined`.
    case unresolvable
    /// `SSL_do_handshake() failed`.
    case tls
    /// `upstream server temporarily disabled` (a warn line before `no live upstreams`).
    case serverDisabled = "server-disabled"
    /// Anything else about an upstream.
    case other
}

/// What the proxy's error logs say inside the `--since` window.
public struct ErrorLogWindow: Hashable, Codable, Sendable {
    public var path: String
    public var windowStart: Date
    /// Upstream events in the window, oldest first, at most a bounded number (the most recent).
    public var events: [ProxyLogEvent]
    /// Count of upstream events per kind and upstream target (`refused unix:/run/app.sock`), over the whole window.
    public var counts: [String: Int]
    /// The read stopped at its byte cap before reaching the window's start.
    public var cutShort: Bool

    public init(path: String, windowStart: Date, events: [ProxyLogEvent], counts: [String: Int], cutShort: Bool) {
        self.path = path
        self.windowStart = windowStart
        self.events = events
        self.counts = counts
        self.cutShort = cutShort
    }
}

/// Probes for one route: the upstream directly, then through the proxy, as the runbook does with curl.
public struct RouteProbe: Hashable, Codable, Sendable {
    /// `Route.label` of the route probed.
    public var route: String
    public var direct: [ProbeResult]
    public var viaProxy: ProbeResult?

    public init(route: String, direct: [ProbeResult], viaProxy: ProbeResult?) {
        self.route = route
        self.direct = direct
        self.viaProxy = viaProxy
    }
}
