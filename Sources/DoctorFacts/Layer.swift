/// The part of the request path that failed, in the order an operator walks it.
///
/// The raw values are part of the JSON contract (version 1) and never change.
public enum Layer: String, Codable, Sendable, CaseIterable, Comparable {
    /// The proxy itself is down or its configuration is invalid.
    case proxy
    /// The proxy points where nothing of ours listens (wrong port, path, host, family).
    case route
    /// A unix socket is missing, stale, or unreachable for the proxy's worker user.
    case socket
    /// The app server is stopped, crash-looping or killed.
    case upstream
    /// The app dies while booting (env, settings, import, database, port in use).
    case startup
    /// Timeouts, worker exhaustion, backlog full, OOM, disk full.
    case capacity
    /// A broken or partial release.
    case release
    /// Firewall or DNS.
    case network
    /// The app itself answered 5xx: not a gateway failure.
    case app
    /// Healthy.
    case none

    /// Order in which the runbook inspects layers: a proxy that is down hides
    /// every failure behind it, so it ranks first.
    public var runbookOrder: Int { Layer.allCases.firstIndex(of: self)! }

    public static func < (lhs: Layer, rhs: Layer) -> Bool { lhs.runbookOrder < rhs.runbookOrder }
}
