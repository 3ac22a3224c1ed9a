import Foundation

/// Whether a `--apply` run may change the machine: the rule shared by `fix` and `rollback`.
///
/// Without `--apply` nothing is changed (a dry run that prints the plan). With it, a person
/// at a terminal is asked unless `--yes`; with no terminal to ask (cron, CI, a pipe) and no
/// `--yes`, the run is refused rather than guessed: a repair nobody confirmed does not run.
public enum ApplyConfirmation: Hashable, Sendable {
    /// No `--apply`: print the plan, change nothing.
    case dryRun
    /// `--apply --yes`: go ahead.
    case proceed
    /// `--apply` on a terminal: ask, and go ahead only on `y`/`yes`.
    case ask
    /// `--apply`, no terminal, no `--yes`: refuse with this message (exit `refusedExitCode`).
    case refuse(String)

    /// EX_USAGE: distinct from the diagnosis codes 0–3, so a script tells "refused to act"
    /// from "the site is critical".
    public static let refusedExitCode: Int32 = 64

    public static func decide(apply: Bool, yes: Bool, stdinIsTerminal: Bool, command: String = "fix") -> ApplyConfirmation {
        guard apply else { return .dryRun }
        if yes { return .proceed }
        if stdinIsTerminal { return .ask }
        return .refuse("gwdoctor \(command) --apply: no terminal to confirm on and no --yes; refusing to change the machine. "
            + "Review the plan (gwdoctor \(command) without --apply), then run again with --apply --yes.")
    }

    /// Whether an answer typed at the prompt means yes (`y`, `yes`, any case; anything else is no).
    public static func isYes(_ answer: String?) -> Bool {
        guard let answer else { return false }
        let word = answer.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        return word == "y" || word == "yes"
    }
}
