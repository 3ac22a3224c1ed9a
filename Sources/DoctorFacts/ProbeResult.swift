/// The result of one HTTP/1.1 probe to an endpoint.
public struct ProbeResult: Hashable, Codable, Sendable {
    public var endpoint: Endpoint
    public var path: String
    /// The `Host` header sent.
    public var hostHeader: String
    public var outcome: ProbeOutcome
    /// Wall time from connect to the end of the response head, in milliseconds.
    public var elapsedMilliseconds: Int

    public init(endpoint: Endpoint, path: String, hostHeader: String, outcome: ProbeOutcome, elapsedMilliseconds: Int) {
        self.endpoint = endpoint
        self.path = path
        self.hostHeader = hostHeader
        self.outcome = outcome
        self.elapsedMilliseconds = elapsedMilliseconds
    }
}

/// What came back from a probe.
public enum ProbeOutcome: Hashable, Codable, Sendable {
    /// A parsed HTTP status line; `server` is the `Server` header when present.
    case response(status: Int, server: String?)
    case failed(ProbeFailure)
}

/// Why a probe got no HTTP response, by errno class: the classes are what tell
/// "nothing listens" from "cannot reach" from "too slow".
public enum ProbeFailure: Hashable, Codable, Sendable, CustomStringConvertible {
    /// ECONNREFUSED: nothing listens (TCP) or a stale socket file (unix).
    case refused
    /// ENOENT: the socket path does not exist.
    case noSuchFile
    /// EACCES/EPERM: the caller may not connect to the socket.
    case permissionDenied
    /// EAGAIN on a unix socket: the accept backlog is full.
    case backlogFull
    /// The deadline passed (connect or response head).
    case timedOut(phase: String)
    /// ECONNRESET.
    case reset
    /// The peer closed before a full response head.
    case closedEarly
    /// Bytes came back but not an HTTP status line.
    case notHTTP
    /// Any other errno, with its number and text.
    case other(errno: Int32, message: String)
    /// The host name did not resolve (getaddrinfo failed): a route to a name that
    /// does not exist, or DNS trouble. `message` is the resolver's own text.
    case unresolvable(host: String, message: String)
    /// Replaying a snapshot that holds no probe for this request: nothing is known,
    /// which is not the same as a failure of the endpoint.
    case notRecorded

    public var description: String {
        switch self {
        case .refused: "connection refused (ECONNREFUSED)"
        case .noSuchFile: "no such file (ENOENT)"
        case .permissionDenied: "permission denied (EACCES)"
        case .backlogFull: "resource temporarily unavailable: backlog full (EAGAIN)"
        case let .timedOut(phase): "timed out while \(phase)"
        case .reset: "connection reset by peer (ECONNRESET)"
        case .closedEarly: "connection closed before a complete response"
        case .notHTTP: "reply is not HTTP"
        case let .other(errno, message): "\(message) (errno \(errno))"
        case let .unresolvable(host, message): "\(host) does not resolve (\(message))"
        case .notRecorded: "not recorded in snapshot"
        }
    }
}
