import DoctorFacts
import DoctorHost
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Carries out a `RemedyPlan` through `HostActions` (`gwdoctor fix --apply`).
///
/// For each automatic step, in order: check its guards against a fresh read of the host,
/// run it, write an audit line, then verify by gathering again (probe each affected route
/// directly, then through the proxy). The first step that fails or is refused stops the
/// plan; the steps after it are reported `skipped`. Manual steps are never run.
///
/// Nothing runs when the audit log cannot be written: a repair nobody can review later is
/// not made.
public struct RemedyExecutor: Sendable {
    public let host: any HostActions
    /// The diagnosis's scope (which nginx config); used for the guards' fresh reads.
    public let options: GatherOptions
    public let verifier: HealthVerifier
    public let budget: RestartBudget
    public let audit: AuditLog
    /// One id for this run's audit lines.
    public let runID: String
    /// Deadline for each service command (`supervisorctl restart` waits for `startsecs`).
    public let commandTimeout: Duration
    /// The gwdoctor command the audit lines name (`fix`, or `watch` for its `--auto-fix`).
    public let auditCommand: String

    public init(host: any HostActions, options: GatherOptions, verifier: HealthVerifier, budget: RestartBudget, audit: AuditLog,
                runID: String = UUID().uuidString.lowercased(), commandTimeout: Duration = .seconds(90), auditCommand: String = "fix") {
        var options = options
        options.probe = false
        options.runConfigTest = false
        options.sinceSeconds = min(options.sinceSeconds, 60)
        self.host = host
        self.options = options
        self.verifier = verifier
        self.budget = budget
        self.audit = audit
        self.runID = runID
        self.commandTimeout = commandTimeout
        self.auditCommand = auditCommand
    }

    /// What the run did.
    public struct Outcome: Sendable {
        public var results: [StepResult]
        /// The audit lines this run appended, in order.
        public var audited: [AuditEntry]
        /// Set when the audit log could not be written (then nothing more ran).
        public var auditFailure: String?

        /// Every automatic step succeeded.
        public var succeeded: Bool { !results.contains { $0.outcome == .failed || $0.outcome == .refused || $0.outcome == .skipped } }
        /// A step ran and did not help (as opposed to a guard refusing one).
        public var anyFailed: Bool { results.contains { $0.outcome == .failed } }
        public var anyRefused: Bool { results.contains { $0.outcome == .refused } }
    }

    public func execute(_ plan: RemedyPlan) async -> Outcome {
        var run = Run(executor: self, plan: plan)
        await run.go()
        return Outcome(results: run.results, audited: run.audited, auditFailure: run.auditFailure)
    }

    /// The mutable state of one execution.
    private struct Run {
        let executor: RemedyExecutor
        let plan: RemedyPlan
        var results: [StepResult] = []
        var audited: [AuditEntry] = []
        var auditFailure: String?

        init(executor: RemedyExecutor, plan: RemedyPlan) {
            self.executor = executor
            self.plan = plan
        }

        var host: any HostActions { executor.host }

        mutating func go() async {
            do {
                try executor.audit.directory.prepare()
                _ = try executor.budget.restarts(of: "") // an unreadable budget stops everything, before any change
            } catch {
                auditFailure = error.description
            }
            var stopped = auditFailure != nil
            for (offset, step) in plan.steps.enumerated() {
                let index = offset + 1
                guard step.isAutomatic else {
                    results.append(StepResult(index: index, kind: step.kind, summary: step.summary, outcome: .manual, ran: step.commands))
                    continue
                }
                if stopped {
                    let why = auditFailure.map { "not run: the audit log cannot be written (\($0))" } ?? "not run: an earlier step failed or was refused"
                    results.append(StepResult(index: index, kind: step.kind, summary: step.summary, outcome: .skipped, detail: why))
                    continue
                }
                var result: StepResult
                switch step {
                case let .restartService(service, _, routes):
                    result = await restart(service, routes: routes, index: index, step: step)
                case let .removeStaleSocket(path, service, routes):
                    result = await removeSocketThenStart(path, service: service, routes: routes, index: index, step: step)
                case let .validateThenReload(reload):
                    result = await validateThenReload(reload, index: index, step: step)
                case .manual:
                    continue
                }
                result.ran = result.ran.map { Redactor.redact($0) }
                results.append(result)
                if result.outcome != .succeeded || auditFailure != nil { stopped = true }
            }
        }

