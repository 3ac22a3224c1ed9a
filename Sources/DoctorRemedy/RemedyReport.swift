import DoctorFacts
import Foundation

/// What `gwdoctor fix` prints: the diagnosis it answers, the plan, and (with `--apply`)
/// each step's result, the audit lines written and the diagnosis afterwards.
/// `--format json` prints this as one object (version 1, additive changes only).
public struct RemedyReport: Codable, Sendable {
    /// How the run went: `dry-run` (no --apply), `applied`, `declined` (no at the prompt),
    /// `refused` (no terminal and no --yes), `nothing-to-apply` (only manual steps or none).
    public enum Mode: String, Codable, Sendable {
        case dryRun = "dry-run"
        case applied
        case declined
        case refused
        case nothingToApply = "nothing-to-apply"
    }

    /// One planned step, as shown.
    public struct PlannedStep: Codable, Hashable, Sendable {
        public var index: Int
        public var kind: String
        public var automatic: Bool
        public var summary: String
        public var commands: [String]
        public var guards: [String]
        public var routes: [String]
    }

    /// The diagnosis after an applied plan.
    public struct After: Codable, Hashable, Sendable {
        public var status: Status
        public var verdict: Verdict

        public init(status: Status, verdict: Verdict) {
            self.status = status
            self.verdict = verdict
        }
    }

    public var version = 1
    public var mode: Mode
    public var status: Status
    public var verdict: Verdict
    public var plan: [PlannedStep]
    public var notes: [String]
    public var results: [StepResult]
    /// `STATE_DIR/audit.jsonl`, when anything was applied.
    public var auditLog: String?
    public var audit: [AuditEntry]
    public var after: After?

    public init(plan: RemedyPlan, mode: Mode, outcome: RemedyExecutor.Outcome? = nil, auditLog: String? = nil, after: After? = nil) {
        self.mode = mode
        status = plan.status
        verdict = plan.verdict
        self.plan = plan.steps.enumerated().map { offset, step in
            PlannedStep(index: offset + 1, kind: step.kind, automatic: step.isAutomatic, summary: step.summary,
                        commands: step.commands, guards: step.guards, routes: step.routes)
        }
        notes = plan.notes
        if let failure = outcome?.auditFailure { notes.append("The audit log could not be written (\(failure)); steps after that were not run.") }
        results = outcome?.results ?? []
        self.auditLog = auditLog
        audit = outcome?.audited ?? []
        self.after = after
    }

    enum CodingKeys: String, CodingKey {
        case version, mode, status, verdict, plan, notes, results
        case auditLog = "audit_log"
        case audit, after
    }

    /// The exit code: the diagnosis's (0 ok … 3 unknown) for a dry run; after `--apply`, the
    /// new diagnosis's, at least 2 when a step ran and did not help, at least 1 when a guard
    /// refused one (something is left for a person).
    public var exitCode: Int32 {
        guard mode == .applied, let after else { return status.exitCode }
        var code = after.status.exitCode
        if results.contains(where: { $0.outcome == .failed || $0.outcome == .skipped }) { code = max(code, Status.critical.exitCode) }
        if results.contains(where: { $0.outcome == .refused }) { code = max(code, Status.warning.exitCode) }
        if after.status == .unknown { code = Status.unknown.exitCode }
        return code
    }

    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
