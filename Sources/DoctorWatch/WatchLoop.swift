import DoctorChecks
import DoctorFacts
import DoctorHost
import DoctorRemedy
import Foundation
import Logging
import Synchronization

/// The loop behind `gwdoctor watch`.
///
/// Each tick probes every route (the upstream directly, then through the proxy, with
/// deadlines) and nothing else: routes are read again only when a proxy config file's mtime or
/// a master pid changes (`RouteFingerprint`). The full diagnosis runs only on an edge to
/// failing (`HealthTransition`); it writes the incident report and, with `autoFix`, hands its
/// plan to `RemedyExecutor` (guards, restart budget, audit log, verification — exactly what
/// `fix --apply --yes` does). Incidents and fixes run in one background task at a time, so the
/// probes (and `/metrics`) go on while a restart is being verified, and two fixes never overlap.
public final class WatchLoop: Sendable {
    /// What the operator chose.
    public struct Settings: Sendable {
        public var interval: Duration = .seconds(10)
        /// Deadline of each probe (connect + response head).
        public var probeTimeout: Duration = .milliseconds(1500)
        public var autoFix = false
        public var stateDirectory: String = StateDirectory.defaultPath
        /// Which proxy config; probing and the config test are set per use.
        public var gatherOptions = GatherOptions()
        public var verifyTimeout: Duration = HealthVerifier.defaultTimeout
        /// While still failing after a fix, the next fix waits at least this long (the restart
        /// budget is the hard limit; this keeps the audit log from a refusal every tick).
        public var fixRetryDelay: Duration = .seconds(60)
        /// After the routes are read and after each incident or fix, give back the code pages
        /// only those used (`ResidentPageRelease`), so idle RSS is what a probe round needs.
        public var releaseIdlePages = true

        public init() {}
    }

    public let host: any DoctorHost.Host
    public let actions: (any HostActions)?
    public let settings: Settings
    public let stop: StopSignal
    private let logger: Logger
    private let state = Mutex(WatchMetrics())
    private let background = Mutex<Task<Void, Never>?>(nil)
    private let lastFixEnded = Mutex<ContinuousClock.Instant?>(nil)
    /// An incident diagnosis or a fix is running.
    private let busy = Mutex(false)

    public init(host: any DoctorHost.Host, actions: (any HostActions)?, settings: Settings, stop: StopSignal,
                logger: Logger = Logger(label: "gwdoctor.watch")) {
        self.host = host
        self.actions = actions
        self.settings = settings
        self.stop = stop
        self.logger = logger
    }

    /// A copy of the metrics now (what `/metrics` renders).
    public var metrics: WatchMetrics { state.withLock { $0 } }

    /// The `/metrics` and `/healthz` answers.
    public func respond(path: String) -> (status: Int, contentType: String, body: String) {
        switch path {
        case "/metrics":
            var shown = metrics
            shown.process = ProcessFigures.current()
            return (200, PrometheusRenderer.contentType, PrometheusRenderer.render(shown))
        case "/healthz":
            // The watcher's own health: its loop has completed a round recently. Not the site's (that is /metrics).
            let last = metrics.lastCheckTimestamp
            let stale = Double(settings.interval.components.seconds) * 3 + 30
            if let last, Date().timeIntervalSince1970 - last <= stale { return (200, "text/plain; charset=utf-8", "ok\n") }
            return (503, "text/plain; charset=utf-8", last == nil ? "starting\n" : "no probe round in \(Int(stale)) s\n")
        default:
            return (404, "text/plain; charset=utf-8", "not found: try /metrics or /healthz\n")
        }
    }

