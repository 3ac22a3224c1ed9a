import DoctorFacts
import Foundation

/// `premature-close`: a worker died in the middle of a request. nginx logs `upstream
/// prematurely closed connection while reading response header from upstream` (or `recv()
/// failed (104: Connection reset by peer)` in the same phase) and answers 502; the app
/// server's own log, within seconds of that line, says what killed the worker:
///
/// - `worker-timeout`: the app server's own timeout. Gunicorn's master logs `WORKER TIMEOUT
///   (pid:N)`, sends SIGABRT, and when the worker is stuck where Python cannot run the abort
///   (C code, a C-level lock, a blocking call that retries) SIGKILLs it: `was sent SIGKILL!`.
///   uWSGI logs `*** HARAKIRI ON WORKER N (pid: P …) ***` and kills it. The finding names the
///   `--timeout`/`harakiri` value and where it is set.
/// - `out-of-memory`: the kernel's OOM killer (`oom-killed` reports the kill itself and is
///   the verdict when both fire; this finding ties it to the 502s).
/// - `killed-by-signal`: a SIGKILL with no timeout before it and no OOM line in the kernel
///   log: someone or something killed it (`kill -9`, a watchdog, a deploy script).
/// - `unexplained`: no worker death near the close in any log read (a segfault in C code,
///   `os._exit`, or something other than the app server answering there).
///
/// Look-alikes: a Gunicorn sync worker that times out in *Python* code is not a premature
/// close: the abort raises `SystemExit` in the view and Gunicorn answers **500** itself, nginx
/// passes it on and logs nothing. This check reports that too (cause `worker-timeout-500`,
/// layer `app`: not a gateway failure) so the timeout lines are not lost; the access-log
/// check `app-returned-5xx` counts the 500s. A proxy timeout (`upstream timed out`, **504**)
/// is nginx giving up on a live worker (`upstream-timeout`); a close *while reading the
/// body* is a truncated 200 (`truncated-response`).
///
/// Layer `capacity`: the app server is up and its master replaces the worker; a request ran
/// into a limit of time or memory (or a killer outside it), which is what the layer means.
public struct PrematureCloseCheck: Check {
    public init() {}

    public let id = "premature-close"
    public let title = "A worker died in the middle of a request (nginx: upstream prematurely closed connection)"
    public let layer = Layer.capacity
    public let rationale = """
        A 502 with "upstream prematurely closed connection while reading response header" means the \
        worker serving the request died before answering: killed by the app server's own timeout \
        (Gunicorn WORKER TIMEOUT then SIGKILL, uWSGI HARAKIRI), by the OOM killer, or by a kill -9; \
        the app server's log within seconds of nginx's line says which. A 504 is nginx giving up on a \
        live worker (proxy_read_timeout), and a 500 is an answer: a Gunicorn sync worker that times \
        out in Python code gets Gunicorn's own 500, not a 502. The one setting to look at is the app \
        server's worker timeout (gunicorn --timeout, uWSGI harakiri) against how long the request runs.
        """
    public let fixText = """
        Find the request that ran (nginx's line names it) and why it did not finish: code stuck in C, \
        a lock, a slow query. Raise gunicorn --timeout / uWSGI harakiri only above the request's real \
        duration, together with proxy_read_timeout, or move the work to a background job; for OOM kills \
        see oom-killed; for an unexplained SIGKILL find who sends it.
        """
    public let precedence = 50

    public func run(_ facts: Facts) -> [Finding] {
        var findings: [Finding] = []
        for use in facts.allTargets() {
            guard let route = use.firstRoute else { continue }
            let events = facts.failureEvents([.prematureClose, .reset], at: use.endpoint)
                .filter(WorkerDeathCorrelation.isHeaderPhaseClose)
            guard !events.isEmpty else { continue }
            let app = facts.appServer(serving: use.endpoint)
            let services = servingServices(use.endpoint, app: app, facts: facts)
            let kills = services.flatMap(\.kills).filter { !WorkerDeathCorrelation.isAbortedTimeout($0) }
            let pairs = WorkerDeathCorrelation.pair(events, kills: kills, kernel: facts.kernelOOMKills,
                                                    program: app?.kind ?? services.first.flatMap(program(of:)))
            findings.append(finding(use: use, route: route, pairs: pairs, app: app, services: services, facts: facts))
        }
        findings += abortedTimeoutFindings(facts)
        return findings
    }

    // MARK: Premature closes

