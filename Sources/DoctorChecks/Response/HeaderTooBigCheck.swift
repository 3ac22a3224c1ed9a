import DoctorFacts

/// `header-too-big`: nginx got a response whose header did not fit its header buffer
/// (`proxy_buffer_size`, `uwsgi_buffer_size`, … : one memory page, 4k on x86-64, unless
/// set) and answered 502 itself: `upstream sent too big header while reading response
/// header from upstream`.
///
/// Unlike the connection failures (refused, reset, premature close), the app is up and
/// answered; unlike `app-returned-5xx` the 502 is nginx's. It usually hits only some
/// requests (a page setting a big cookie, a long `Content-Security-Policy` or `Link`
/// header), so it is a warning unless the probe through the proxy fails the same way.
public struct HeaderTooBigCheck: Check {
    public init() {}

    public let id = "header-too-big"
    public let title = "The upstream's response header is larger than nginx's header buffer"
    public let layer = Layer.proxy
    public let rationale = """
        A 502 whose error-log line is `upstream sent too big header while reading response header from \
        upstream`: the app answered, but its status line and headers did not fit the one buffer nginx reads \
        them into, so nginx dropped the response and made the 502 itself. That is not a 504 (nothing timed \
        out) and not the app's own 500/502 (the access log's $upstream_status is 502 only because nginx \
        refused the answer). The setting to look at is proxy_buffer_size (uwsgi_buffer_size for uwsgi_pass; \
        default one page, 4k), together with proxy_buffers; big headers usually come from the app \
        (large Set-Cookie session data, long CSP or Link headers).
        """
    public let fixText = """
        Shrink what the app puts in its headers (session data in cookies, long CSP/Link headers); or raise \
        the buffer for that location: proxy_buffer_size 16k; proxy_buffers 8 16k; (keep proxy_busy_buffers_size \
        below the total of proxy_buffers minus one buffer, or nginx -t fails), then nginx -t and reload.
        """
    public let precedence = 40

    public func run(_ facts: Facts) -> [Finding] {
        facts.routeEvents([.headerTooBig]).map { finding($0, facts: facts) }
    }

    private func finding(_ group: RouteEvents, facts: Facts) -> Finding {
        let route = group.route
        let settings = route.settings
        let module = settings.module
        let buffer = settings.bufferSize
        let buffers = settings.buffers
        let failingNow = ResponseWording.probeHitsLoggedPath(group, facts: facts)
        let count = RouteWording.windowCount(group.events, facts: facts)
        let paths = group.requestPaths()
        let timeline = FailureTimeline(failingNow: failingNow != nil, events: group.events, recovered: false,
                                       nowNote: nil, gatheredAt: facts.gatheredAt)

        var summary = "nginx refused the response header of \(group.endpoint) as too big for \(route.label): "
            + "\(ResponseWording.requests(count)) got nginx's own 502\(ResponseWording.pathsText(paths))"
        if let buffer {
            summary += "; \(buffer.name) is \(ResponseWording.settingText(buffer))"
        }
        if !timeline.failingNow, let clock = timeline.lastClock { summary += "; last logged \(clock)" }

        var evidence = RouteWording.logEvidence(group.events, facts: facts)
        if let buffer {
            evidence.append(ResponseWording.settingEvidence(buffer, note: "the status line and every header must fit in this one buffer"))
        }
        if let buffers { evidence.append(ResponseWording.settingEvidence(buffers)) }
        evidence.append(RouteWording.passEvidence(route))
        if let failingNow { evidence.append(RouteWording.proxyProbeEvidence(failingNow, route: route)) }

        let current = buffer?.bytes ?? 4096
        let suggested = max(16 * 1024, Self.nextPowerOfTwo(current * 2))
        let size = ResponseWording.size(suggested)
        let path = paths.first ?? "/"
        let bufferName = buffer?.name ?? "\(module)_buffer_size"
        let buffersName = buffers?.name ?? "\(module)_buffers"
        let measure = module == "proxy"
            ? "See how big the header is, straight from the app: curl -s -D - -o /dev/null \(Self.curlTarget(group.endpoint, path: path)) | wc -c "
            : "See which response header is big (the app speaks \(module) there, not HTTP: use the app's own test client or logs for \(path)) "
        var fix: [String] = [
            measure
                + "(and which header: large Set-Cookie values, session data kept in cookies, long Content-Security-Policy or Link headers come from the app; shrink them there first)",
            "Or give nginx a bigger header buffer \(ResponseWording.placeText(buffer, route: route)): \(bufferName) \(size); "
                + (module == "grpc" ? "" : "\(buffersName) 8 \(size); ")
                + "then nginx -t (it refuses a \(module)_busy_buffers_size that is not below the total of \(buffersName) minus one buffer) and reload",
        ]
        if module == "proxy", settings.buffering?.args.first == "off" {
            fix.append("proxy_buffering is off here: the header still has to fit proxy_buffer_size, which is the one to raise")
        }
        return Finding(check: id, layer: layer, severity: timeline.severity, summary: summary, route: route.label,
                       evidence: evidence, fix: fix)
    }

    static func nextPowerOfTwo(_ value: Int) -> Int {
        var result = 1024
        while result < value, result < 1 << 30 { result <<= 1 }
        return result
    }

    static func curlTarget(_ endpoint: Endpoint, path: String) -> String {
        switch endpoint {
        case let .unix(socket): "--unix-socket \(socket) http://localhost\(path)"
        case .tcp: "http://\(endpoint)\(path)"
        }
    }
}