    /// Runs until `stop` is requested; the tick under way is finished, and so is an incident or
    /// fix in flight (a restart left half verified helps nobody).
    public func run() async {
        var routes: [Route] = []
        var proxies: [ProxyInstance] = []
        var fingerprint: RouteFingerprint?
        var transition = HealthTransition()
        var warnedNoRoutes = false
        var unreadable: [Unavailable] = []
        let clock = ContinuousClock()
        while !stop.isRequested {
            let tickStart = clock.now
            if fingerprint == nil || fingerprint!.refreshed() != fingerprint! || routes.isEmpty && fingerprint != nil {
                let read = await readRoutes()
                // Said once per change, not every tick while nothing is found.
                if read.routes.count != routes.count || read.proxies.count != proxies.count || fingerprint == nil {
                    logger.info("watching \(read.routes.count) route\(read.routes.count == 1 ? "" : "s") of \(read.proxies.count) prox\(read.proxies.count == 1 ? "y" : "ies")")
                }
                (routes, proxies) = (read.routes, read.proxies)
                unreadable = read.unavailable
                fingerprint = RouteFingerprint.current(routes: routes, proxies: proxies)
                state.withLock { $0.routesReloadsTotal += 1 }
                // With no routes the read repeats every tick and needs the same pages each time:
                // giving them back would only make every tick fault them in again.
                if !routes.isEmpty || !warnedNoRoutes { releaseIdlePages() }
            }
            let detectedAt = Date()
            let probes = routes.isEmpty ? [] : await RouteProbeRound(host: host, timeout: settings.probeTimeout).probe(routes, proxies: proxies)
            var probed = Facts(gatheredAt: detectedAt)
            probed.routes = routes
            probed.routeProbes = probes
            let health = HealthVerifier.evaluate(probed, routes: [])
            let elapsed = tickStart.duration(to: clock.now)
            let edge: HealthTransition.Edge?
            if health.isEmpty {
                if !warnedNoRoutes {
                    // Why nothing was found (a mistyped --nginx-conf, an unreadable config) is the operator's next step.
                    let why = unreadable.prefix(3).map { "\($0.what): \($0.reason)" }.joined(separator: "; ")
                    logger.warning("no proxied routes found to probe; reading the proxy config again every interval\(why.isEmpty ? "" : " (\(why))")")
                }
                warnedNoRoutes = true
                edge = nil
            } else {
                warnedNoRoutes = false
                edge = transition.record(healthy: health.allSatisfy(\.answers))
            }
            state.withLock { metrics in
                metrics.probes = probes.flatMap(WatchMetrics.Probe.samples(of:))
                metrics.routesUp = Dictionary(health.map { ($0.route, $0.answers) }, uniquingKeysWith: { $0 && $1 })
                metrics.failing = transition.state == .failing
                metrics.checksTotal += 1
                metrics.lastCheckTimestamp = Date().timeIntervalSince1970
                metrics.lastCheckDurationSeconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                if edge == .startedFailing { metrics.incidentsTotal += 1 }
                if edge == .recovered { metrics.recoveriesTotal += 1 }
            }
            let failing = health.filter { !$0.answers }
            switch edge {
            case .startedFailing:
                logger.error("site failing: \(failing.map(\.evidence).joined(separator: " | "))")
                startBackground { await self.incident(detectedAt: detectedAt, failing: failing.map(\.evidence)) }
            case .recovered:
                logger.notice("site recovered: all \(health.count) route\(health.count == 1 ? "" : "s") answer directly and through the proxy")
            case nil:
                if transition.state == .failing, settings.autoFix, canRetryFix(clock: clock) {
                    startBackground { await self.retryFix() }
                }
            }
            await stop.sleep(for: settings.interval - tickStart.duration(to: clock.now))
        }
        let pending = background.withLock { $0 }
        await pending?.value
    }

    /// Starts `work` unless an incident or fix is already in flight (then the edge is only counted).
    private func startBackground(_ work: @escaping @Sendable () async -> Void) {
        let started = busy.withLock { busy in
            if busy { return false }
            busy = true
            return true
        }
        guard started else {
            logger.notice("an incident diagnosis or fix is still running; not starting another")
            return
        }
        let task = Task {
            await work()
            self.releaseIdlePages()
            self.busy.withLock { $0 = false }
        }
        background.withLock { $0 = task }
    }

    private func releaseIdlePages() {
        guard settings.releaseIdlePages, let released = ResidentPageRelease.releaseIdlePages() else { return }
        logger.debug("released \(released.bytes / 1024) KiB resident in \(released.mappings) read-only file mappings")
    }

    private func canRetryFix(clock: ContinuousClock) -> Bool {
        guard let ended = lastFixEnded.withLock({ $0 }) else { return false }
        return ended.duration(to: clock.now) >= settings.fixRetryDelay
    }

