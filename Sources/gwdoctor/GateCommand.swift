import ArgumentParser
import DoctorChecks
import DoctorFacts
import DoctorHost
import DoctorRemedy
import Foundation

/// `gwdoctor gate --release DIR`: the deploy script's last step. Switches `current` to DIR,
/// restarts the app service(s) running from that deploy root, and waits for N consecutive
/// 2xx answers at the health path, directly and then through the proxy; when they do not come
/// within the timeout it diagnoses why, switches back (unless the schema guard forbids it),
/// restarts, verifies the old release and marks the new one bad.
///
/// Gate *is* the apply: a deploy script runs it without a terminal, and its whole purpose is
/// to switch, so it does not ask and needs no `--yes`. What keeps it safe is what it refuses
/// before changing anything: DIR must be `ROOT/releases/ID` of a deploy root found from what
/// runs (a stray path is never linked), not current, not marked bad, complete, with a service
/// gwdoctor can restart and a route it can probe. `--dry-run` prints the plan only.
struct GateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gate",
        abstract: "Deploy gate: switch `current` to a release, and switch back by itself if it does not become healthy.",
        discussion: """
            Switches ROOT/current to --release DIR (atomically), restarts the app services running from ROOT, and \
            waits until --successes consecutive probe rounds answer 2xx at --path, directly at the upstream and then \
            through the proxy. If that does not happen within --timeout: diagnoses why (the verdict's check and cause), \
            switches back, restarts, verifies the old release and marks the new one bad (ROOT/releases/ID/.gwdoctor-bad). \
            When the database has migrations the old release does not know, it does not switch back: it says so and \
            leaves the new release in place. Every step goes to STATE_DIR/audit.jsonl. No confirmation is asked: \
            the command is meant for deploy scripts. See docs/REMEDY.md.
            Exit codes: 0 the new release is live; 1 refused, nothing changed; 2 the new release failed and the old \
            one is back and answers; 3 could not decide; 4 the new release failed and the schema guard kept it in \
            place; 5 failed part-way, or the old release does not answer either (a person must look now).
            """
    )

    @OptionGroup var hostOptions: HostOptions

    @Option(name: .customLong("release"), help: ArgumentHelp("The new release's directory (ROOT/releases/ID).", valueName: "dir"))
    var release: String

    @Option(help: "How long the new release has to become healthy, from the end of the restart (e.g. 60s, 2m).")
    var timeout = VerifyTimeout(argument: "60s")!

    @Option(help: ArgumentHelp("The health path probed directly and through the proxy.", valueName: "path"))
    var path = "/health/"

    @Option(help: "Consecutive 2xx probe rounds required.")
    var successes = 3

    @Option(name: .customLong("root-dir"), help: ArgumentHelp("The deploy root, when several are found.", valueName: "path"))
    var rootDirectory: String?

    @Option(name: .customLong("state-dir"), help: ArgumentHelp("Where the audit log is kept (created 0700).", valueName: "dir"))
    var stateDirectory: String = StateDirectory.defaultPath

    @Option(name: .customLong("verify-timeout"), help: "How long the old release has to answer again after a switch back.")
    var verifyTimeout = VerifyTimeout(argument: "15s")!

    @Flag(name: .customLong("dry-run"), help: "Print the plan and change nothing.")
    var dryRun = false

    @Option(help: "Output format (markdown prints the text form).")
    var format: OutputFormat = .text

    func validate() throws {
        guard successes >= 1 else { throw ValidationError("--successes must be at least 1") }
        guard timeout.seconds >= 1 else { throw ValidationError("--timeout must be at least 1s") }
        guard path.hasPrefix("/"), !path.contains(where: { $0 == " " || $0.isNewline }) else {
            throw ValidationError("--path must be an absolute URL path without spaces (got \(path))")
        }
    }

    func run() async throws {
        var code: Int32 = 0
        let status = try await Terminal.guardingErrors {
            code = try await gate()
            return .ok
        }
        // A CLIError (a snapshot given, a host that cannot be read) is "could not decide".
        throw ExitCode(status == .unknown ? 3 : code)
    }

    private static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    private func gate() async throws -> Int32 {
        let host = try hostOptions.makeHost()
        // The operator's paths first: a typo is a usage error that writes nothing (no state directory, no audit line).
        if let refusal = DeployArguments(host: host).checkGate(release: Self.absolute(release), rootDirectory: rootDirectory.map(Self.absolute)) {
            Terminal.writeError("gwdoctor gate: \(refusal.message)\n")
            return ExitCode.validationFailure.rawValue
        }
        let options = hostOptions.gatherOptions(runConfigTest: true, probe: true)
        // Probing before the switch gives the proxy listener and Host header each route is reached with.
        let facts = await FactGatherer(host: host, options: options).gather()
        let plan = await GatePlanner(host: host, facts: facts).plan(releaseDirectory: Self.absolute(release),
                                                                    rootDirectory: rootDirectory.map(Self.absolute),
                                                                    path: path, successes: successes)
        let duration = Duration.seconds(timeout.seconds)
        if format != .json { Terminal.write(plan.render(timeout: duration)) }
        if dryRun {
            if format == .json {
                let outcome = GateOutcome(result: plan.refusal == nil ? .dryRun : .refused, release: plan.newRelease, previous: plan.oldRelease,
                                          entries: [], message: plan.refusal.map { "Cannot gate: \($0)" } ?? "Dry run: nothing was changed.")
                Terminal.write(outcome.json(auditLog: "") + "\n")
            } else {
                Terminal.write("\nDry run: nothing was changed.\n")
            }
            return plan.refusal == nil ? 0 : 1
        }
        guard let actions = host as? any ReleaseSwitching, !host.isSnapshot else {
            throw CLIError("a snapshot (--root) is a recording: gate needs the live machine")
        }
        let directory = StateDirectory(Self.absolute(stateDirectory))
        let audit = AuditLog(directory: directory)
        let executor = GateExecutor(host: actions, options: options, audit: audit, timeout: duration,
                                    verifyTimeout: .seconds(verifyTimeout.seconds)) { facts in
            let diagnosis = VerdictRanker.diagnose(facts)
            return GateDiagnosis(status: diagnosis.status.rawValue, layer: diagnosis.verdict.layer.rawValue, check: diagnosis.verdict.check,
                                 cause: diagnosis.verdict.cause, summary: Redactor.redact(diagnosis.verdict.summary),
                                 others: diagnosis.findings.filter { $0.severity != .info && $0.check != diagnosis.verdict.check }.prefix(6)
                                    .map { $0.check + ($0.cause.map { " (\($0))" } ?? "") })
        }
        let outcome = await executor.apply(plan)
        if format == .json {
            Terminal.write(outcome.json(auditLog: audit.path) + "\n")
            return outcome.exitCode
        }
        if let diagnosis = outcome.diagnosis {
            Terminal.write("\nWhy release \(outcome.release ?? "?") failed: \(diagnosis.line)\n")
            if !diagnosis.others.isEmpty { Terminal.write("  also found: \(diagnosis.others.joined(separator: ", "))\n") }
        }
        if let schema = outcome.schema, !schema.allowsRollback {
            Terminal.write("Schema guard: \(schema.decision.rawValue) — \(schema.reason)\n")
            for migration in schema.unknownToTarget { Terminal.write("  - \(migration.summary)\n") }
        }
        if !outcome.entries.isEmpty {
            Terminal.write("\nAudit (\(audit.path)):\n" + outcome.entries.map { "  " + $0.redacted().line }.joined(separator: "\n") + "\n")
        }
        Terminal.write("\n" + Redactor.redact(outcome.message) + "\n")
        return outcome.exitCode
    }
}
