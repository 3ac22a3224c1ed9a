import DoctorFacts

/// `request-too-large`: nginx accepts a request that the app server behind it refuses for
/// its size, or refuses it itself. Causes (`Finding.cause`):
///
/// - `uwsgi-buffer-size`: uWSGI's `buffer-size` (default 4096) bounds the whole request
///   header block (every variable of the uwsgi packet: the request line, the query string
///   twice, every header and cookie), while nginx forwards request header lines of up to
///   `large_client_header_buffers` (default 4 × 8k). A request with a long URL or big cookies
///   is dropped by uWSGI (`invalid request block size: 6543 (max 4096)...skip` in its log) and
///   nginx logs `upstream prematurely closed connection` (502).
/// - `uwsgi-limit-post`: uWSGI's `limit-post` is below nginx's `client_max_body_size`: bodies
///   between the two reach uWSGI and are dropped there (a 502), not refused by nginx (a 413).
///
/// A **warning** when nginx logged premature closes, resets or send failures for the address
/// in the window (a line cut at 2048 bytes by a long request no longer names the upstream: it
/// is tied to the route by its server name and request path), **info** (latent: the status stays ok) while nothing failed. gunicorn's request
/// limits (`--limit-request-line` 4094, `--limit-request-field_size` 8190) are not reported:
/// gunicorn answers 400 itself, which nginx passes on, never a 502. A body over
/// `client_max_body_size` gets nginx's own **413** without reaching the app (the error log's
/// `client intended to send too large body` line, the access log's 413).
public struct RequestTooLargeCheck: Check {
    public init() {}

    public let id = "request-too-large"
    public let title = "nginx forwards requests larger than the app server accepts"
    public let layer = Layer.upstream
    public let rationale = """
        The 502 that hits only big requests (long URLs, large cookies, uploads): nginx accepts request \
        headers up to large_client_header_buffers (4 × 8k) and bodies up to client_max_body_size (1m), but \
        uWSGI drops a request header block over its buffer-size (default 4096: "invalid request block size" in \
        its log) or a body over limit-post, and nginx logs "upstream prematurely closed connection". Not a 504 \
        (nothing waited), not a dead worker (no kill in the app's log), and not nginx's own 413 (a body over \
        client_max_body_size never reaches the app). The setting to look at is uWSGI's buffer-size against \
        nginx's large_client_header_buffers.
        """
    public let fixText = """
        Raise uWSGI's buffer-size (buffer-size = 32768 in its ini, or -b 32768; at most 65535) above the \
        largest request header nginx forwards, and limit-post to at least client_max_body_size (or lower \
        client_max_body_size so nginx answers 413 itself).
        """
    public let precedence = 45
    public let explains: Set<String> = ["premature-close"]

    public func run(_ facts: Facts) -> [Finding] {
        var findings: [Finding] = []
        for use in facts.allTargets() {
            guard let app = facts.appServer(serving: use.endpoint), app.kind == "uwsgi",
                  let route = use.allRoutes.first,
                  let bind = app.binds.first(where: { $0.endpoint.map { Facts.listener($0, accepts: use.endpoint) } ?? false }),
                  InvalidUpstreamResponseCheck.routeProtocol(route) == InvalidUpstreamResponseCheck.bindProtocol(bind, app: app)
            else { continue }
            let kinds: Set<UpstreamErrorKind> = [.prematureClose, .reset, .other]
            let events = LogMatch.chronological(facts.failureEvents(kinds, at: use.endpoint)
                + facts.unaddressedEvents(kinds, routes: use.allRoutes)).filter { event in
                event.message.contains("while reading response header") || event.message.contains("while sending request to upstream")
            }
            if let finding = bufferSize(use, route: route, app: app, events: events, facts: facts) { findings.append(finding) }
            if let finding = postLimit(use, route: route, app: app, events: events, facts: facts) { findings.append(finding) }
        }
        return findings
    }

    /// `buffer-size 4096 (uWSGI's default)` or `buffer-size 8192 (/etc/uwsgi/app.ini:7)`.
    static func settingText(_ name: String, _ setting: AppServerSetting) -> String {
        "\(name) \(setting.value) (\(setting.isDefault ? "uWSGI's default" : setting.source))"
    }

