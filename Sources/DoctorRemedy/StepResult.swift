/// How one planned step ended in `gwdoctor fix --apply`.
public struct StepResult: Codable, Hashable, Sendable {
    public enum Outcome: String, Codable, Hashable, Sendable {
        /// It ran and the site answered afterwards.
        case succeeded
        /// It ran and did not help: its command failed, or the routes still fail.
        case failed
        /// A guard stopped it before it changed anything.
        case refused
        /// Not run: an earlier step failed or was refused.
        case skipped
        /// A step for a person: printed, never applied.
        case manual
    }

    /// 1-based position in the plan.
    public var index: Int
    /// `RemedyStep.kind`.
    public var kind: String
    public var summary: String
    public var outcome: Outcome
    /// What ran, as a person would type it (redacted), in order.
    public var ran: [String]
    /// Why it ended this way (the test's error, the budget, the command's stderr).
    public var detail: String?
    /// The verification's evidence, when one ran.
    public var verification: String?

    public init(index: Int, kind: String, summary: String, outcome: Outcome, ran: [String] = [], detail: String? = nil,
                verification: String? = nil) {
        self.index = index
        self.kind = kind
        self.summary = summary
        self.outcome = outcome
        self.ran = ran
        self.detail = detail
        self.verification = verification
    }
}
