import DoctorFacts

/// The checks' combined answer: ranked findings, the verdict, and the overall status.
public struct Diagnosis: Sendable {
    public var status: Status
    public var verdict: Verdict
    /// Findings, most important first.
    public var findings: [Finding]

    public init(status: Status, verdict: Verdict, findings: [Finding]) {
        self.status = status
        self.verdict = verdict
        self.findings = findings
    }
}
