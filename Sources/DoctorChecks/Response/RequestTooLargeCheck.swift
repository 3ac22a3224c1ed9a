import DoctorFacts

/// `request-too-large`: nginx accepts a request that the app server behind it refuses for
/// its size, or refuses it itself. Causes (`Finding.cause`):
///
/// - `uwsgi-buffer-size`: uWSGI's `buffer-size` (default 4096) bounds the whole request
///   header block (every variable of the uwsgi packet: the request line, the query string
///   twice, every header and cookie), while nginx forwards request header lines of up to
///   `large_client_header_buffers` (default 4 × 8k). A request with a long URL or big cookies
///   is dropped by uWSGI (`invalid request block size: 12399 (max 4096)...skip` in its log) and
///   nginx logs `recv() failed (104: Connection reset by peer)` or `upstream prematurely closed
///   connection` while reading the response header (502).
/// - `uwsgi-limit-post`: uWSGI's `limit-post` is below nginx's `client_max_body_size`: bodies
///   between the two reach uWSGI and are dropped there (a 502), not refused by nginx (a 413).
/// - `client-max-body-size`: the access log shows 413s for a route: nginx refused bodies over
///   `client_max_body_size` itself, before the app. Always **info**: not a 502, and a proxy
///   refusing oversized uploads works as configured; the finding names the setting and its
///   `file:line` so "uploads fail" is answered without guessing.
///
/// `uwsgi-buffer-size` is a **warning** when nginx logged premature closes, resets or send
/// failures of requests shown to be large (a line cut at 2048 bytes by a long request, which
/// no longer names the upstream and is tied to the route by its server name and request path),
/// **info** otherwise (latent: the status stays ok; closes of ordinary requests are
/// `premature-close`'s, e.g. a harakiri kill). `uwsgi-limit-post` is always **info**: the log
/// does not show body sizes. gunicorn's request limits
/// (`--limit-request-line` 4094, `--limit-request-field_size` 8190) are not reported: gunicorn
/// answers 400 itself, which nginx passes on, never a 502.
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

    public func run(_ facts: Facts) -> [Finding] {
        var findings: [Finding] = []
        findings += bodyRefusedByNginx(facts)
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
        // Only closes of requests shown to be large count: nginx cuts a log line at 2048 bytes,
        // so a line that long carries a request at least that long. Other closes at the address
        // (a worker killed by harakiri, a crash) are premature-close's, whatever the buffer.
        let long = events.filter { $0.line.utf8.count >= 2000 || ($0.request?.utf8.count ?? 0) > bytes }
        let severity: Severity = long.isEmpty ? .info : .warning
        let headerText = headerBuffers.map(ResponseWording.settingText) ?? "4 8k (default)"
        var summary = "\(app.label) drops requests whose header block is over \(Self.settingText("buffer-size", buffer)), "
            + "while nginx forwards request header lines up to \(ResponseWording.size(lineMax)) (large_client_header_buffers \(headerText))"
        if long.isEmpty {
            summary += ": a request with a long URL or large cookies to \(RouteWording.routesPhrase(use.allRoutes)) would get a 502"
        } else {
            summary += ": \(ResponseWording.requests(long.count)) with a request line of 2 kB or more to \(use.endpoint) "
                + (long.count == 1 ? "was" : "were") + " closed before an answer"
        }
        var evidence = RouteWording.logEvidence(long, facts: facts)
        evidence.append(Evidence(kind: buffer.isDefault ? .process : .config,
                                 text: "uWSGI \(Self.settingText("buffer-size", buffer)): the largest request header block it reads",
                                 source: buffer.isDefault || buffer.source == "command line" ? "ps -o args= -p \(app.masterPID)" : buffer.source))
        if let headerBuffers { evidence.append(ResponseWording.settingEvidence(headerBuffers)) }
        evidence.append(RouteWording.passEvidence(route))
        let log = CommandLineOption.value(["--logto", "--logto2", "--daemonize", "-d"], in: app.cmdline)
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

    /// Routes whose access-log counts hold 413s: nginx's own answer to a body over client_max_body_size.
    private func bodyRefusedByNginx(_ facts: Facts) -> [Finding] {
        var findings: [Finding] = []
        for route in facts.routes {
            let windows = facts.accessLogs.compactMap { window in
                window.routes.first { $0.route == route.label && $0.location == route.location }.map { (window, $0) }
            }
            let refused = windows.reduce(0) { $0 + $1.1.counts.count(413) }
            guard refused > 0 else { continue }
            let bodyMax = route.settings.clientMaxBodySize
            let limitText = bodyMax.map(ResponseWording.settingText) ?? "1m (default)"
            let summary = "nginx refused \(ResponseWording.requests(refused)) to \(route.label) with its own 413: the body was over "
                + "client_max_body_size \(limitText). Not a 502: the request never reached the app"
            var evidence = windows.map { window, counts in
                Evidence(kind: .log, text: "\(counts.counts.count(413)) × 413 for \(route.label) in the access log window "
                            + "(\(AccessLogCounts.describe(counts.counts.statuses)))",
                         source: window.path)
            }
            if let bodyMax { evidence.append(ResponseWording.settingEvidence(bodyMax, note: "the largest request body nginx accepts here")) }
            evidence.append(Evidence(kind: .command, text: "nginx logs each refusal as `client intended to send too large body: N bytes`",
                                     source: "grep 'too large body' <nginx error log>"))
            evidence.append(RouteWording.passEvidence(route))
            let fix = [
                "If bodies that big are legitimate (uploads), raise it for this location: client_max_body_size 20m; \(ResponseWording.placeText(bodyMax, route: route)), then nginx -t and reload",
                "Then make sure the app accepts them too: uWSGI limit-post, Django DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB for form data) and the app server's timeouts for slow uploads",
            ]
            findings.append(Finding(check: id, layer: .proxy, severity: .info, summary: summary, route: route.label,
                                    evidence: evidence, fix: fix, cause: "client-max-body-size"))
        }
        return findings
    }

    private func postLimit(_ use: TargetUse, route: Route, app: AppServer, events: [ProxyLogEvent], facts: Facts) -> Finding? {
        guard let limit = app.limits.postLimit, let bytes = limit.intValue, bytes > 0 else { return nil }
        let bodyMax = route.settings.clientMaxBodySize
        let nginxBytes = bodyMax?.bytes ?? 1024 * 1024
        // client_max_body_size 0 means no limit at all.
        guard nginxBytes == 0 || bytes < nginxBytes else { return nil }
        // The log does not show body sizes: closes of POST/PUT requests are only a hint, so this
        // stays info (a harakiri kill of an upload must not be blamed on limit-post).
        let posts = events.filter { $0.request?.hasPrefix("POST") == true || $0.request?.hasPrefix("PUT") == true }
        let severity = Severity.info
        let nginxText = bodyMax.map(ResponseWording.settingText) ?? "1m (default)"
        var summary = "\(app.label) drops request bodies over \(Self.settingText("limit-post", limit)) while nginx accepts up to "
            + "client_max_body_size \(nginxText): bodies in between get a 502 instead of nginx's 413"
        if !posts.isEmpty {
            summary += " (\(ResponseWording.requests(RouteWording.windowCount(posts, facts: facts))) with a body were closed before an answer: "
                + "check uWSGI's log for `Invalid (too big) CONTENT_LENGTH`)"
        }
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
