import ArgumentParser
import DoctorFacts
import DoctorHost
import DoctorRemedy
import Foundation

/// `gwdoctor rollback`: points a symlink deploy (`ROOT/current` → `ROOT/releases/ID`) back at
/// an earlier release, after the schema guard, and proves the site answers again.
///
/// Dry run by default: prints the plan with the schema verdict. Exit codes: 0 the rollback was
/// done (or, dry, could be done); 1 a guard refused it (schema, no target, nothing to restart);
/// 2 it was tried and switched back, or failed part-way (a person must look); 3 gwdoctor could
/// not decide; 64 `--apply` without a terminal to confirm on and without `--yes`.
struct RollbackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Switch a symlink release deploy back to an earlier release, after a schema check (dry run unless --apply).",
        discussion: """
            Picks the previous release (or --to ID), skipping releases marked bad, partial ones and \
            dangling entries; refuses when the database has Django migrations applied that the \
            target release does not have (listing them and whether each is reversible) unless \
            --force-schema; switches `current` atomically, restarts the app service, verifies the \
            routes directly and through the proxy, switches back on failure, and marks the \
            abandoned release bad. Every applied step goes to STATE_DIR/audit.jsonl.
            """
    )

    @OptionGroup var hostOptions: HostOptions
    @OptionGroup var remedy: RemedyOptions

    @Option(name: .customLong("to"), help: ArgumentHelp("The release id to go to (default: the newest usable one before the current).", valueName: "id"))
    var target: String?

    @Flag(name: .customLong("force-schema"), help: "Roll back even when the target release does not know every applied migration.")
    var forceSchema = false

    @Option(name: .customLong("root-dir"), help: ArgumentHelp("The deploy root (holding releases/ and current) when several are found.", valueName: "path"))
    var rootDirectory: String?

    func run() async throws {
        var code: Int32 = 0
        let status = try await Terminal.guardingErrors {
            code = try await rollback()
            return .ok
        }
        // A CLIError (a snapshot with --apply, a host that cannot be read) is "could not decide".
        throw ExitCode(status == .unknown ? 3 : code)
    }

    private func usageError(_ refusal: DeployArguments.Refusal) -> Int32 {
        Terminal.writeError("gwdoctor rollback: \(refusal.message)\n")
        return ExitCode.validationFailure.rawValue
    }

    /// The exit code (see the type's comment).
    private func rollback() async throws -> Int32 {
        let host = try hostOptions.makeHost()
        let root = rootDirectory.map { $0.hasPrefix("/") ? $0 : FileManager.default.currentDirectoryPath + "/" + $0 }
        // The operator's words first: a typo is a usage error that writes nothing (no state directory, no audit line).
        let arguments = DeployArguments(host: host)
        if let refusal = arguments.checkRollback(rootDirectory: root, target: target) { return usageError(refusal) }
        let facts = await FactGatherer(host: host, options: hostOptions.gatherOptions(runConfigTest: false, probe: false)).gather()
        let plan = await RollbackPlanner(host: host, facts: facts).plan(requested: target, rootDirectory: root)
        // --to an id the root found from what runs does not have: the same usage error, once the root is known.
        if let target, plan.target == nil, facts.releases.contains(where: { $0.root == plan.root }),
           let refusal = arguments.checkRelease(target, root: plan.root) {
            return usageError(refusal)
        }
        Terminal.write(plan.render(forceSchema: forceSchema))
        let applicable = plan.isApplicable(forceSchema: forceSchema)
        guard remedy.apply else {
            Terminal.write(applicable ? "\nDry run: nothing was changed. Run again with --apply to carry it out.\n"
                : "\nDry run: nothing was changed.\n")
            return applicable ? 0 : 1
        }
        guard let actions = host as? any ReleaseSwitching else {
            throw CLIError("a snapshot (--root) is a recording: rollback --apply needs the live machine")
        }
        let verifier = HealthVerifier(host: host, options: hostOptions.gatherOptions(runConfigTest: false, probe: true),
                                      timeout: remedy.verifyDuration)
        let audit = AuditLog(directory: remedy.stateDir)
        let executor = RollbackExecutor(host: actions, verifier: verifier, audit: audit)
        if applicable {
            let to = plan.target.map { "release \($0.id)" } ?? "?"
            guard try remedy.confirm(command: "rollback", prompt: "Switch \(plan.link) to \(to) and restart its services?") else {
                return 0
            }
        }
        // A plan a guard refuses is still "applied": the executor records the refusal.
        let outcome = await executor.apply(plan, forceSchema: forceSchema)
        if !outcome.entries.isEmpty {
            Terminal.write("\nAudit (\(audit.path)):\n" + outcome.entries.map { "  " + $0.redacted().line }.joined(separator: "\n") + "\n")
        }
        Terminal.write("\n" + outcome.message + "\n")
        return outcome.exitCode
    }
}
