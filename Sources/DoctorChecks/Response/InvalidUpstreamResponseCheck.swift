import DoctorFacts

/// `invalid-upstream-response`: something answers at the route's address, but not in the
/// protocol the pass directive speaks. Causes (`Finding.cause`):
///
/// - `protocol-mismatch`: `proxy_pass http://` to a uWSGI `--socket` (uwsgi protocol; uWSGI
///   logs `invalid request block size: 21573 (max 4096)...skip` and closes, nginx logs
///   `upstream prematurely closed connection while reading response header`), or
///   `uwsgi_pass` to an `--http-socket`. Read from the app server's bind protocol, so it
///   fires before any request, and explains the premature closes it causes.
/// - `tls-to-plain-port`: `proxy_pass https://` to an app that speaks plain HTTP
///   (`SSL_do_handshake() failed (… wrong version number) while SSL handshaking to upstream`);
///   `tls-handshake` for other handshake failures.
/// - `invalid-header`: `upstream sent invalid header` (a malformed header line);
///   `not-http`: `upstream sent no valid HTTP/1.0 header` (not an HTTP server at all: a
///   database, redis, another protocol).
///
/// Unlike `target-mismatch` (the route points at the wrong address) the address is right
/// and something listens; unlike `premature-close` no worker died.
public struct InvalidUpstreamResponseCheck: Check {
    public init() {}

    public let id = "invalid-upstream-response"
    public let title = "The upstream does not answer in the protocol the proxy speaks"
    public let layer = Layer.route
    public let rationale = """
        A 502 where the app server is up and the address is right, but the two ends speak different \
        protocols: proxy_pass http:// to a uWSGI --socket (uwsgi protocol: uWSGI logs "invalid request block \
        size" and closes, nginx logs "upstream prematurely closed connection"), proxy_pass https:// to a plain \
        HTTP app ("SSL_do_handshake() failed … wrong version number"), or an answer that is not HTTP \
        ("upstream sent invalid header", "no valid HTTP/1.0 header"). Not a 504 (nothing is slow) and not the \
        app's own 500 (no response ever reached nginx). The setting to look at is the route's pass directive \
        (proxy_pass vs uwsgi_pass, http vs https) against the app server's bind (uWSGI --socket vs --http-socket).
        """
    public let fixText = """
        Make both ends speak one protocol: uwsgi_pass ADDRESS; include uwsgi_params; for a uWSGI --socket (or \
        run uWSGI with --http-socket for proxy_pass http://); proxy_pass http:// to an app without TLS; point \
        the route at the app's HTTP port when something else (a database, another service) answers there.
        """
    public let precedence = 30
    public let explains: Set<String> = ["premature-close", "truncated-response"]

    public func run(_ facts: Facts) -> [Finding] {
        var findings: [Finding] = []
        var explained = Set<Endpoint>()
        for use in facts.allTargets() {
            guard let finding = protocolMismatch(use, facts: facts) else { continue }
            findings.append(finding)
            explained.insert(use.endpoint)
        }
        for group in facts.routeEvents([.invalidResponse, .tls]) where !explained.contains(group.endpoint) {
            findings.append(logged(group, facts: facts))
        }
        return findings
    }

    // MARK: Protocol mismatch (static)

    /// The wire protocol a pass directive speaks (`http` for proxy_pass http:// and https://).
    static func routeProtocol(_ route: Route) -> String? {
        switch route.directive {
        case "proxy_pass": RouteWording.scheme(of: route) == "https" ? "https" : "http"
        case "uwsgi_pass": "uwsgi"
        case "fastcgi_pass": "fastcgi"
        case "scgi_pass": "scgi"
        default: nil
        }
    }

    /// The protocol a bind speaks: uWSGI's `protocolName`, else HTTP, or HTTPS when the
    /// command line gives the server a certificate (gunicorn `--certfile`, uvicorn
    /// `--ssl-certfile`, hypercorn `--certfile`, daphne `ssl:` endpoints are not read).
    static func bindProtocol(_ bind: AppServerBind, app: AppServer) -> String {
        if let name = bind.protocolName { return name }
        let words = app.cmdline.flatMap { $0.split(separator: " ") }
        let tls = words.contains { word in
            ["--certfile", "--ssl-certfile"].contains { word == $0 || word.hasPrefix($0 + "=") }
        }
        return tls ? "https" : "http"
    }

