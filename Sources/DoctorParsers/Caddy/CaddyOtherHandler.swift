import DoctorFacts

/// A terminal handler that is not a proxy (`respond`, `redir`, `file_server`,
/// `static_response`, `error`, `abort`): a path it answers never reaches a proxy after it.
public struct CaddyOtherHandler: Hashable, Codable, Sendable {
    public var directive: String
    public var matcher: CaddyMatcher
    /// Enclosing blocks, outermost first, as for `CaddyProxyHandler.context`.
    public var context: [String]
    public var args: [String]
    public var source: SourceLocation
    /// As `CaddyProxyHandler.routePaths`.
    public var routePaths: [String]

    public init(directive: String, matcher: CaddyMatcher = .all, context: [String] = [], args: [String] = [],
                source: SourceLocation, routePaths: [String] = ["*"]) {
        self.directive = directive
        self.matcher = matcher
        self.context = context
        self.args = args
        self.source = source
        self.routePaths = routePaths
    }
}