        // MARK: Steps

        mutating func restart(_ service: ServiceRef, routes: [String], index: Int, step: RemedyStep) async -> StepResult {
            var result = StepResult(index: index, kind: step.kind, summary: step.summary, outcome: .failed)
            let fresh = await freshFacts()
            if let now = service.find(in: fresh), !ServiceRef.isDown(now) {
                // It came back on its own (or someone started it) since the diagnosis: restart nothing.
                let verification = await executor.verifier.verify(routes: routes)
                result.outcome = verification.passed ? .succeeded : .refused
                result.verification = verification.evidence
                result.detail = verification.passed
                    ? "\(service) runs again (\(now.state ?? "running")); nothing restarted"
                    : "\(service) runs now (\(now.state ?? "running")) but the routes still fail: a restart is not what this needs"
                record(step: "restart-service", target: service.budgetKey, argv: [], exitStatus: nil,
                       verified: verification.passed ? "passed" : "failed", verification: verification.evidence,
                       outcome: verification.passed ? .succeeded : .refused, detail: result.detail)
                return result
            }
            guard let command = service.command(.restart) else {
                result.outcome = .refused
                result.detail = "\(service): no safe command to restart it"
                return result
            }
            if let refusal = reserveBudget(service, step: "restart-service") {
                result.outcome = .refused
                result.detail = refusal
                return result
            }
            return await runServiceCommand(command, service: service, routes: routes, auditStep: "restart-service", into: result)
        }

        mutating func removeSocketThenStart(_ path: String, service: ServiceRef, routes: [String], index: Int,
                                            step: RemedyStep) async -> StepResult {
            var result = StepResult(index: index, kind: step.kind, summary: step.summary, outcome: .refused)
            let target = "unix:\(path)"
            func refuse(_ why: String) -> StepResult {
                var result = result
                result.detail = why
                return result
            }
            let fresh = await freshFacts()
            guard let now = service.find(in: fresh) else {
                let why = "\(service) is not found any more; \(path) left as it is"
                record(step: "remove-socket", target: target, argv: ["rm", path], outcome: .refused, detail: why)
                return refuse(why)
            }
            guard ServiceRef.isDown(now) else {
                let why = "\(service) is \(now.state ?? "up") now, not down; \(path) left as it is"
                record(step: "remove-socket", target: target, argv: ["rm", path], outcome: .refused, detail: why)
                return refuse(why)
            }
            do {
                let status = try host.status(path, followLinks: false)
                guard status.kind == .socket else {
                    let why = "\(path) is a \(status.kind.rawValue) now, not a socket; left as it is"
                    record(step: "remove-socket", target: target, argv: ["rm", path], outcome: .refused, detail: why)
                    return refuse(why)
                }
                // The listener table is read again right before the unlink: a server that bound
                // the path since the diagnosis must keep its socket.
                let listeners = try host.listeners()
                if let listener = listeners.first(where: { $0.endpoint == .unix(path: path) }) {
                    let holders = listener.pids.map(String.init).joined(separator: ", ")
                    let why = "a process listens on \(path) now (pid \(holders.isEmpty ? "unknown" : holders)); not removed"
                    record(step: "remove-socket", target: target, argv: ["rm", path], outcome: .refused, detail: why)
                    return refuse(why)
                }
                try host.removeSocket(path)
            } catch {
                let why: String
                if case .notFound = error {
                    why = "\(path) is gone already"
                } else {
                    why = "cannot remove \(path): \(error)"
                }
                if case .notFound = error {
                    // Someone (the app server itself) removed it meanwhile: nothing to remove, go on to the start.
                    record(step: "remove-socket", target: target, argv: ["rm", path], outcome: .succeeded, detail: why)
                } else {
                    record(step: "remove-socket", target: target, argv: ["rm", path], outcome: .failed, detail: why)
                    result.outcome = .failed
                    return refuse(why)
                }
            }
            result.ran.append("rm \(path)")
            if auditFailure == nil, !audited.contains(where: { $0.step == "remove-socket" && $0.target == target }) {
                record(step: "remove-socket", target: target, argv: ["rm", path], outcome: .succeeded,
                       detail: "a socket file nothing listened on; \(service) was \(now.state ?? "down")")
            }
            guard let command = service.command(.start) else {
                result.detail = "\(path) removed; \(service): no safe command to start it"
                return result
            }
            if let refusal = reserveBudget(service, step: "start-service") {
                result.detail = "\(path) removed; " + refusal
                return result
            }
            return await runServiceCommand(command, service: service, routes: routes, auditStep: "start-service", into: result)
        }