    private func protocolMismatch(_ use: TargetUse, facts: Facts) -> Finding? {
        let routes = use.allRoutes
        guard let route = routes.first(where: { Self.routeProtocol($0) != nil }),
              let wanted = Self.routeProtocol(route) else { return nil }
        for app in facts.localAppServers {
            guard let bind = app.binds.first(where: { bind in
                bind.endpoint.map { Facts.listener($0, accepts: use.endpoint) } ?? false
            }) else { continue }
            let spoken = Self.bindProtocol(bind, app: app)
            guard spoken != wanted else { return nil }
            // A certificate may also come from a config file the command line does not show:
            // "this app speaks plain HTTP" is left to the log's SSL errors.
            if wanted == "https" && spoken == "http" { return nil }
            return mismatchFinding(use, route: route, app: app, bind: bind, spoken: spoken, wanted: wanted, facts: facts)
        }
        return nil
    }

    private func mismatchFinding(_ use: TargetUse, route: Route, app: AppServer, bind: AppServerBind, spoken: String,
                                 wanted: String, facts: Facts) -> Finding {
        let routes = use.allRoutes
        let events = facts.failureEvents([.prematureClose, .invalidResponse, .reset, .truncatedBody], at: use.endpoint)
        let state = facts.state(of: use.endpoint)
        // Every request fails while the app server listens there with the other protocol.
        let listening = state.listening ?? (state.responded != nil || state.failure == .closedEarly || state.failure == .notHTTP)
        let severity: Severity = listening || !events.isEmpty ? .critical : .warning

        let option = Self.optionName(bind: bind, app: app)
        let bindWhere = bind.source == "command line" ? "ps -o args= -p \(app.masterPID)" : bind.source
        let summary = "\(route.directive) at \(route.source) speaks \(wanted) to \(use.endpoint), but \(app.label) "
            + "serves it with the \(spoken) protocol (\(option) \(bind.raw)): every request through \(RouteWording.routesPhrase(routes)) fails with a 502"

        var evidence = RouteWording.passEvidence(routes)
        evidence.append(Evidence(kind: .process, text: "\(app.label) binds `\(option) \(bind.raw)`: it speaks \(spoken), not \(wanted)",
                                 source: bindWhere))
        evidence += RouteWording.logEvidence(events, facts: facts)
        if let probe = state.failedProbe ?? state.responded { evidence.append(RouteWording.probeEvidence(probe)) }
        evidence += RouteWording.proxyProbeEvidence(routes, facts: facts)
        if app.kind == "uwsgi", spoken == "uwsgi" {
            // uWSGI's log is not among the facts; say what to look for and where.
            let log = CommandLineOption.value(["--logto", "--logto2", "--daemonize", "-d"], in: app.cmdline)
            evidence.append(Evidence(kind: .command,
                                     text: "uWSGI reads the HTTP request line as a uwsgi packet header and logs "
                                        + "\"invalid request block size: 21573 (max 4096)...skip\" for each request (21573 is \"ET\" of \"GET\"), then closes the connection",
                                     source: "grep 'invalid request block size' " + (log ?? "<the uWSGI log: --logto, or its service's journal>")))
        }

        var fix: [String] = []
        switch (wanted, spoken) {
        case ("http", "uwsgi"):
            fix.append("Either speak uwsgi from nginx: replace `\(route.directive) \(route.target)` at \(route.source) with "
                       + "`uwsgi_pass \(RouteWording.passValue(directive: "uwsgi_pass", scheme: "uwsgi", endpoint: use.endpoint)); include uwsgi_params;`")
            fix.append("Or make uWSGI speak HTTP on that address: `--http-socket \(bind.raw)` instead of `\(option) \(bind.raw)` (\(bind.source)); "
                       + "`--http` is a separate router process, not the same thing")
        case ("uwsgi", "http"):
            fix.append("Either pass HTTP from nginx: replace `uwsgi_pass` at \(route.source) with "
                       + "`proxy_pass \(RouteWording.passValue(directive: "proxy_pass", scheme: "http", endpoint: use.endpoint));`")
            fix.append("Or make the app server speak uwsgi there: uWSGI `--socket \(bind.raw)` instead of `\(option) \(bind.raw)` (\(bind.source))")
        case ("http", "https"):
            fix.append("Either speak TLS to it: `proxy_pass https://\(use.endpoint)` at \(route.source) "
                       + "(with proxy_ssl_verify on and proxy_ssl_trusted_certificate for a certificate nginx should check)")
            fix.append("Or drop TLS on that hop: run \(app.kind) without its certificate options (TLS ends at nginx)")
        default:
            fix.append("Make the pass directive at \(route.source) and the bind `\(option) \(bind.raw)` (\(bind.source)) use the same protocol")
        }
        fix.append("Then nginx -t and reload (or restart only the app service), and request the route again")
        let cause = wanted == "http" && spoken == "https" ? "plain-to-tls-port" : "protocol-mismatch"
        return Finding(check: id, layer: layer, severity: severity, summary: summary, route: route.label,
                       evidence: evidence, fix: fix, cause: cause)
    }

