import DoctorFacts
import DoctorHost
import Foundation

/// Carries out a `GatePlan`: switch `current` to the new release (`ReleaseSwitching.switchLink`,
/// the rollback's atomic switch), restart the root's services (the rollback's allow-listed
/// commands), and probe until `successes` rounds in a row answer 2xx at the health path,
/// directly and then through the proxy (`GateHealthCounter`), or the timeout passes.
///
/// On failure: diagnose (why did the new release fail?), ask the schema guard whether the
/// old release may run on the database as it is now (`GateFallback`), and only then switch
/// back, restart, verify the old release with `HealthVerifier` and mark the new one bad
/// (`ReleaseBadMark`). Every step is appended to the audit log as it ends (`"command":"gate"`);
/// when the audit log cannot be written, nothing is changed.
public struct GateExecutor: Sendable {
    public let host: any ReleaseSwitching
    /// The diagnosis's scope (which proxy config); the gate turns probing on.
    public let options: GatherOptions
    public let audit: AuditLog
    /// How long the new release has to pass, counted from the end of the restart.
    public let timeout: Duration
    /// How long the old release has to answer again after the switch back.
    public let verifyTimeout: Duration
    public let interval: Duration
    /// Facts → verdict (the command passes `VerdictRanker` and the check catalog).
    public let diagnose: @Sendable (Facts) -> GateDiagnosis
    public let run: String

    public init(host: any ReleaseSwitching, options: GatherOptions, audit: AuditLog, timeout: Duration, verifyTimeout: Duration,
                interval: Duration = .milliseconds(500), run: String = RollbackExecutor.newRunID(),
                diagnose: @escaping @Sendable (Facts) -> GateDiagnosis) {
        var options = options
        options.probe = true
        self.host = host
        self.options = options
        self.audit = audit
        self.timeout = timeout
        self.verifyTimeout = verifyTimeout
        self.interval = interval
        self.run = run
        self.diagnose = diagnose
    }

    /// The switch, restart and bad-mark steps it shares with `RollbackExecutor`, audited as `"command":"gate"`.
    private var steps: ReleaseSwitchSteps { ReleaseSwitchSteps(host: host, command: "gate", run: run) }

