import DoctorFacts

/// Which requests a directive applies to, as far as paths go.
///
/// Caddy directives take one optional matcher token: none or `*` (every request), a path
/// (`/api/*`), or a named matcher (`@api`). A named matcher can test more than the path
/// (host, header, method …); those conditions are kept as text in `definition`, and
/// `hasNonPathConditions` says the paths alone do not decide.
public struct CaddyMatcher: Hashable, Codable, Sendable, CustomStringConvertible {
    /// Path patterns the request path must match (any of them), as written: `["/api/*"]`;
    /// `["*"]` when the directive applies to every path.
    public var paths: [String]
    /// `@api` for a named matcher (with the `@`); nil for an inline path or no matcher.
    public var name: String?
    /// The named matcher's definition as written (`path /api/* /v1/*` or the lines of its
    /// block joined by `; `); nil for an inline path or no matcher.
    public var definition: String?
    /// The named matcher tests something besides `path` (`host`, `header`, `not`, …).
    public var hasNonPathConditions: Bool
    /// Where the named matcher is defined; nil for an inline path or no matcher.
    public var source: SourceLocation?

    public init(paths: [String] = ["*"], name: String? = nil, definition: String? = nil,
                hasNonPathConditions: Bool = false, source: SourceLocation? = nil) {
        self.paths = paths
        self.name = name
        self.definition = definition
        self.hasNonPathConditions = hasNonPathConditions
        self.source = source
    }

    /// Every request (no matcher, `*`, or a path list holding `*` / `/*`).
    public static let all = CaddyMatcher()

    /// Matches every path (conditions other than paths may still narrow it).
    public var isCatchAllPath: Bool { paths.isEmpty || paths.contains { $0 == "*" || $0 == "/*" } }

    public var description: String {
        if let name { return definition.map { "\(name) (\($0))" } ?? name }
        return paths.joined(separator: " ")
    }
}
