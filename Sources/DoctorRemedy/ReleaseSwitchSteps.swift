import DoctorFacts
import DoctorHost
import Foundation

/// The host-changing steps `gwdoctor rollback` (`RollbackExecutor`) and `gwdoctor gate`
/// (`GateExecutor`) share: switch a release root's `current` link, restart its services,
/// mark a release bad. Each step is audited as it ends, under the caller's command name
/// (`"rollback"` or `"gate"`), so both commands' audit lines and bad marks keep one shape
/// and one set of step names.
struct ReleaseSwitchSteps: Sendable {
    let host: any ReleaseSwitching
    /// The `command` of the audit entries and the `by` of the bad marks (`gwdoctor <command>`).
    let command: String
    /// One id for this run's audit entries.
    let run: String

    /// This run's entries, each appended to the audit log as it is recorded. A failed append
    /// is remembered rather than thrown so the caller can refuse before it changes anything.
    final class Log: @unchecked Sendable {
        let audit: AuditLog
        var entries: [AuditEntry] = []
        var writeFailure: String?

        init(audit: AuditLog) { self.audit = audit }

        func record(_ entry: AuditEntry) {
            entries.append(entry)
            do { try audit.append(entry) } catch { writeFailure = writeFailure ?? error.description }
        }
    }

    func entry(_ step: String, target: String? = nil, argv: [String] = [], exitStatus: Int32? = nil, verified: String? = nil,
               verification: String? = nil, outcome: AuditEntry.Outcome, detail: String? = nil) -> AuditEntry {
        AuditEntry(run: run, command: command, step: step, target: target, argv: argv, exitStatus: exitStatus,
                   verified: verified, verification: verification, outcome: outcome, detail: detail)
    }

    /// Points `link` at `linkTarget` atomically (`ReleaseSwitching.switchLink`); false when it could not.
    func switchLink(_ link: String, to linkTarget: String, step: String, log: Log) -> Bool {
        let temporary = ".current.gwdoctor-tmp"
        let argv = ["ln", "-s", linkTarget, temporary, "&&", "mv", "-T", temporary, link]
        do {
            try host.switchLink(link, to: linkTarget)
            log.record(entry(step, target: link, argv: argv, outcome: .succeeded, detail: "\(link) → \(linkTarget)"))
            return true
        } catch {
            log.record(entry(step, target: link, argv: argv, outcome: .failed, detail: error.description))
            return false
        }
    }

    /// Restarts (or starts, when down) each service; `states`: fresher facts than the plan's.
    func restart(_ services: [RollbackService], states: [ManagedService]?, log: Log) async {
        for service in services {
            let state = states.map { list in list.first { $0.manager == service.manager && $0.name == service.name }?.state } ?? service.state
            guard let command = service.command(forState: state) else { continue }
            let result = await host.perform(command, timeout: RollbackExecutor.restartTimeout, outputLimit: 64 * 1024)
            let detail = result.failure ?? [result.stdout, result.stderr].map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
                .filter { !$0.isEmpty }.joined(separator: " | ")
            log.record(entry("restart-service", target: service.key, argv: command.argv, exitStatus: result.exitCode,
                             outcome: result.succeeded ? .succeeded : .failed, detail: detail.isEmpty ? nil : String(detail.prefix(500))))
        }
    }

    /// Writes a `ReleaseBadMark` into `root/releases/id`, by `gwdoctor <command>`.
    func mark(root: String, release id: String, reason: String, log: Log) {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        let mark = ReleaseBadMark(markedAt: formatter.string(from: Date()), reason: reason, by: "gwdoctor \(command)")
        let directory = root + "/releases/" + id
        let argv = ["printf", "%s\\n", "{…}", ">", directory + "/" + ReleaseBadMark.fileName]
        do {
            try host.writeBadMark(mark, inRelease: directory)
            log.record(entry("mark-release-bad", target: "release \(id)", argv: argv, outcome: .succeeded, detail: reason))
        } catch {
            log.record(entry("mark-release-bad", target: "release \(id)", argv: argv, outcome: .failed, detail: error.description))
        }
    }
}