        mutating func validateThenReload(_ reload: ProxyReload, index: Int, step: RemedyStep) async -> StepResult {
            var result = StepResult(index: index, kind: step.kind, summary: step.summary, outcome: .refused)
            let target = "\(reload.proxy.rawValue) pid \(reload.masterPID)"
            let processes = (try? host.processes()) ?? []
            if reload.proxy == .caddy {
                return await validateThenReloadCaddy(reload, processes: processes, result: result)
            }
            guard let master = processes.first(where: { $0.pid == reload.masterPID }),
                  master.cmdline.first?.hasPrefix("nginx: master process") == true else {
                result.detail = "nginx master \(reload.masterPID) no longer runs; nothing reloaded"
                record(step: "reload-proxy", target: target, argv: ["kill", "-HUP", String(reload.masterPID)], outcome: .refused,
                       detail: result.detail)
                return result
            }
            let test = await host.run(reload.configTest, timeout: .seconds(30), outputLimit: 64 * 1024)
            result.ran.append(test.commandLine)
            let output = (test.stderr + test.stdout).trimmingCharacters(in: .whitespacesAndNewlines)
            guard test.succeeded else {
                let why = test.failure ?? "exit status \(test.exitCode.map(String.init) ?? "?")"
                result.detail = "config test failed (\(why)); \(reload.proxy.rawValue) NOT reloaded:\n\(output)"
                record(step: "config-test", target: target, argv: test.argv, exitStatus: test.exitCode, outcome: .refused,
                       detail: "\(why): \(output)")
                return result
            }
            record(step: "config-test", target: target, argv: test.argv, exitStatus: test.exitCode, outcome: .succeeded,
                   detail: output.isEmpty ? "passed" : output)
            guard auditFailure == nil else { return result }
            do {
                try host.signal(pid: reload.masterPID, SIGHUP)
            } catch {
                result.outcome = .failed
                result.detail = "cannot signal master \(reload.masterPID): \(error)"
                record(step: "reload-proxy", target: target, argv: ["kill", "-HUP", String(reload.masterPID)], outcome: .failed,
                       detail: result.detail)
                return result
            }
            result.ran.append("kill -HUP \(reload.masterPID)")
            let verification = await executor.verifier.verify(routes: [])
            result.verification = verification.evidence
            result.outcome = verification.passed ? .succeeded : .failed
            result.detail = verification.passed ? "reloaded; every route answers" : "reloaded, but routes still fail"
            record(step: "reload-proxy", target: target, argv: ["kill", "-HUP", String(reload.masterPID)],
                   verified: verification.passed ? "passed" : "failed", verification: verification.evidence,
                   outcome: result.outcome == .succeeded ? .succeeded : .failed, detail: result.detail)
            return result
        }

