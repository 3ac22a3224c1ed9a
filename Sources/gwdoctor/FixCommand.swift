import ArgumentParser
import DoctorChecks
import DoctorFacts
import DoctorHost
import DoctorRemedy
import Foundation

/// `gwdoctor fix`: the diagnosis turned into a repair plan. A dry run by default (prints
/// the plan, changes nothing, exits like `diagnose`); `--apply` carries the automatic steps
/// out through `HostActions`, each behind its guard and verified by probing the route
/// directly and through the proxy, writing every step to the audit log.
struct FixCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fix",
        abstract: "Plan the repair for the diagnosis and print it; --apply carries it out, verifying after each step.",
        discussion: """
            Automatic steps: restart the failing app service only (supervisord program or systemd unit, \
            never the proxy for an upstream failure; at most 3 restarts per service per 15 minutes), \
            remove a stale unix socket (only when nothing listens on it and its service is down) and start \
            the service, reload nginx only after its config test passes. Everything else is printed as a \
            manual step and never applied. See docs/REMEDY.md.
            Exit codes: as diagnose (0 ok, 1 warning, 2 critical, 3 unknown); after --apply, the new \
            diagnosis's, at least 2 when a step did not help, at least 1 when a guard refused one; \
            64 when --apply has no terminal to confirm on and no --yes.
            """
    )

    @OptionGroup var hostOptions: HostOptions
    @OptionGroup var remedy: RemedyOptions

    @Option(help: "Output format (markdown prints the text form).")
    var format: OutputFormat = .text

    @Option(help: "How far back to read logs (e.g. 90s, 15m, 2h).")
    var since = TimeWindow(argument: "15m")!

    func run() async throws {
        let code = try await Terminal.guardingErrors { () async throws -> Status in
            let host = try hostOptions.makeHost()
            let options = hostOptions.gatherOptions(runConfigTest: true, probe: true, sinceSeconds: since.seconds)
            let facts = await FactGatherer(host: host, options: options).gather()
            let diagnosis = VerdictRanker.diagnose(facts)
            let shown = Report(status: diagnosis.status, verdict: diagnosis.verdict, findings: diagnosis.findings,
                               routes: [], unavailable: []).redacted()
            let plan = RemedyPlanner.plan(facts: facts, status: diagnosis.status, verdict: shown.verdict, findings: shown.findings)

            guard remedy.apply else {
                emit(RemedyReport(plan: plan, mode: .dryRun), final: true)
                return plan.status
            }
            guard !plan.automaticSteps.isEmpty else {
                emit(RemedyReport(plan: plan, mode: .nothingToApply), final: true)
                return plan.status
            }
            guard let actions = host as? any HostActions, !host.isSnapshot else {
                emit(RemedyReport(plan: plan, mode: .refused), final: true)
                throw CLIError("--apply on a snapshot (--root): a snapshot is a recording of another moment; `fix --root` only shows the plan")
            }
            if case .refuse = remedy.confirmation(command: "fix") {
                emit(RemedyReport(plan: plan, mode: .refused), final: true)
            } else if format != .json {
                emit(RemedyReport(plan: plan, mode: .applied), final: false)
            }
            let count = plan.automaticSteps.count
            guard try remedy.confirm(command: "fix", prompt: "Carry out the \(count) automatic step\(count == 1 ? "" : "s") above on this machine?") else {
                if format == .json { emit(RemedyReport(plan: plan, mode: .declined), final: true) }
                return plan.status
            }

            let directory = remedy.stateDir
            let verifier = HealthVerifier(host: actions, options: options, timeout: remedy.verifyDuration)
            let executor = RemedyExecutor(host: actions, options: options, verifier: verifier,
                                          budget: RestartBudget(directory: directory), audit: AuditLog(directory: directory))
            let outcome = await executor.execute(plan)

            // The diagnosis after the repair reads only what was logged after it: the failures that
            // made the plan are still in a 15-minute window and would read as "recovered since".
            // The pause puts the window's start (second-resolution log stamps) past the last step.
            try? await Task.sleep(for: .milliseconds(1100))
            var afterOptions = options
            afterOptions.sinceSeconds = 1
            let afterFacts = await FactGatherer(host: actions, options: afterOptions).gather()
            let afterDiagnosis = VerdictRanker.diagnose(afterFacts)
            let afterShown = Report(status: afterDiagnosis.status, verdict: afterDiagnosis.verdict, findings: [],
                                    routes: [], unavailable: []).redacted()
            let report = RemedyReport(plan: plan, mode: .applied, outcome: outcome, auditLog: AuditLog(directory: directory).path,
                                      after: RemedyReport.After(status: afterShown.status, verdict: afterShown.verdict))
            if format == .json {
                Terminal.write(report.json() + "\n")
            } else {
                Terminal.write(RemedyTextRenderer.renderResults(report))
            }
            throw ExitCode(report.exitCode)
        }
        throw ExitCode(code.exitCode)
    }

    /// Prints the plan (text) or the whole report (JSON, only when it is the last thing printed).
    private func emit(_ report: RemedyReport, final: Bool) {
        if format == .json {
            if final { Terminal.write(report.json() + "\n") }
        } else {
            Terminal.write(RemedyTextRenderer.renderPlan(report))
        }
    }
}
