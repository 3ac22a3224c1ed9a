import DoctorFacts

/// A named matcher definition in a site (`@api path /api/*`, `@ws { header Upgrade websocket }`).
public struct CaddyNamedMatcher: Hashable, Codable, Sendable {
    /// With the `@`.
    public var name: String
    /// Path patterns from its `path` conditions (empty when it has none).
    public var paths: [String]
    /// Its conditions as written, one per line, joined by `; `.
    public var definition: String
    /// It has conditions other than `path`.
    public var hasNonPathConditions: Bool
    public var source: SourceLocation

    public init(name: String, paths: [String], definition: String, hasNonPathConditions: Bool,
                source: SourceLocation) {
        self.name = name
        self.paths = paths
        self.definition = definition
        self.hasNonPathConditions = hasNonPathConditions
        self.source = source
    }
}