    private func finding(use: TargetUse, route: Route, pairs: [WorkerDeathPair], app: AppServer?,
                         services: [ManagedService], facts: Facts) -> Finding {
        let matched = pairs.filter { $0.kill != nil }
        let cause = dominantCause(matched) ?? .unexplained
        let service = services.first
        let kind = app?.kind ?? service.flatMap(program(of:)) ?? "the app server"
        let routes = use.allRoutes
        let phrase = RouteWording.routesPhrase(routes)
        let events = pairs.map(\.event)
        let count = RouteWording.windowCount(events, facts: facts)
        let timeline = FailureTimeline(failingNow: false, events: events,
                                       recovered: facts.probesProveWorking([use.endpoint], routes: routes),
                                       nowNote: facts.state(of: use.endpoint).servingNow ? "it answers now" : nil,
                                       gatheredAt: facts.gatheredAt)
        let requests = count == 1 ? "1 request" : "\(count) requests"
        let timeout = TimeoutSetting.find(kind: kind, app: app, service: service)

        var summary = "\(requests) to \(use.endpoint) (\(phrase)) got 502: "
        switch cause {
        case .workerTimeout:
            let what = kind == "uwsgi" ? "uWSGI's harakiri (HARAKIRI ON WORKER)" : "\(kind)'s worker timeout (WORKER TIMEOUT, then SIGKILL)"
            summary += "the worker died mid-request, killed by \(what)"
            if let timeout { summary += " at \(timeout.text), set in \(timeout.place)" }
        case .outOfMemory:
            summary += "the worker died mid-request, killed by the kernel's OOM killer (see oom-killed)"
        case .killedBySignal:
            summary += "the worker died mid-request, killed by a signal nobody explains (SIGKILL with no worker timeout before it"
                + (facts.kernelOOMKills == nil ? "; the kernel log could not be read, so the OOM killer is not ruled out)"
                    : " and no OOM kill in the kernel log): someone or something killed it")
        case .unexplained, .workerTimeout500:
            summary += "the upstream closed the connection before answering, and no worker death in "
                + (services.isEmpty ? "a log gwdoctor found" : "\(kind)'s log") + " lies within \(Int(WorkerDeathCorrelation.seconds)) s of it"
        }
        let others = Dictionary(grouping: matched, by: \.cause).filter { $0.key != cause }
        if !others.isEmpty {
            summary += " (also: " + others.sorted { $0.key.rawValue < $1.key.rawValue }
                .map { "\($0.value.count) \($0.key.rawValue)" }.joined(separator: ", ") + ")"
        }
        if matched.count < pairs.count, cause != .unexplained {
            summary += "; \(pairs.count - matched.count) of the closes have no worker death near them"
        }
        summary += timeline.qualifier

        var evidence: [Evidence] = []
        // Both sides of the most recent deaths: nginx's line, then the app server's.
        for pair in (matched.isEmpty ? pairs : matched).suffix(2) {
            evidence.append(Evidence(kind: .log, text: pair.event.line, source: pair.event.source))
            if let kill = pair.kill { evidence.append(Evidence(kind: .log, text: kill.line, source: kill.source)) }
            if let kernel = pair.kernel, kernel != pair.kill { evidence.append(Evidence(kind: .log, text: kernel.line, source: kernel.source)) }
        }
        if count > min(2, pairs.count), let first = events.first {
            evidence.append(Evidence(kind: .log, text: "\(count) such lines in the window, first at \(LogClock.text(for: first, gatheredAt: facts.gatheredAt))",
                                     source: first.source))
        }
        if cause == .workerTimeout, let timeout {
            evidence.append(Evidence(kind: timeout.isDefault ? .process : .config, text: timeout.text, source: timeout.source))
        }
        if cause == .unexplained {
            let untimed = services.flatMap(\.kills).filter { $0.time == nil }
            for kill in untimed.suffix(2) {
                evidence.append(Evidence(kind: .log, text: kill.line + " (logged without a time: not tied to the closes)", source: kill.source))
            }
            let logs = services.flatMap(\.logFiles)
            evidence.append(Evidence(kind: .file, text: logs.isEmpty ? "no log of the app server behind \(use.endpoint) was found"
                                                                     : "app-server logs read: " + logs.joined(separator: ", "),
                                     source: logs.first))
        }
        return Finding(check: id, layer: layer, severity: .warning, summary: summary, route: route.label,
                       evidence: evidence, fix: fix(cause, kind: kind, timeout: timeout, service: service, pairs: matched),
                       cause: cause.rawValue)
    }

    /// The cause most pairs share; the most recent one's on a tie.
    private func dominantCause(_ pairs: [WorkerDeathPair]) -> WorkerDeathCause? {
        let counts = Dictionary(grouping: pairs, by: \.cause).mapValues(\.count)
        guard let best = counts.values.max() else { return nil }
        return pairs.last { counts[$0.cause] == best }?.cause
    }

