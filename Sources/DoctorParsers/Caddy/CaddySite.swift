import DoctorFacts

/// One site block of a Caddyfile (`example.com, www.example.com { … }`): the addresses it
/// answers on, the interfaces it binds, and what it does with requests.
public struct CaddySite: Hashable, Codable, Sendable {
    /// Addresses as written, after env defaults are substituted: `example.com`, `:8080`,
    /// `http://a.test:80`, `localhost`. See `CaddySiteAddress` to take one apart.
    public var addresses: [String]
    /// Hosts of the site's `bind` directives (empty: all interfaces, or the global `default_bind`).
    public var binds: [String]
    /// The line of the site's addresses.
    public var source: SourceLocation
    /// `reverse_proxy` and `php_fastcgi` directives, in file order, with their enclosing
    /// `handle`/`route` context.
    public var handlers: [CaddyProxyHandler]
    /// The site's `log` blocks (access logs).
    public var logs: [CaddyLogOutput]
    /// Terminal handlers that are not proxies (`respond`, `redir`, `file_server`, …), which
    /// can answer a path before any proxy sees it.
    public var otherHandlers: [CaddyOtherHandler]
    /// Named matchers defined in this site (`@api path /api/*`).
    public var namedMatchers: [CaddyNamedMatcher]
    /// The line of each `bind` directive, in order.
    public var bindSources: [SourceLocation]
    /// The handlers as nested in the file (scopes, strips, indexes into `handlers` and
    /// `otherHandlers`), for `answer(forPath:)`.
    public var routing: [CaddyRouteNode]

    public init(addresses: [String], binds: [String] = [], source: SourceLocation,
                handlers: [CaddyProxyHandler] = [], logs: [CaddyLogOutput] = [],
                otherHandlers: [CaddyOtherHandler] = [], namedMatchers: [CaddyNamedMatcher] = [],
                bindSources: [SourceLocation] = [], routing: [CaddyRouteNode] = []) {
        self.addresses = addresses
        self.binds = binds
        self.source = source
        self.handlers = handlers
        self.logs = logs
        self.otherHandlers = otherHandlers
        self.namedMatchers = namedMatchers
        self.bindSources = bindSources
        self.routing = routing
    }

    /// `addresses` taken apart (scheme, host, port, path).
    public var parsedAddresses: [CaddySiteAddress] { addresses.map(CaddySiteAddress.init(parsing:)) }
}
