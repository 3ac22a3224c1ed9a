/// One path through the proxy: listen address + server name + location → target.
public struct Route: Hashable, Codable, Sendable {
    public var proxy: ProxyKind
    /// `listen` values of the server block, as written (`80`, `127.0.0.1:8080`, `[::]:443 ssl`).
    public var listen: [String]
    public var serverNames: [String]
    /// The location path with its modifier (`/`, `= /health`, `~ \.php$`), or `/` for a server-level pass.
    public var location: String
    /// The pass directive used (`proxy_pass`, `uwsgi_pass`, `fastcgi_pass`, `grpc_pass`).
    public var directive: String
    public var target: RouteTarget
    /// Where the pass directive is written.
    public var source: SourceLocation
    /// Which process serves the target, filled in on a live host or snapshot (`gunicorn pid 412 (www-data)`).
    public var servedBy: String?
    /// Effective directives for this route (timeouts, buffers, headers, body size,
    /// access logs, upstream keep-alive), inherited the way nginx does; see `RouteSettings`.
    public var settings: RouteSettings

    public init(proxy: ProxyKind, listen: [String], serverNames: [String], location: String,
                directive: String, target: RouteTarget, source: SourceLocation, servedBy: String? = nil,
                settings: RouteSettings = RouteSettings()) {
        self.proxy = proxy
        self.listen = listen
        self.serverNames = serverNames
        self.location = location
        self.directive = directive
        self.target = target
        self.source = source
        self.servedBy = servedBy
        self.settings = settings
    }

    /// `server_name location`, the way findings name a route.
    public var label: String {
        let name = serverNames.first { !$0.isEmpty } ?? "_"
        return "\(name) \(location)"
    }
}

/// Which reverse proxy a fact comes from.
public enum ProxyKind: String, Codable, Sendable, CaseIterable {
    case nginx
    case caddy
}
