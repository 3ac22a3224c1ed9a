import DoctorFacts

/// `truncated-response`: the upstream closed (or reset) the connection after nginx had the
/// whole response header and part of the body: `upstream prematurely closed connection
/// while reading upstream`, `recv() failed (104: Connection reset by peer) while reading
/// upstream`.
///
/// The client got the status the app sent (usually 200) with a cut body: no 502 at all, so
/// status counts look healthy while downloads break (`ERR_CONTENT_LENGTH_MISMATCH`, a
/// truncated JSON). The same words `while reading response header` are a worker that died
/// before answering (`premature-close`, a 502): that is a different failure.
public struct TruncatedResponseCheck: Check {
    public init() {}

    public let id = "truncated-response"
    public let title = "Responses were cut off mid-body by the upstream"
    public let layer = Layer.upstream
    public let rationale = """
        Not a 502, 504 or 500: the app answered with a complete header (the client saw its status, usually \
        200), then the connection closed before the body was complete, and nginx logged "upstream \
        prematurely closed connection while reading upstream" (or a reset "while reading upstream"). Clients \
        see broken downloads or truncated JSON while the status counts look healthy. The setting to look at \
        is the app server's worker lifetime while streaming: gunicorn --timeout (a sync worker streaming a \
        large body is killed mid-response), --max-requests, memory limits, or code that exits mid-stream.
        """
    public let fixText = """
        Find why the worker stopped mid-body: the app server's log at that time (WORKER TIMEOUT, SIGKILL, \
        OOM, an exception while streaming), a --timeout shorter than the longest download, a process killed \
        by a deploy; serve large files from nginx (X-Accel-Redirect) instead of the app.
        """
    public let precedence = 70

    /// A reset counts only when it happened after the header (`while reading upstream`).
    static func isMidBody(_ event: ProxyLogEvent) -> Bool {
        event.kind == .truncatedBody || (event.kind == .reset && event.message.contains("while reading upstream"))
    }

    public func run(_ facts: Facts) -> [Finding] {
        facts.routeEvents([.truncatedBody, .reset], where: Self.isMidBody).map { finding($0, facts: facts) }
    }

    private func finding(_ group: RouteEvents, facts: Facts) -> Finding {
        let route = group.route
        let count = RouteWording.windowCount(group.events, facts: facts)
        let paths = group.requestPaths()
        let timeline = FailureTimeline(failingNow: false, events: group.events, recovered: false, nowNote: nil,
                                       gatheredAt: facts.gatheredAt)
        let app = facts.appServer(serving: group.endpoint)
        // The worker deaths that premature-close pairs with closes before the header explain
        // closes mid-body just as well (a sync worker killed by --timeout while streaming).
        let kills = facts.services.filter { service in
            service.binds.contains { $0.endpoint.map { Facts.listener($0, accepts: group.endpoint) } ?? false }
                || (app != nil && service.pid == app?.masterPID)
        }.flatMap(\.kills).filter { !WorkerDeathCorrelation.isAbortedTimeout($0) }
        let paired = WorkerDeathCorrelation.pair(group.events, kills: kills, kernel: facts.kernelOOMKills, program: app?.kind)
            .filter { $0.kill != nil }
        var summary = "\(group.endpoint) closed the connection mid-body on \(ResponseWording.requests(count)) through \(route.label)"
            + "\(ResponseWording.pathsText(paths)): the clients got the app's status (not a 502) with a truncated body"
        if let cause = paired.last?.cause {
            switch cause {
            case .workerTimeout: summary += "; the worker was killed by \(app?.kind ?? "the app server")'s worker timeout while sending it"
            case .outOfMemory: summary += "; the worker was killed by the OOM killer while sending it"
            case .killedBySignal: summary += "; the worker was killed by a signal (SIGKILL) while sending it"
            case .unexplained, .workerTimeout500: break
            }
        }
        if let clock = timeline.lastClock { summary += "; last logged \(clock)" }

        var evidence = RouteWording.logEvidence(group.events, facts: facts)
        for pair in paired.suffix(2) {
            if let kill = pair.kill { evidence.append(Evidence(kind: .log, text: kill.line, source: kill.source)) }
        }
        evidence.append(RouteWording.passEvidence(route))
        if let app {
            var text = "\(app.label) serves \(group.endpoint)"
            if let timeout = app.timeoutSeconds { text += ", worker timeout \(timeout) s" }
            evidence.append(Evidence(kind: .process, text: text, source: "ps -o args= -p \(app.masterPID)"))
        }
        let path = paths.first ?? "/"
        var fix = [
            "Read the app server's log at \(timeline.lastClock ?? "the time of the lines"): a worker killed or exiting mid-response "
                + "(gunicorn WORKER TIMEOUT / 'was sent SIGKILL', uWSGI HARAKIRI / 'DAMN ! worker … died', an OOM kill) or an exception while streaming",
            "Reproduce and measure: curl -s -o /dev/null -w '%{http_code} %{size_download}\\n' \(HeaderTooBigCheck.curlTarget(group.endpoint, path: path)) "
                + "(compare the size with the Content-Length the app announced)",
        ]
        if app?.kind == "gunicorn" {
            let timeout = app?.limits.timeout.map { $0.isDefault ? "\($0.value) s by default" : "\($0.value) s, \($0.source)" }
                ?? app?.timeoutSeconds.map { "\($0) s" } ?? "30 s by default"
            fix.append("A sync gunicorn worker must finish the whole body within --timeout (\(timeout)): "
                       + "raise it for slow downloads, or let nginx serve large files (X-Accel-Redirect)")
        }
        return Finding(check: id, layer: layer, severity: .warning, summary: summary, route: route.label,
                       evidence: evidence, fix: fix)
    }
}
