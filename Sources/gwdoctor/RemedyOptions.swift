import ArgumentParser
import DoctorRemedy
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Options shared by the commands that can change the machine (`fix`, `rollback`):
/// `--apply`, `--yes`, `--state-dir`, `--verify-timeout`, and the confirmation rule.
///
/// Confirmation (see `ApplyConfirmation`): without `--apply` nothing changes; with it, a
/// terminal on stdin is asked unless `--yes`; with no terminal and no `--yes` the command
/// refuses with a message on stderr and exit code 64 (EX_USAGE), never 0–3, which keep
/// their diagnosis meaning.
struct RemedyOptions: ParsableArguments {
    @Flag(help: "Carry the plan out (default: print it and change nothing).")
    var apply = false

    @Flag(name: [.customShort("y"), .long], help: "Do not ask for confirmation (required with --apply when stdin is not a terminal).")
    var yes = false

    @Option(name: .customLong("state-dir"), help: ArgumentHelp("Where the audit log and the restart budget are kept (created 0700).", valueName: "dir"))
    var stateDirectory: String = StateDirectory.defaultPath

    @Option(name: .customLong("verify-timeout"), help: "How long to wait after each step for the site to answer again (e.g. 15s, 1m).")
    var verifyTimeout = VerifyTimeout(argument: "15s")!

    /// The state directory, made absolute against the working directory.
    var stateDir: StateDirectory {
        StateDirectory(stateDirectory.hasPrefix("/") ? stateDirectory : FileManager.default.currentDirectoryPath + "/" + stateDirectory)
    }

    var verifyDuration: Duration { .seconds(verifyTimeout.seconds) }

    /// The confirmation rule for this invocation.
    func confirmation(command: String) -> ApplyConfirmation {
        ApplyConfirmation.decide(apply: apply, yes: yes, stdinIsTerminal: isatty(STDIN_FILENO) == 1, command: command)
    }

    /// Applies the rule: `true` to go ahead, `false` for a dry run or a "no" at the prompt;
    /// a refusal is written to stderr and thrown as exit code 64.
    func confirm(command: String, prompt: String) throws -> Bool {
        switch confirmation(command: command) {
        case .dryRun:
            return false
        case .proceed:
            return true
        case .ask:
            Terminal.writeError(prompt + " [y/N] ")
            let answer = readLine(strippingNewline: true)
            guard ApplyConfirmation.isYes(answer) else {
                Terminal.writeError("Nothing was changed.\n")
                return false
            }
            return true
        case let .refuse(message):
            Terminal.writeError(message + "\n")
            throw ExitCode(ApplyConfirmation.refusedExitCode)
        }
    }
}

/// `--verify-timeout 15s`: a duration like `--since`'s (`15s`, `1m`), shown with its own default
/// in the help (`TimeWindow` always shows `--since`'s 15m).
struct VerifyTimeout: ExpressibleByArgument, CustomStringConvertible {
    var seconds: Int

    init?(argument: String) {
        guard let window = TimeWindow(argument: argument) else { return nil }
        seconds = window.seconds
    }

    var description: String { seconds % 60 == 0 ? "\(seconds / 60)m" : "\(seconds)s" }
    var defaultValueDescription: String { description }
}
