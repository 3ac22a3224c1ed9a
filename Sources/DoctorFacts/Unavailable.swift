/// A fact that could not be gathered, and why. Never a silent gap: a diagnosis
/// that lacks a fact says so, and its confidence drops accordingly.
public struct Unavailable: Hashable, Codable, Sendable {
    /// What was being read (`nginx config /etc/nginx/nginx.conf`, `nginx -t`, `/proc/net/tcp`).
    public var what: String
    /// Why it could not be read, in words an operator understands.
    public var reason: String

    public init(what: String, reason: String) {
        self.what = what
        self.reason = reason
    }
}

extension Unavailable {
    /// `what` of the unavailable fact for the listener table; checks that compare
    /// against listeners stay silent when it is present.
    public static let listenerTable = "listeners (/proc/net/tcp, tcp6, unix)"
    /// `what` of the unavailable fact for the process table.
    public static let processTable = "process table (/proc)"
}