    private func bufferSize(_ use: TargetUse, route: Route, app: AppServer, events: [ProxyLogEvent], facts: Facts) -> Finding? {
        guard let buffer = app.limits.bufferSize, let bytes = buffer.intValue else { return nil }
        let headerBuffers = route.settings["large_client_header_buffers"]
        let lineMax = headerBuffers.flatMap { $0.args.count >= 2 ? NginxValue.bytes($0.args[1]) : nil } ?? 8192
        guard bytes < lineMax else { return nil }
        // nginx cuts a log line at 2048 bytes: a line that long carries a request at least that long.
        let long = events.filter { $0.line.utf8.count >= 2000 || ($0.request?.utf8.count ?? 0) > bytes }
        let severity: Severity = events.isEmpty ? .info : .warning
        let headerText = headerBuffers.map(ResponseWording.settingText) ?? "4 8k (default)"
        var summary = "\(app.label) drops requests whose header block is over \(Self.settingText("buffer-size", buffer)), "
            + "while nginx forwards request header lines up to \(ResponseWording.size(lineMax)) (large_client_header_buffers \(headerText))"
        if events.isEmpty {
            summary += ": a request with a long URL or large cookies to \(RouteWording.routesPhrase(use.allRoutes)) would get a 502"
        } else {
            let count = RouteWording.windowCount(events, facts: facts)
            summary += ": \(ResponseWording.requests(count)) to \(use.endpoint) were closed before an answer"
            if !long.isEmpty { summary += " (\(long.count) of them with a request line of 2 kB or more)" }
        }
        var evidence = RouteWording.logEvidence(events, facts: facts)
        evidence.append(Evidence(kind: buffer.isDefault ? .process : .config,
                                 text: "uWSGI \(Self.settingText("buffer-size", buffer)): the largest request header block it reads",
                                 source: buffer.isDefault || buffer.source == "command line" ? "ps -o args= -p \(app.masterPID)" : buffer.source))
        if let headerBuffers { evidence.append(ResponseWording.settingEvidence(headerBuffers)) }
        evidence.append(RouteWording.passEvidence(route))
        let log = KeepaliveMismatchCheck.option(["--logto", "--logto2", "--daemonize", "-d"], in: app.cmdline)
        evidence.append(Evidence(kind: .command, text: "uWSGI logs each dropped request as `invalid request block size: N (max \(bytes))...skip`",
                                 source: "grep 'invalid request block size' " + (log ?? "<the uWSGI log: --logto, or its service's journal>")))
        let suggested = max(32768, HeaderTooBigCheck.nextPowerOfTwo(lineMax * 2))
        let place = buffer.isDefault ? "in its ini (`buffer-size = \(min(suggested, 65535))`) or on its command line (`-b \(min(suggested, 65535))`)"
            : "at \(buffer.source == "command line" ? "its command line" : buffer.source)"
        let fix = [
            "Raise uWSGI's buffer-size above the largest request header nginx forwards \(place) (at most 65535), then restart only the app service",
            "Confirm first in uWSGI's log: `invalid request block size: N (max \(bytes))` gives the size of each dropped request",
        ]
        return Finding(check: id, layer: layer, severity: severity, summary: summary, route: route.label,
                       evidence: evidence, fix: fix, cause: "uwsgi-buffer-size")
    }

    private func postLimit(_ use: TargetUse, route: Route, app: AppServer, events: [ProxyLogEvent], facts: Facts) -> Finding? {
        guard let limit = app.limits.postLimit, let bytes = limit.intValue, bytes > 0 else { return nil }
        let bodyMax = route.settings.clientMaxBodySize
        let nginxBytes = bodyMax?.bytes ?? 1024 * 1024
        // client_max_body_size 0 means no limit at all.
        guard nginxBytes == 0 || bytes < nginxBytes else { return nil }
        let posts = events.filter { $0.request?.hasPrefix("POST") == true || $0.request?.hasPrefix("PUT") == true }
        let severity: Severity = posts.isEmpty ? .info : .warning
        let nginxText = bodyMax.map(ResponseWording.settingText) ?? "1m (default)"
        var summary = "\(app.label) drops request bodies over \(Self.settingText("limit-post", limit)) while nginx accepts up to "
            + "client_max_body_size \(nginxText): bodies in between get a 502 instead of nginx's 413"
        if !posts.isEmpty { summary += " (\(ResponseWording.requests(RouteWording.windowCount(posts, facts: facts))) with a body were closed before an answer)" }
        var evidence = RouteWording.logEvidence(posts, facts: facts)
        evidence.append(Evidence(kind: .config, text: "uWSGI \(Self.settingText("limit-post", limit))",
                                 source: limit.source == "command line" ? "ps -o args= -p \(app.masterPID)" : limit.source))
        if let bodyMax { evidence.append(ResponseWording.settingEvidence(bodyMax)) }
        evidence.append(RouteWording.passEvidence(route))
        let fix = [
            "Make nginx refuse what uWSGI would drop: client_max_body_size \(ResponseWording.size(bytes)); \(ResponseWording.placeText(bodyMax, route: route)) (clients then get a clear 413)",
            "Or raise uWSGI's limit-post to at least client_max_body_size (\(limit.source == "command line" ? "its command line" : limit.source)), then restart only the app service",
        ]
        return Finding(check: id, layer: layer, severity: severity, summary: summary, route: route.label,
                       evidence: evidence, fix: fix, cause: "uwsgi-limit-post")
    }
}