    /// `--socket`, `--http-socket`, `socket =` … as the bind was written.
    static func optionName(bind: AppServerBind, app: AppServer) -> String {
        guard app.kind == "uwsgi" else { return "--bind" }
        for (index, word) in app.cmdline.enumerated() {
            if word.hasPrefix("--"), word.contains("="), word.hasSuffix("=" + bind.raw) {
                return String(word.prefix { $0 != "=" })
            }
            if word == bind.raw, index > 0, app.cmdline[index - 1].hasPrefix("-") { return app.cmdline[index - 1] }
        }
        switch bind.protocolName {
        case "http"?: return "http-socket"
        case "uwsgi"?: return "socket"
        case let other?: return "\(other)-socket"
        case nil: return "socket"
        }
    }

    // MARK: From the error log

    private func logged(_ group: RouteEvents, facts: Facts) -> Finding {
        let route = group.route
        let tls = group.events.filter { $0.kind == .tls }
        let invalid = group.events.filter { $0.kind == .invalidResponse }
        let cause: String
        let what: String
        var fix: [String]
        let scheme = RouteWording.scheme(of: route)
        if !tls.isEmpty && (invalid.isEmpty || tls.count >= invalid.count) {
            let plain = tls.contains { $0.message.contains("wrong version number") || $0.message.contains("packet length too long")
                || $0.message.contains("unknown protocol") }
            cause = plain ? "tls-to-plain-port" : "tls-handshake"
            what = plain
                ? "nginx speaks TLS (\(scheme)://) to \(group.endpoint), which answers in plain HTTP (SSL: wrong version number)"
                : "the TLS handshake with \(group.endpoint) fails"
            fix = plain
                ? ["Use `proxy_pass http://\(group.endpoint)` at \(route.source): the app speaks plain HTTP on that port (TLS ends at nginx)",
                   "Or give the app server a certificate on that port (gunicorn --certfile/--keyfile, uvicorn --ssl-certfile/--ssl-keyfile) if the hop must be encrypted"]
                : ["Read the SSL error in the log line: a certificate nginx does not trust (proxy_ssl_trusted_certificate, proxy_ssl_verify), "
                   + "a missing SNI name (proxy_ssl_server_name on;) or no common protocol/cipher (proxy_ssl_protocols)",
                   "Test the handshake by hand: openssl s_client -connect \(group.endpoint) -servername <name>"]
        } else {
            let notHTTP = invalid.contains { $0.message.contains("no valid HTTP") }
            cause = notHTTP ? "not-http" : "invalid-header"
            what = notHTTP
                ? "\(group.endpoint) does not answer in HTTP (\"upstream sent no valid HTTP/1.0 header\"): another protocol listens there"
                : "\(group.endpoint) sends a malformed header line (\"upstream sent invalid header\")"
            fix = notHTTP
                ? ["See who listens there: \(RouteWording.listenerCommand(group.endpoint)); a database, redis, or a uWSGI --socket (uwsgi protocol) "
                   + "answers but not in HTTP", "Point the route at the app's HTTP address, or use the pass directive of that protocol (uwsgi_pass, fastcgi_pass)"]
                : ["Look at the raw answer: curl -sv --http1.0 \(HeaderTooBigCheck.curlTarget(group.endpoint, path: invalid.last.flatMap(ResponseWording.requestPath) ?? "/")) "
                   + "(the header nginx quotes in the log line is the bad one: a missing colon, a space in the name, a bare CR/LF from the app)",
                   "Fix the code that writes that header in the app (or its middleware); nginx's ignore_invalid_headers does not apply to upstream responses"]
        }
        let failing = ResponseWording.proxyBrokenNow(route, facts: facts)
        let timeline = FailureTimeline(failingNow: failing != nil, events: group.events, recovered: false,
                                       nowNote: nil, gatheredAt: facts.gatheredAt)
        let count = RouteWording.windowCount(group.events, facts: facts)
        let outcome = cause == "not-http" ? "got no HTTP answer (nginx relays the raw bytes; its access log shows status 009)" : "got nginx's 502"
        var summary = "\(what): \(ResponseWording.requests(count)) through \(route.label) \(outcome)"
        if !timeline.failingNow, let clock = timeline.lastClock { summary += "; last logged \(clock)" }
        var evidence = RouteWording.logEvidence(group.events, facts: facts)
        evidence.append(RouteWording.passEvidence(route))
        if let failing { evidence.append(RouteWording.proxyProbeEvidence(failing, route: route)) }
        return Finding(check: id, layer: layer, severity: timeline.severity, summary: summary, route: route.label,
                       evidence: evidence, fix: fix, cause: cause)
    }
}
