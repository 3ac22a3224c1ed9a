import DoctorFacts
import Foundation

/// One line of `STATE_DIR/audit.jsonl`: one step that `gwdoctor fix --apply` (or
/// `rollback --apply`) carried out or refused, what it ran, how that ended, and whether the
/// site answered afterwards.
///
/// JSON keys are snake_case and stable (people grep this file and feed it to log shippers);
/// new keys may be added, none renamed. `argv`, `detail` and `verification` are redacted
/// when the entry is written.
public struct AuditEntry: Codable, Hashable, Sendable {
    /// How the step ended.
    public enum Outcome: String, Codable, Hashable, Sendable {
        /// It ran and the verification that followed passed (or it needs none).
        case succeeded
        /// It ran but did not work: the command failed, or the site still does not answer.
        case failed
        /// A guard stopped it before anything ran (budget spent, config test failed, socket in use).
        case refused
    }

    /// When the step ended.
    public var time: Date
    /// One id per `gwdoctor` run, so the steps of one repair read together.
    public var run: String
    /// `fix` or `rollback`.
    public var command: String
    /// The step's kind (`restart-service`, `start-service`, `remove-socket`, `config-test`, `reload-proxy`, …).
    public var step: String
    /// What it acted on (`supervisor:app`, `unix:/run/app.sock`, `nginx pid 812`).
    public var target: String?
    /// What was run, as a person would type it; for a system call, its shell equivalent
    /// (`rm PATH`, `kill -HUP PID`).
    public var argv: [String]
    /// The command's exit status; `nil` for a system call or a command that did not exit on its own.
    public var exitStatus: Int32?
    /// `passed` / `failed` / `skipped`, with the verifier's evidence in `verification`.
    public var verified: String?
    /// What the verification saw (`app.test /: direct 127.0.0.1:8000 → 200; via nginx → 200`).
    public var verification: String?
    public var outcome: Outcome
    /// Why it ended that way, in a sentence (the config test's error, the budget's count).
    public var detail: String?

    public init(time: Date = Date(), run: String, command: String = "fix", step: String, target: String? = nil,
                argv: [String] = [], exitStatus: Int32? = nil, verified: String? = nil, verification: String? = nil,
                outcome: Outcome, detail: String? = nil) {
        self.time = time
        self.run = run
        self.command = command
        self.step = step
        self.target = target
        self.argv = argv
        self.exitStatus = exitStatus
        self.verified = verified
        self.verification = verification
        self.outcome = outcome
        self.detail = detail
    }

    enum CodingKeys: String, CodingKey {
        case time, run, command, step, target, argv
        case exitStatus = "exit_status"
        case verified, verification, outcome, detail
    }

    /// The same entry with every free-text field passed through the project's `Redactor`.
    public func redacted() -> AuditEntry {
        var copy = self
        copy.argv = Redactor.redact(arguments: argv)
        copy.target = target.map(Redactor.redact)
        copy.detail = detail.map(Redactor.redact)
        copy.verification = verification.map(Redactor.redact)
        return copy
    }

    /// One line for the end-of-run listing.
    public var line: String {
        var text = "\(outcome.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)) \(step)"
        if let target { text += " \(target)" }
        if !argv.isEmpty { text += ": \(argv.joined(separator: " "))" }
        if let exitStatus { text += " (exit \(exitStatus))" }
        if let verified { text += "; verification \(verified)" }
        if let detail, !detail.isEmpty { text += " — \(detail)" }
        return text
    }
}
