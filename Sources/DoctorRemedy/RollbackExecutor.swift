import DoctorFacts
import DoctorHost
import Foundation

/// How an applied rollback ended.
public struct RollbackOutcome: Sendable {
    public enum Result: String, Sendable {
        /// `current` points at the target, the services restarted, the routes answer.
        case rolledBack = "rolled-back"
        /// The target did not answer: `current` was switched back (see `entries` for whether
        /// the old release answers again).
        case switchedBack = "switched-back"
        /// A guard refused before anything changed (schema, no target, state directory).
        case refused
        /// A change failed part-way (the link could not be switched, or not switched back).
        case failed
    }

    public var result: Result
    /// This run's audit entries, in order (also appended to `STATE_DIR/audit.jsonl`).
    public var entries: [AuditEntry]
    /// One paragraph for the operator.
    public var message: String

    /// 0 rolled back; 1 refused by a guard; 2 switched back or failed (the site needs a person).
    public var exitCode: Int32 {
        switch result {
        case .rolledBack: 0
        case .refused: 1
        case .switchedBack, .failed: 2
        }
    }
}

/// Carries out a `RollbackPlan`: switch `current` atomically, restart the root's services,
/// verify the routes directly and through the proxy (`HealthVerifier`); on failure switch back,
/// restart again, verify again and say so. The release left behind is marked bad
/// (`ReleaseBadMark`): the abandoned one after a rollback that worked; the target after one
/// that did not, when the app itself did not answer (a proxy-only failure says nothing about
/// the release). Every step is appended to the audit log as it ends; when the audit log
/// cannot be written, nothing is changed.
public struct RollbackExecutor: Sendable {
    public let host: any ReleaseSwitching
    public let verifier: HealthVerifier
    public let audit: AuditLog
    /// One id for this run's audit entries.
    public let run: String
    public static let restartTimeout: Duration = .seconds(90)

    public init(host: any ReleaseSwitching, verifier: HealthVerifier, audit: AuditLog, run: String = Self.newRunID()) {
        self.host = host
        self.verifier = verifier
        self.audit = audit
        self.run = run
    }

    public static func newRunID() -> String { String(UUID().uuidString.prefix(8)).lowercased() }

    /// The switch, restart and bad-mark steps it shares with `GateExecutor`, audited as `"command":"rollback"`.
    private var steps: ReleaseSwitchSteps { ReleaseSwitchSteps(host: host, command: "rollback", run: run) }

    public func apply(_ plan: RollbackPlan, forceSchema: Bool) async -> RollbackOutcome {
        let steps = self.steps
        let log = ReleaseSwitchSteps.Log(audit: audit)
        let record = log.record
        do {
            try audit.directory.prepare()
        } catch {
            return RollbackOutcome(result: .refused, entries: [], message: "the audit log cannot be written (\(error)); nothing was changed")
        }
        guard plan.refusal == nil, let target = plan.target, let newLink = plan.newLinkTarget else {
            record(steps.entry("plan", target: plan.root, outcome: .refused, detail: plan.refusal ?? "no target release"))
            return RollbackOutcome(result: .refused, entries: log.entries, message: "Cannot roll back: \(plan.refusal ?? "no target release")")
        }
        let schemaDetail = plan.schema.reason + (plan.schema.unknownToTarget.isEmpty ? "" : ": "
            + plan.schema.unknownToTarget.map(\.summary).joined(separator: "; "))
        if !plan.schema.allowsRollback {
            guard forceSchema else {
                record(steps.entry("schema-guard", target: "release \(target.id)", argv: plan.schema.command, outcome: .refused, detail: schemaDetail))
                return RollbackOutcome(result: .refused, entries: log.entries,
                                       message: "Refusing to roll back to release \(target.id): \(schemaDetail). "
                                        + "Nothing was changed. Pass --force-schema to roll back anyway.")
            }
            record(steps.entry("schema-guard", target: "release \(target.id)", argv: plan.schema.command, outcome: .succeeded, detail: "overridden by --force-schema: " + schemaDetail))
        } else {
            record(steps.entry("schema-guard", target: "release \(target.id)", argv: plan.schema.command, outcome: .succeeded, detail: schemaDetail))
        }
        if let failure = log.writeFailure {
            return RollbackOutcome(result: .refused, entries: log.entries, message: "the audit log cannot be written (\(failure)); nothing was changed")
        }

        // 1. Switch.
        guard steps.switchLink(plan.link, to: newLink, step: "switch-release", log: log) else {
            return RollbackOutcome(result: .failed, entries: log.entries,
                                   message: "\(plan.link) could not be switched to \(newLink); nothing else was changed")
        }
        // 2. Restart, 3. verify.
        await steps.restart(plan.services, states: nil, log: log)
        let verification = await verifier.verify(routes: plan.routes)
        record(steps.entry("verify", target: "release \(target.id)", verified: verification.passed ? "passed" : "failed",
                           verification: verification.evidence, outcome: verification.passed ? .succeeded : .failed))
        if verification.passed {
            if let from = plan.from, from != target.id {
                steps.mark(root: plan.root, release: from, reason: "abandoned: gwdoctor rollback to release \(target.id) (run \(run))", log: log)
            }
            return RollbackOutcome(result: .rolledBack, entries: log.entries,
                                   message: "Rolled back \(plan.link) to release \(target.id); "
                                    + (plan.from.map { "release \($0) is marked bad. " } ?? "") + verification.evidence)
        }

        // Failure: switch back, restart, verify the old release again.
        guard let previous = plan.previousLinkTarget,
              steps.switchLink(plan.link, to: previous, step: "switch-back", log: log) else {
            return RollbackOutcome(result: .failed, entries: log.entries,
                                   message: "Release \(target.id) did not answer (\(verification.evidence)) and \(plan.link) could not be "
                                    + "switched back: it still points at release \(target.id). A person must look now.")
        }
        await steps.restart(plan.services, states: verification.facts.services, log: log)
        let again = await verifier.verify(routes: plan.routes)
        record(steps.entry("verify", target: plan.from.map { "release \($0)" } ?? previous, verified: again.passed ? "passed" : "failed",
                           verification: again.evidence, outcome: again.passed ? .succeeded : .failed))
        // Only when the app itself did not answer is the target to blame.
        let appFailed = verification.routes.contains { !$0.directAnswers }
        if appFailed {
            steps.mark(root: plan.root, release: target.id, reason: "did not answer after gwdoctor rollback switched to it (run \(run)): "
                + verification.evidence, log: log)
        }
        return RollbackOutcome(result: .switchedBack, entries: log.entries,
                               message: "Release \(target.id) did not answer after the switch (\(verification.evidence)); switched "
                                + "\(plan.link) back to \(previous) and restarted: " + (again.passed ? "it answers again. " : "it still does not answer. ")
                                + (appFailed ? "Release \(target.id) is marked bad." : "The app answered directly, so the release is not marked bad."))
    }
}