    /// Routes and proxies only (no logs, services or probes): what a tick needs.
    private func readRoutes() async -> (routes: [Route], proxies: [ProxyInstance], unavailable: [Unavailable]) {
        var options = settings.gatherOptions
        options.forDiagnosis = false
        options.runConfigTest = false
        options.resolveCompiledPaths = false
        options.probe = false
        let facts = await FactGatherer(host: host, options: options).gather()
        return (facts.routes, facts.proxies, facts.unavailable)
    }

    /// The full diagnosis, as `diagnose` runs it (config test and probes included).
    private func diagnose(sinceSeconds: Int? = nil) async -> (Facts, Diagnosis) {
        var options = settings.gatherOptions
        options.forDiagnosis = true
        options.runConfigTest = true
        options.probe = true
        if let sinceSeconds { options.sinceSeconds = sinceSeconds }
        let facts = await FactGatherer(host: host, options: options).gather()
        return (facts, VerdictRanker.diagnose(facts))
    }

    private func incident(detectedAt: Date, failing: [String]) async {
        let (facts, diagnosis) = await diagnose()
        let report = Report(status: diagnosis.status, verdict: diagnosis.verdict, findings: diagnosis.findings,
                            routes: facts.routes.map(RouteRow.init), unavailable: facts.unavailable).redacted()
        let verdict = report.verdict
        let named = "\(report.status.rawValue) \(verdict.layer.rawValue)/\(verdict.check ?? "no-check")"
            + (verdict.cause.map { " (\($0))" } ?? "")
        do {
            let paths = try IncidentWriter(stateDirectory: settings.stateDirectory)
                .write(.init(detectedAt: detectedAt, failingRoutes: failing, report: report))
            logger.error("incident: \(named): \(verdict.summary) — report \(paths.first ?? "")")
        } catch {
            logger.error("incident: \(named): \(verdict.summary) — the report could not be written: \(error)")
        }
        if settings.autoFix { await fix(facts: facts, diagnosis: diagnosis) }
    }

    private func retryFix() async {
        logger.notice("still failing; diagnosing again for another fix")
        let (facts, diagnosis) = await diagnose()
        await fix(facts: facts, diagnosis: diagnosis)
    }

    /// `fix --apply --yes`: the planner's plan, through the executor's guards, budget and audit log.
    private func fix(facts: Facts, diagnosis: Diagnosis) async {
        defer { lastFixEnded.withLock { $0 = ContinuousClock().now } }
        guard let actions else {
            logger.warning("auto-fix: this host cannot be changed (a snapshot); nothing applied")
            return
        }
        let shown = Report(status: diagnosis.status, verdict: diagnosis.verdict, findings: diagnosis.findings,
                           routes: [], unavailable: []).redacted()
        let plan = RemedyPlanner.plan(facts: facts, status: diagnosis.status, verdict: shown.verdict, findings: shown.findings)
        guard !plan.automaticSteps.isEmpty else {
            let manual = plan.manualSteps.count
            logger.warning("auto-fix: nothing automatic to do (\(manual) manual step\(manual == 1 ? "" : "s"); run `gwdoctor fix` to see them)")
            return
        }
        var options = settings.gatherOptions
        options.probe = true
        let directory = StateDirectory(settings.stateDirectory)
        let executor = RemedyExecutor(host: actions, options: options,
                                      verifier: HealthVerifier(host: actions, options: options, timeout: settings.verifyTimeout),
                                      budget: RestartBudget(directory: directory), audit: AuditLog(directory: directory),
                                      auditCommand: "watch")
        let outcome = await executor.execute(plan)
        state.withLock { metrics in
            for result in outcome.results where result.outcome != .manual && result.outcome != .skipped {
                metrics.actions[.init(kind: result.kind, outcome: result.outcome.rawValue), default: 0] += 1
            }
        }
        for result in outcome.results where result.outcome != .manual {
            let line = "auto-fix: \(result.kind) \(result.outcome.rawValue): \(result.summary)"
                + (result.detail.map { " — \($0)" } ?? "")
            if result.outcome == .succeeded { logger.notice("\(line)") } else { logger.error("\(line)") }
        }
        if let failure = outcome.auditFailure { logger.error("auto-fix: audit log not writable, nothing more ran: \(failure)") }
    }
}