    public func apply(_ plan: GatePlan) async -> GateOutcome {
        let steps = self.steps
        let log = ReleaseSwitchSteps.Log(audit: audit)
        let forward = plan.forward
        do {
            try audit.directory.prepare()
        } catch {
            return GateOutcome(result: .refused, entries: [], message: "the audit log cannot be written (\(error)); nothing was changed")
        }
        guard plan.refusal == nil, let new = plan.newRelease, let newLink = forward.newLinkTarget, let previousLink = forward.previousLinkTarget else {
            let reason = plan.refusal ?? "no release to switch to"
            log.record(steps.entry("plan", target: plan.releaseDirectory, outcome: .refused, detail: reason))
            return GateOutcome(result: .refused, release: plan.newRelease, previous: plan.oldRelease, entries: log.entries,
                               message: "Cannot gate \(plan.releaseDirectory): \(reason). Nothing was changed.")
        }
        let old = plan.oldRelease
        log.record(steps.entry("plan", target: "release \(new)", outcome: .succeeded,
                               detail: "\(forward.link): \(previousLink) → \(newLink); healthy when \(plan.successes) consecutive rounds answer 2xx at "
                                  + "\(plan.path) within \(timeout.components.seconds)s"))
        if let failure = log.writeFailure {
            return GateOutcome(result: .refused, release: new, previous: old, entries: log.entries,
                               message: "the audit log cannot be written (\(failure)); nothing was changed")
        }

        // 1. Switch, 2. restart, 3. wait for N consecutive 2xx rounds.
        guard steps.switchLink(forward.link, to: newLink, step: "switch-release", log: log) else {
            return GateOutcome(result: .failed, release: new, previous: old, entries: log.entries,
                               message: "\(forward.link) could not be switched to \(newLink); nothing else was changed")
        }
        let switchedAt = Date()
        await steps.restart(forward.services, states: nil, log: log)
        let (counter, last) = await waitHealthy(plan)
        let evidence = counter.summary + ": " + last.map(\.evidence).joined(separator: " | ")
        log.record(steps.entry("verify", target: "release \(new)", verified: counter.satisfied ? "passed" : "failed", verification: evidence,
                               outcome: counter.satisfied ? .succeeded : .failed,
                               detail: counter.satisfied ? nil : "not healthy within \(timeout.components.seconds)s"))
        if counter.satisfied {
            return GateOutcome(result: .deployed, release: new, previous: old, health: counter.summary, lastRound: last, entries: log.entries,
                               message: "Release \(new) is live: \(forward.link) → \(newLink); \(evidence)")
        }

        // Why did it fail? Logs only since the switch: the old release's past is not the new one's.
        var diagnosisOptions = options
        diagnosisOptions.sinceSeconds = max(5, Int(Date().timeIntervalSince(switchedAt).rounded(.up)) + 2)
        let facts = await FactGatherer(host: host, options: diagnosisOptions).gather()
        let diagnosis = diagnose(facts)
        log.record(steps.entry("diagnose", target: "release \(new)", outcome: .succeeded, detail: diagnosis.line))
        let failedWhy = "Release \(new) did not become healthy within \(timeout.components.seconds)s (\(counter.summary)). Diagnosis: \(diagnosis.line)."

        // May the old release run on the database as it is now?
        guard let old else {
            return GateOutcome(result: .failed, release: new, previous: nil, health: counter.summary, lastRound: last, diagnosis: diagnosis,
                               entries: log.entries, message: failedWhy + " There is no previous release to go back to.")
        }
        let back = await RollbackPlanner(host: host, facts: facts).plan(requested: old, rootDirectory: forward.root)
        switch GateFallback.decide(schema: back.schema, planRefusal: back.refusal) {
        case let .blocked(reason):
            log.record(steps.entry("schema-guard", target: "release \(old)", argv: back.schema.command, outcome: .refused, detail: reason))
            return GateOutcome(result: .schemaBlocked, release: new, previous: old, health: counter.summary, lastRound: last,
                               diagnosis: diagnosis, schema: back.schema, entries: log.entries,
                               message: failedWhy + " Not switching back to release \(old): \(reason). Release \(new) is left in place; "
                                + "a person must decide (undo the migrations with release \(new), then `gwdoctor rollback`)."
                                + (back.schema.undo.isEmpty ? "" : " Undo: " + back.schema.undo.joined(separator: "; ")))
        case .switchBack:
            log.record(steps.entry("schema-guard", target: "release \(old)", argv: back.schema.command, outcome: .succeeded, detail: back.schema.reason))
        }

        // Switch back to exactly what the link was, restart, verify the old release.
        guard steps.switchLink(forward.link, to: previousLink, step: "switch-back", log: log) else {
            return GateOutcome(result: .failed, release: new, previous: old, health: counter.summary, lastRound: last, diagnosis: diagnosis,
                               schema: back.schema, entries: log.entries,
                               message: failedWhy + " \(forward.link) could not be switched back: it still points at release \(new). A person must look now.")
        }
        await steps.restart(forward.services, states: facts.services, log: log)
        let verifier = HealthVerifier(host: host, options: options, timeout: verifyTimeout)
        let again = await verifier.verify(routes: forward.routes)
        log.record(steps.entry("verify", target: "release \(old)", verified: again.passed ? "passed" : "failed", verification: again.evidence,
                               outcome: again.passed ? .succeeded : .failed))
        // The release is to blame only when the app itself did not answer (a proxy-only failure says nothing about it).
        let appFailed = last.contains { !$0.directHealthy }
        if appFailed {
            steps.mark(root: forward.root, release: new, reason: "did not become healthy within \(timeout.components.seconds)s after gwdoctor gate "
                + "switched to it (run \(run)); diagnosis: \(diagnosis.line)", log: log)
        }
        return GateOutcome(result: again.passed ? .rolledBack : .failed, release: new, previous: old, health: counter.summary, lastRound: last,
                           diagnosis: diagnosis, schema: back.schema, entries: log.entries,
                           message: failedWhy + " Switched \(forward.link) back to \(previousLink) and restarted: "
                            + (again.passed ? "release \(old) answers again. " : "release \(old) does NOT answer either; a person must look now. ")
                            + (appFailed ? "Release \(new) is marked bad." : "The app answered directly, so release \(new) is not marked bad."))
    }

    /// Probe rounds until the counter passes or the timeout ends; returns the last round too.
    private func waitHealthy(_ plan: GatePlan) async -> (GateHealthCounter, [GateRouteRound]) {
        let clock = ContinuousClock()
        let start = clock.now
        var counter = GateHealthCounter(required: plan.successes)
        var last: [GateRouteRound] = []
        while true {
            let remaining = timeout - start.duration(to: clock.now)
            last = await round(plan.probes.filter(\.isProbeable), remaining: remaining)
            counter.record(healthy: !last.isEmpty && last.allSatisfy(\.healthy))
            switch counter.decision(elapsed: start.duration(to: clock.now), timeout: timeout) {
            case .passed, .timedOut:
                return (counter, last)
            case .keepWaiting:
                let left = timeout - start.duration(to: clock.now)
                try? await Task.sleep(for: min(interval, max(left, .zero)))
            }
        }
    }

    /// One round: each route's upstream directly (all at once), then, if every one answered
    /// 2xx, the same path through the proxy.
    private func round(_ probes: [GateRouteProbe], remaining: Duration) async -> [GateRouteRound] {
        let deadline = min(GateProbePlanner.probeTimeout, max(remaining, .milliseconds(300)))
        var rounds: [GateRouteRound] = []
        for probe in probes {
            let direct = await withTaskGroup(of: (Int, ProbeResult).self) { group in
                for (index, var request) in probe.direct.enumerated() {
                    request.timeout = deadline
                    group.addTask { (index, await host.probe(request)) }
                }
                var results: [(Int, ProbeResult)] = []
                for await result in group { results.append(result) }
                return results.sorted { $0.0 < $1.0 }.map(\.1)
            }
            var via: ProbeResult?
            if direct.allSatisfy(GateProbePlanner.isSuccess), var request = probe.viaProxy {
                request.timeout = deadline
                via = await host.probe(request)
            }
            rounds.append(GateProbePlanner.judge(probe, direct: direct, viaProxy: via))
        }
        return rounds
    }
}