        /// Caddy: the same process must still run, `caddy validate` must pass, and then the
        /// reload goes through the admin endpoint that this pid holds; with `admin off` (or an
        /// endpoint gwdoctor cannot tie to the pid) nothing is reloaded and the step is refused
        /// with what a person has to do (a restart of Caddy, which gwdoctor never does itself).
        mutating func validateThenReloadCaddy(_ reload: ProxyReload, processes: [ProcessRecord], result base: StepResult) async -> StepResult {
            var result = base
            let target = "caddy pid \(reload.masterPID)"
            guard let running = processes.first(where: { $0.pid == reload.masterPID }), running.cmdline == reload.masterCommandLine else {
                result.detail = "caddy \(reload.masterPID) no longer runs (or runs another command line); nothing reloaded"
                record(step: "reload-proxy", target: target, argv: [], outcome: .refused, detail: result.detail)
                return result
            }
            if let missing = CaddyReloadAccess.missingLogFile(host: host, config: reload.configPath,
                                                              adapter: reload.adapter ?? "caddyfile") {
                result.detail = "caddy validate not run: it would create the missing log file \(missing) as gwdoctor's user "
                    + "(and Caddy's own user could then not open it); caddy NOT reloaded. Create it as Caddy's user, or run "
                    + "`\(reload.configTest.argv.joined(separator: " "))` as that user, then run fix again."
                record(step: "config-test", target: target, argv: reload.configTest.argv, outcome: .refused, detail: result.detail)
                return result
            }
            let test = await host.run(reload.configTest, timeout: .seconds(30), outputLimit: 64 * 1024)
            result.ran.append(test.commandLine)
            let output = (test.stderr + test.stdout).trimmingCharacters(in: .whitespacesAndNewlines)
            // Caddy's own verdict is its `Error:` line (it names Caddyfile:LINE); the JSON log lines around it are noise here.
            let errors = output.split(separator: "\n").filter { $0.hasPrefix("Error: ") }.joined(separator: "\n")
            guard test.succeeded else {
                let why = test.failure ?? "exit status \(test.exitCode.map(String.init) ?? "?")"
                let shown = errors.isEmpty ? output : errors
                result.detail = "config test failed (\(why)); caddy NOT reloaded (the running Caddy keeps its config):\n\(shown)"
                record(step: "config-test", target: target, argv: test.argv, exitStatus: test.exitCode, outcome: .refused,
                       detail: "\(why): \(shown)")
                return result
            }
            record(step: "config-test", target: target, argv: test.argv, exitStatus: test.exitCode, outcome: .succeeded,
                   detail: "passed")
            guard auditFailure == nil else { return result }
            let access = CaddyReloadAccess.decide(host: host, config: reload.configPath, adapter: reload.adapter ?? "caddyfile",
                                                  executable: reload.caddyExecutable, pid: reload.masterPID)
            guard case let .adminAPI(address, command) = access else {
                let why: String
                if case let .none(reason) = access { why = reason } else { why = "no admin endpoint" }
                result.detail = "caddy validate passed, but caddy pid \(reload.masterPID) was NOT reloaded: \(why). "
                    + "A restart of Caddy applies the file, but it drops every connection in flight and leaves the site down "
                    + "if the new config cannot start, so gwdoctor leaves it to you: restart the service that runs Caddy "
                    + "(e.g. `systemctl restart caddy`), or enable its admin endpoint and run "
                    + "`\(reload.reloadCommandLine.replacingOccurrences(of: "<its admin address>", with: "ADMIN_ADDRESS"))`."
                record(step: "reload-proxy", target: target, argv: [], outcome: .refused, detail: result.detail)
                return result
            }
            let reloaded = await host.perform(command, timeout: .seconds(60), outputLimit: 64 * 1024)
            result.ran.append(reloaded.commandLine)
            guard reloaded.succeeded else {
                let why = reloaded.failure ?? "exit status \(reloaded.exitCode.map(String.init) ?? "?")"
                let said = (reloaded.stderr + reloaded.stdout).split(separator: "\n").filter { $0.hasPrefix("Error: ") }.joined(separator: "\n")
                result.outcome = .failed
                result.detail = "caddy reload through \(address) failed (\(why)); Caddy keeps its running config\(said.isEmpty ? "" : ":\n\(said)")"
                record(step: "reload-proxy", target: target, argv: reloaded.argv, exitStatus: reloaded.exitCode, verified: "skipped",
                       outcome: .failed, detail: result.detail)
                return result
            }
            let verification = await executor.verifier.verify(routes: [])
            result.verification = verification.evidence
            result.outcome = verification.passed ? .succeeded : .failed
            result.detail = verification.passed ? "reloaded through \(address); every route answers" : "reloaded through \(address), but routes still fail"
            record(step: "reload-proxy", target: target, argv: reloaded.argv, exitStatus: reloaded.exitCode,
                   verified: verification.passed ? "passed" : "failed", verification: verification.evidence,
                   outcome: result.outcome == .succeeded ? .succeeded : .failed, detail: result.detail)
            return result
        }

