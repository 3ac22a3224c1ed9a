import DoctorFacts

/// `backlog-full`: the app server's listen queue overflows: every worker is busy and new
/// connections pile up until the kernel refuses them.
///
/// - unix socket: nginx logs `connect() to unix:/P failed (11: Resource temporarily
///   unavailable)` (502); a non-blocking direct probe gets EAGAIN.
/// - TCP on this machine: a full accept queue drops the handshake, so nginx logs
///   `upstream timed out (110: …) while connecting to upstream` (504) and a direct probe
///   times out while connecting. (To a remote host the same line is more often a firewall
///   or a dead host: not counted here.)
/// - the listener table shows `acceptQueue` connections waiting (at least
///   `queueThreshold`): a warning even when nothing has failed yet.
public struct BacklogFullCheck: Check {
    public init() {}

    public let id = "backlog-full"
    public let title = "The app server's listen backlog is full"
    public let layer = Layer.capacity
    public let rationale = """
        When every worker is busy, new connections wait in the listening socket's accept queue; when \
        that queue (the backlog) is full, a unix socket refuses at once with EAGAIN (nginx: \
        `(11: Resource temporarily unavailable)`, 502) and a TCP socket drops the handshake until \
        nginx gives up (`upstream timed out (110) while connecting to upstream`, 504). The app server \
        is running and may look idle a minute later. Critical when a probe meets the full queue now; \
        a warning from log lines or a deep queue in the listener table, "recovered since HH:MM" when \
        the probes now succeed.
        """
    public let fixText = """
        Give it more capacity: more workers ((2 × cores) + 1 is the classic gunicorn baseline, a hint \
        not a law) or threaded/async workers for slow I/O; a higher --backlog (gunicorn default 2048, \
        capped by net.core.somaxconn) for short bursts; and find the slow requests that hold the workers.
        """
    public let precedence = 60

    /// Connections waiting in a listener's accept queue at gather time from which the queue is called deep.
    static let queueThreshold = 16

    public func run(_ facts: Facts) -> [Finding] {
        facts.allTargets().compactMap { use in check(use, facts: facts) }
    }

    private func check(_ use: TargetUse, facts: Facts) -> Finding? {
        guard let route = use.firstRoute else { return nil }
        let state = facts.state(of: use.endpoint)
        let isTCP: Bool
        let local: Bool
        switch use.endpoint {
        case .unix:
            (isTCP, local) = (false, true)
        case let .tcp(host, _):
            (isTCP, local) = (true, HostText.isLoopback(host) || state.listening == true)
        }
        var events = facts.failureEvents([.backlogFull], at: use.endpoint)
        if isTCP && local { events = LogMatch.chronological(events + facts.failureEvents([.connectTimeout], at: use.endpoint)) }
        let deepQueues = facts.listenerTableKnown
            ? state.listeners.filter { ($0.acceptQueue ?? 0) >= Self.queueThreshold } : []
        var failingNow = false
        switch state.failure {
        case .backlogFull?: failingNow = true
        case let .timedOut(phase)? where isTCP && local && phase.contains("connect"): failingNow = true
        default: break
        }
        guard failingNow || !events.isEmpty || !deepQueues.isEmpty else { return nil }

        let routes = use.allRoutes
        let waiting = deepQueues.compactMap(\.acceptQueue).max()
        let nowNote = waiting.map { "\($0) connections wait in its accept queue now" }
            ?? (state.servingNow ? "it answers now" : "could not check now: \(unknownNowReason(state, facts: facts))")
        let timeline = FailureTimeline(failingNow: failingNow, events: events,
                                       recovered: deepQueues.isEmpty && facts.probesProveWorking([use.endpoint], routes: routes),
                                       nowNote: nowNote, gatheredAt: facts.gatheredAt)
        let app = facts.appServer(serving: use.endpoint)

        var evidence = RouteWording.useEvidence(use)
        for listener in deepQueues.prefix(2) {
            evidence.append(Evidence(kind: .listener,
                                     text: "\(listener.acceptQueue ?? 0) connections wait in the accept queue of \(listener.endpoint)",
                                     source: RouteWording.listenerCommand(listener.endpoint) + "  (Recv-Q: waiting, Send-Q: backlog)"))
        }
        if let probe = state.failedProbe ?? state.responded { evidence.append(RouteWording.probeEvidence(probe)) }
        evidence += RouteWording.proxyProbeEvidence(routes, facts: facts)
        evidence += RouteWording.logEvidence(events, facts: facts)
        if let app { evidence.append(Evidence(kind: .process, text: Self.capacityText(app), source: "ps -o args= -p \(app.masterPID)")) }

        let phrase = RouteWording.routesPhrase(routes)
        let summary: String
        if failingNow {
            summary = "The listen backlog of \(use.endpoint) is full (\(phrase)): a direct connect \(state.failure.map(String.init(describing:)) ?? "failed")"
                + (app.map { "; \($0.label) has every worker busy" } ?? "")
        } else if events.isEmpty, let waiting {
            summary = "\(waiting) connections wait in the accept queue of \(use.endpoint) (\(phrase)): every worker is busy"
                + (app.map { " (\($0.label))" } ?? "")
        } else {
            let kinds = Set(events.map(\.kind))
            let what = [kinds.contains(.backlogFull) ? "(11: Resource temporarily unavailable)" : nil,
                        kinds.contains(.connectTimeout) ? "a connect timeout" : nil].compactMap { $0 }.joined(separator: " or ")
            let count = RouteWording.windowCount(events, facts: facts)
            summary = "The listen backlog of \(use.endpoint) overflowed for \(phrase): \(count) connect\(count == 1 ? "" : "s") failed with \(what)"
                + timeline.qualifier
        }
        var fix: [String] = []
        let kind = app?.kind ?? "the app server"
        if kind == "uwsgi" {
            fix.append("Add workers (uWSGI --processes/--threads) and raise its queue (--listen, default 100), which net.core.somaxconn caps: sysctl net.core.somaxconn")
        } else {
            fix.append("Add workers (\(kind == "gunicorn" ? "gunicorn --workers N" : "more workers for \(kind)"); (2 × cores) + 1 is the classic gunicorn baseline, a hint not a law), or threaded/async workers when requests wait on I/O")
            fix.append("For short bursts raise the backlog (gunicorn --backlog, default 2048), which net.core.somaxconn caps: sysctl net.core.somaxconn")
        }
        fix.append("Find the slow requests holding the workers: log $request_time and $upstream_response_time in nginx's access log, and check the app's slowest endpoints")
        return Finding(check: id, layer: layer, severity: timeline.severity, summary: summary, route: route.label,
                       evidence: evidence, fix: fix)
    }

    /// `gunicorn pid 412 (app): 1 worker, --backlog 4`.
    static func capacityText(_ app: AppServer) -> String {
        var parts = ["\(app.workerPIDs.count) worker\(app.workerPIDs.count == 1 ? "" : "s") running"]
        for flag in ["--workers", "-w", "--threads", "--backlog", "--processes", "--listen"] {
            if let value = CommandLineOption.value(flag, in: app.cmdline) { parts.append("\(flag) \(value)") }
        }
        return "\(app.label): " + parts.joined(separator: ", ")
    }
}
