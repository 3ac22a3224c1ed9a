/// The one answer of a diagnosis: the failing layer, the primary cause and the next step.
public struct Verdict: Hashable, Codable, Sendable {
    public var layer: Layer
    /// Id of the check behind the primary cause, or `nil` when healthy.
    public var check: String?
    public var summary: String
    public var evidence: [Evidence]
    public var fix: [String]
    /// The primary finding's precise cause, when it has one.
    public var cause: String?

    public init(layer: Layer, check: String?, summary: String, evidence: [Evidence] = [], fix: [String] = [],
                cause: String? = nil) {
        self.layer = layer
        self.check = check
        self.summary = summary
        self.evidence = evidence
        self.fix = fix
        self.cause = cause
    }
}