    private func fix(_ cause: WorkerDeathCause, kind: String, timeout: TimeoutSetting?, service: ManagedService?,
                     pairs: [WorkerDeathPair]) -> [String] {
        // Quoted like a log line: the path without its query (tokens), not kilobytes long.
        let request = pairs.last?.event.request.map { " (\(LogLineQuote.quote($0, limit: 200)))" } ?? ""
        switch cause {
        case .workerTimeout:
            let setting = kind == "uwsgi" ? "harakiri" : "--timeout"
            return [
                "Find why the request\(request) ran past \(timeout.map { "\($0.text) (\($0.place))" } ?? "the worker timeout"): code stuck in C or on a lock, a slow query, a call to a service that does not answer",
                "If it is legitimately that slow, raise \(setting) above its real duration and proxy_read_timeout with it, or move the work to a background job; do not raise it blindly",
                kind == "uwsgi" ? "uWSGI logs the request it killed right after HARAKIRI ON WORKER (HARAKIRI [core 0] … GET /path)"
                    : "A timeout in Python code would have been Gunicorn's own 500; a SIGKILL after WORKER TIMEOUT means the worker could not run the abort (C code)",
            ]
        case .outOfMemory:
            return ["See oom-killed: find what grows (ps -o pid,rss,cmd --ppid MASTER_PID), fewer workers or --max-requests, more memory; never raise the timeout for this"]
        case .killedBySignal:
            return [
                "Find who sends SIGKILL to the workers: a deploy script (pkill -9, kill -9), a watchdog, earlyoom or systemd-oomd, a container runtime",
                "Check the kernel log for the OOM killer: dmesg -T | grep -i 'killed process'",
                "Record the sender next time: auditctl -a always,exit -F arch=b64 -S kill -F a1=9 -k worker-kill; ausearch -k worker-kill",
            ]
        case .unexplained, .workerTimeout500:
            var steps = ["Read the app server's log at the time of nginx's line for a crash (Worker (pid:N) was sent SIGSEGV!, exited with code, Segmentation fault)"]
            if let service { steps.append("Its logs: " + (service.logFiles.isEmpty ? "none found; point gunicorn --error-logfile or the manager's stderr log somewhere readable" : service.logFiles.joined(separator: ", "))) }
            steps.append("Check what answers on the target: ss -ltnp / ss -lxp, and that it is the app server you expect")
            return steps
        }
    }

    // MARK: Gunicorn's own 500 after a worker timeout

    /// Gunicorn `WORKER TIMEOUT` lines no SIGKILL followed: the abort ended a sync worker in
    /// Python code and Gunicorn answered 500 itself. Layer `app`: nginx passed an answer on.
    private func abortedTimeoutFindings(_ facts: Facts) -> [Finding] {
        facts.services.compactMap { service in
            let aborted = service.kills.filter(WorkerDeathCorrelation.isAbortedTimeout)
            guard !aborted.isEmpty else { return nil }
            let use = facts.allTargets().first { use in
                servingServices(use.endpoint, app: facts.appServer(serving: use.endpoint), facts: facts).contains(service)
            }
            let app = use.flatMap { facts.appServer(serving: $0.endpoint) }
                ?? facts.localAppServers.first { $0.masterPID == service.pid }
            let kind = app?.kind ?? program(of: service) ?? "gunicorn"
            let timeout = TimeoutSetting.find(kind: kind, app: app, service: service)
            let times = aborted.count == 1 ? "1 request" : "\(aborted.count) requests"
            var summary = "\(kind) answered 500 itself to \(times): its worker timeout"
            if let timeout { summary += " (\(timeout.text), set in \(timeout.place))" }
            summary += " aborted a sync worker running Python code (WORKER TIMEOUT, no SIGKILL after it); "
                + "nginx passed the 500 on, so this is not a gateway failure and not a premature close (nginx's error log has no line for it)"
            if use == nil, !facts.routes.isEmpty { summary += " (no route diagnosed here points at \(ServiceFindings.name(service)))" }
            var evidence = aborted.suffix(3).map { Evidence(kind: .log, text: $0.line, source: $0.source) }
            if let timeout { evidence.append(Evidence(kind: timeout.isDefault ? .process : .config, text: timeout.text, source: timeout.source)) }
            let fix = [
                "Find the slow request: \(kind)'s log names it right after WORKER TIMEOUT (Error handling request GET /path, with the traceback of where the view was)",
                "Make that view fast or move the work to a background job; raise --timeout (and proxy_read_timeout with it) only above its real duration",
                "With gthread workers --timeout does not end slow requests (the worker's heartbeat goes on): choose the worker class with that in mind",
            ]
            return Finding(check: id, layer: .app, severity: .warning, summary: summary, route: use?.firstRoute?.label,
                           evidence: evidence, fix: fix, cause: WorkerDeathCause.workerTimeout500.rawValue)
        }
    }

    // MARK: Which service

    /// Services whose binds accept `endpoint`, or whose main pid is the app server serving it.
    private func servingServices(_ endpoint: Endpoint, app: AppServer?, facts: Facts) -> [ManagedService] {
        facts.services.filter { service in
            service.binds.contains { $0.endpoint.map { Facts.listener($0, accepts: endpoint) } ?? false }
                || (app != nil && service.pid == app?.masterPID)
        }
    }

    /// `gunicorn`, `uwsgi`, … from a service's command.
    private func program(of service: ManagedService) -> String? {
        for word in service.command.prefix(4) {
            let name = (word as NSString).lastPathComponent
            for known in ["gunicorn", "uwsgi", "uvicorn", "daphne", "hypercorn"] where name.hasPrefix(known) { return known }
        }
        return nil
    }
}