        // MARK: Shared

        /// Runs a start/restart command, audits it, and verifies the routes.
        mutating func runServiceCommand(_ command: AllowedCommand, service: ServiceRef, routes: [String], auditStep: String,
                                        into base: StepResult) async -> StepResult {
            var result = base
            guard auditFailure == nil else {
                result.outcome = .refused
                result.detail = "the audit log cannot be written; \(service) not touched"
                return result
            }
            let output = await host.perform(command, timeout: executor.commandTimeout, outputLimit: 64 * 1024)
            result.ran.append(output.commandLine)
            let said = (output.stdout + output.stderr).trimmingCharacters(in: .whitespacesAndNewlines)
            guard output.succeeded else {
                let why = output.failure ?? "exit status \(output.exitCode.map(String.init) ?? "?")"
                result.outcome = .failed
                result.detail = "\(output.commandLine) failed (\(why))\(said.isEmpty ? "" : ": \(said)"). "
                    + "The restart did not help; the diagnosis says \(plan.causeText)"
                record(step: auditStep, target: service.budgetKey, argv: output.argv, exitStatus: output.exitCode,
                       verified: "skipped", outcome: .failed, detail: result.detail)
                return result
            }
            let verification = await executor.verifier.verify(routes: routes)
            result.verification = verification.evidence
            if verification.passed {
                result.outcome = .succeeded
                result.detail = said.isEmpty ? nil : said
            } else {
                result.outcome = .failed
                result.detail = "\(service) was started but the site does not answer. The diagnosis says \(plan.causeText)"
            }
            record(step: auditStep, target: service.budgetKey, argv: output.argv, exitStatus: output.exitCode,
                   verified: verification.passed ? "passed" : "failed", verification: verification.evidence,
                   outcome: verification.passed ? .succeeded : .failed, detail: result.detail)
            return result
        }

        /// Counts one restart; a refusal message when the budget is spent (audited).
        mutating func reserveBudget(_ service: ServiceRef, step: String) -> String? {
            let decision: RestartBudget.Decision
            do {
                decision = try executor.budget.reserve(service.budgetKey)
            } catch {
                let why = "restart budget unreadable (\(error)); nothing restarted"
                record(step: step, target: service.budgetKey, argv: service.command(.restart)?.argv ?? [], outcome: .refused, detail: why)
                return why
            }
            guard case let .exhausted(restarts, limit, nextAllowed) = decision else { return nil }
            let minutes = Int(executor.budget.window / 60)
            let times = restarts.map { Self.clock($0) }.joined(separator: ", ")
            let why = "restart budget spent: \(restarts.count) restarts of \(service) in the last \(minutes) min "
                + "(at \(times); limit \(limit), next allowed after \(Self.clock(nextAllowed))). "
                + "A person must look: crash loops are not fixed by restarts. The diagnosis says \(plan.causeText)"
            record(step: step, target: service.budgetKey, argv: [], outcome: .refused, detail: why)
            return why
        }

        /// A fresh gather without probes, for the guards (service state, listeners, sockets).
        func freshFacts() async -> Facts {
            await FactGatherer(host: host, options: executor.options).gather()
        }

        mutating func record(step: String, target: String?, argv: [String], exitStatus: Int32? = nil, verified: String? = nil,
                             verification: String? = nil, outcome: AuditEntry.Outcome, detail: String?) {
            let entry = AuditEntry(run: executor.runID, command: executor.auditCommand, step: step, target: target, argv: argv, exitStatus: exitStatus,
                                   verified: verified, verification: verification, outcome: outcome, detail: detail).redacted()
            do {
                try executor.audit.append(entry)
                audited.append(entry)
            } catch {
                auditFailure = auditFailure ?? error.description
            }
        }

        static func clock(_ date: Date) -> String {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "UTC")
            formatter.dateFormat = "HH:mm:ss'Z'"
            return formatter.string(from: date)
        }
    }
}
