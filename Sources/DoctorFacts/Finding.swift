/// What one check concluded about one subject (a proxy, a route, a socket).
public struct Finding: Hashable, Codable, Sendable {
    /// The stable kebab-case id of the check that produced this finding.
    public var check: String
    public var layer: Layer
    public var severity: Severity
    public var summary: String
    /// `server_name location` of the route concerned, when the finding is about one route.
    public var route: String?
    public var evidence: [Evidence]
    /// Concrete next steps, most direct first. Commands here are for a person to run.
    public var fix: [String]
    /// A precise cause within the check, when it has several (`missing-env-var` for
    /// `app-startup-crash`); stable kebab-case like check ids.
    public var cause: String?

    public init(check: String, layer: Layer, severity: Severity, summary: String,
                route: String? = nil, evidence: [Evidence] = [], fix: [String] = [], cause: String? = nil) {
        self.check = check
        self.layer = layer
        self.severity = severity
        self.summary = summary
        self.route = route
        self.evidence = evidence
        self.fix = fix
        self.cause = cause
    }
}
