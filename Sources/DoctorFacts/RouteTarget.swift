/// Where a proxy route sends requests.
public enum RouteTarget: Hashable, Codable, Sendable, CustomStringConvertible {
    /// A fixed address, with the scheme of the pass directive (`http`, `https`, `uwsgi`, `fastcgi`, `grpc`).
    case endpoint(scheme: String, Endpoint)
    /// A named upstream group and its servers.
    case upstream(scheme: String, name: String, servers: [UpstreamServer])
    /// The target contains variables and is only known per request (`proxy_pass http://$backend;`).
    case variable(raw: String)

    public var description: String {
        switch self {
        case let .endpoint(scheme, endpoint):
            if case .unix = endpoint { return "\(scheme)://\(endpoint)" }
            return "\(scheme)://\(endpoint)"
        case let .upstream(_, name, _):
            return "upstream \(name)"
        case let .variable(raw):
            return raw
        }
    }

    /// All concrete endpoints behind this target (empty for a variable target).
    public var endpoints: [Endpoint] {
        switch self {
        case let .endpoint(_, endpoint): [endpoint]
        case let .upstream(_, _, servers): servers.map(\.endpoint)
        case .variable: []
        }
    }
}

/// One `server` line of an nginx `upstream` block.
public struct UpstreamServer: Hashable, Codable, Sendable {
    public var endpoint: Endpoint
    /// Flags such as `backup`, `down`, `max_fails=3`, kept as written.
    public var parameters: [String]
    public var source: SourceLocation

    public init(endpoint: Endpoint, parameters: [String] = [], source: SourceLocation) {
        self.endpoint = endpoint
        self.parameters = parameters
        self.source = source
    }
}
