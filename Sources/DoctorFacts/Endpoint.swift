/// Where a connection goes: a TCP host and port, or a unix socket path.
public enum Endpoint: Hashable, Codable, Sendable, CustomStringConvertible {
    /// `host` is kept as written (`127.0.0.1`, `::1`, `localhost`, `app.internal`).
    case tcp(host: String, port: Int)
    case unix(path: String)

    public var description: String {
        switch self {
        case let .tcp(host, port):
            host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        case let .unix(path):
            "unix:\(path)"
        }
    }

    /// Wildcard addresses match every local address of their family (and `[::]`
    /// also IPv4 unless `ipv6only`), which matters when comparing binds.
    public var isWildcard: Bool {
        if case let .tcp(host, _) = self { return host == "0.0.0.0" || host == "::" || host == "*" || host.isEmpty }
        return false
    }
}
