import DoctorFacts

/// One `reverse_proxy` or `php_fastcgi` directive: which requests it takes, where it
/// sends them, and with what transport settings.
public struct CaddyProxyHandler: Hashable, Codable, Sendable {
    /// `reverse_proxy` or `php_fastcgi`.
    public var directive: String
    /// The directive's own matcher (`reverse_proxy /api/* …`); `CaddyMatcher.all` when none.
    public var matcher: CaddyMatcher
    /// Enclosing blocks, outermost first, as written: `handle /api/*`, `route`,
    /// `handle_path /static/*`, `handle @ws`.
    public var context: [String]
    /// The upstreams of the directive line and of every `to` subdirective, in order.
    public var upstreams: [CaddyUpstream]
    public var transport: CaddyTransport
    /// The directive's line.
    public var source: SourceLocation
    /// Other subdirectives (`lb_policy`, `health_uri`, `lb_try_duration`, `header_up`, …).
    public var options: [CaddySetting]
    /// Path patterns as the client sends them, with the enclosing `handle`/`handle_path`
    /// paths combined with the directive's own (`handle_path /api/*` + `/v1/*` →
    /// `/api/v1/*`, the innermost `/…` pattern winning) and `uri strip_prefix` put back in
    /// front; `["*"]` for every path. Named matchers contribute their paths; patterns not
    /// starting with `/` (`*.php`) do not narrow it.
    public var routePaths: [String]

    public init(directive: String = "reverse_proxy", matcher: CaddyMatcher = .all, context: [String] = [],
                upstreams: [CaddyUpstream] = [], transport: CaddyTransport = CaddyTransport(),
                source: SourceLocation, options: [CaddySetting] = [], routePaths: [String] = ["*"]) {
        self.directive = directive
        self.matcher = matcher
        self.context = context
        self.upstreams = upstreams
        self.transport = transport
        self.source = source
        self.options = options
        self.routePaths = routePaths
    }

    /// The first subdirective called `name` (`lb_policy`, `health_uri`).
    public func option(_ name: String) -> CaddySetting? { options.first { $0.name == name } }
}
