import DoctorFacts

/// `keepalive-mismatch`: nginx's connection reuse to an `upstream` group is configured
/// half-way or against the app server's own keep-alive. Static, from the config and the
/// app server's command line; causes (`Finding.cause`):
///
/// - `http-1.0` / `connection-close`: the group has `keepalive N`, but the route still
///   talks HTTP/1.0 (`proxy_http_version` defaults to 1.0) or sends `Connection: close`
///   (nginx's default unless `proxy_set_header Connection "";`). Every upstream connection
///   is closed after one request: the cache is never used, and under load the churn of
///   new connections can exhaust local ports (`(99: Cannot assign requested address)`).
/// - `upstream-timeout-shorter`: reuse works, but the app server closes idle connections
///   sooner than nginx stops reusing them (gunicorn `--keep-alive`, default 2 s, for
///   non-sync workers; uvicorn `--timeout-keep-alive`, default 5 s; against the group's
///   `keepalive_timeout`, default 60 s). A request nginx sends on a connection the app is
///   just closing fails: sporadic `upstream prematurely closed connection` or `(104:
///   Connection reset by peer)`, 502, on otherwise healthy routes.
///
/// A gunicorn `sync` worker never keeps connections alive, so it cannot race; uWSGI and
/// daphne are not judged. The values are the app server's effective limits: its command
/// line, else its `gunicorn.conf.py` (`keepalive`, `worker_class`), else the default.
public struct KeepaliveMismatchCheck: Check {
    public init() {}

    public let id = "keepalive-mismatch"
    public let title = "Upstream keep-alive is half-configured or outlives the app server's"
    public let layer = Layer.proxy
    public let rationale = """
        The sporadic 502 of an otherwise healthy route: nginx reuses an idle upstream connection that the app \
        server is closing at that moment ("upstream prematurely closed connection" or "Connection reset by \
        peer" on a reused connection), because the app's keep-alive (gunicorn --keep-alive, default 2 s) is \
        shorter than nginx's keepalive_timeout (60 s). Not a 504 (nothing waited) and not a dead worker (no \
        kill in the app's log). Its sibling: `keepalive` in an upstream block without proxy_http_version 1.1 \
        and proxy_set_header Connection "" does nothing at all. The setting to look at is the upstream's \
        keepalive_timeout against the app server's keep-alive.
        """
    public let fixText = """
        In each location passing to a group with keepalive: proxy_http_version 1.1; proxy_set_header \
        Connection "";. Keep the app's keep-alive longer than nginx's: gunicorn --keep-alive 75 (or \
        keepalive_timeout 1s in the upstream block, below the app's).
        """
    public let precedence = 80

    public func run(_ facts: Facts) -> [Finding] {
        var findings: [Finding] = []
        var judgedEndpoints = Set<String>()
        for route in facts.routes {
            guard case let .upstream(_, group, servers) = route.target, let keepalive = route.settings.upstreamKeepalive,
                  route.settings.module == "proxy" else { continue }
            if let finding = halfConfigured(route, group: group, keepalive: keepalive) {
                findings.append(finding)
                continue
            }
            for server in servers {
                let key = "\(group)|\(server.endpoint)"
                guard !judgedEndpoints.contains(key) else { continue }
                judgedEndpoints.insert(key)
                if let finding = timeoutShorter(route, group: group, server: server, facts: facts) { findings.append(finding) }
            }
        }
        return findings
    }

    /// The command that lists nginx's open connections to the route's first upstream server.
    static func connectionsCommand(_ route: Route) -> String {
        switch route.target.endpoints.first {
        case let .unix(path)?: "ss -xp | grep \(path)"
        case let endpoint?: "ss -tn state established dst \(endpoint)"
        case nil: "ss -tn state established"
        }
    }

    // MARK: keepalive without HTTP/1.1 and a cleared Connection header

    private func halfConfigured(_ route: Route, group: String, keepalive: RouteSetting) -> Finding? {
        let settings = route.settings
        let version = settings.httpVersion
        let connection = settings.header("Connection")
        let oldHTTP = (version?.args.first ?? "1.0") == "1.0"
        let connectionValue = connection.map { $0.args.dropFirst().joined(separator: " ") } ?? "close"
        // Only `close` ends the connection (`keep-alive`, `upgrade` do not); a variable
        // (`$connection_upgrade`) is decided per request and not judged.
        let closes = !connectionValue.contains("$") && connectionValue.lowercased().split(separator: ",")
            .contains { $0.trimmingCharacters(in: .whitespaces) == "close" }
        guard oldHTTP || closes else { return nil }

        var missing: [String] = []
        if oldHTTP { missing.append("proxy_http_version 1.1") }
        if closes { missing.append("proxy_set_header Connection \"\"") }
        let summary = "upstream \(group) keeps \(Int(keepalive.value).map { ResponseWording.counted($0, "idle connection") } ?? "\(keepalive.value) idle connections") per worker (keepalive at \(keepalive.source?.description ?? "?")), "
            + "but \(route.label) "
            + (oldHTTP ? "talks HTTP/1.0 to it" : "")
            + (oldHTTP && closes ? " and " : "")
            + (closes ? "sends `Connection: \(connectionValue)`" : "")
            + ": every upstream connection is closed after one request, the keep-alive cache is never used"

        var evidence = [ResponseWording.settingEvidence(keepalive, note: "connection cache of upstream \(group)")]
        if let version {
            evidence.append(ResponseWording.settingEvidence(version, note: oldHTTP ? "HTTP/1.0 has no persistent connections by default" : nil))
        }
        if let connection {
            evidence.append(ResponseWording.settingEvidence(connection, note: closes ? "asks the upstream to close after each response" : nil))
        } else if closes {
            evidence.append(Evidence(kind: .config, text: "no proxy_set_header Connection in effect: nginx sends `Connection: close` upstream",
                                     source: "nginx -T | grep -n proxy_set_header"))
        }
        evidence.append(RouteWording.passEvidence(route))
        let fix = [
            "In the location `\(route.location)` (\(route.source)) add: " + missing.map { "\($0);" }.joined(separator: " ")
                + " (a location that writes any proxy_set_header no longer inherits those of server/http: repeat them there, e.g. Host)",
            "Then nginx -t and reload; `\(Self.connectionsCommand(route))` shows connections staying open between requests",
        ]
        return Finding(check: id, layer: layer, severity: .warning, summary: summary, route: route.label,
                       evidence: evidence, fix: fix, cause: oldHTTP ? "http-1.0" : "connection-close")
    }

    // MARK: the app server closes idle connections before nginx stops reusing them

    /// The app server's idle keep-alive in seconds and where it comes from (its effective
    /// limits: command line, config file line, or the program's default); `nil` when it
    /// keeps no connection alive (a gunicorn sync worker) or it is not known.
    static func appKeepAlive(_ app: AppServer) -> (seconds: Double, text: String)? {
        let limits = app.limits
        func origin(_ setting: AppServerSetting) -> String {
            if setting.isDefault { return "\(app.kind)'s default" }
            return setting.source
        }
        switch app.kind {
        case "gunicorn":
            let workerClass = limits.workerClass?.value ?? "sync"
            let lowered = workerClass.lowercased()
            if lowered == "sync" || lowered.hasSuffix(".syncworker") { return nil }
            guard let keepAlive = limits.keepAlive, let seconds = Double(keepAlive.value) else { return nil }
            return (seconds, "--keep-alive \(keepAlive.value) (\(origin(keepAlive)), \(workerClass) workers)")
        case "uvicorn":
            guard let keepAlive = limits.keepAlive, let seconds = Double(keepAlive.value) else { return nil }
            return (seconds, "--timeout-keep-alive \(keepAlive.value) (\(origin(keepAlive)))")
        case "hypercorn":
            if let value = CommandLineOption.value("--keep-alive", in: app.cmdline), let seconds = Double(value) {
                return (seconds, "--keep-alive \(value) (command line)")
            }
            if CommandLineOption.value(["-c", "--config"], in: app.cmdline) != nil { return nil }
            return (5, "--keep-alive 5 (hypercorn's default)")
        default:
            return nil
        }
    }


    private func timeoutShorter(_ route: Route, group: String, server: UpstreamServer, facts: Facts) -> Finding? {
        guard let app = facts.appServer(serving: server.endpoint), let appKeepAlive = Self.appKeepAlive(app) else { return nil }
        let nginxTimeout = route.settings.upstreamKeepaliveTimeout
        let nginxSeconds = nginxTimeout?.seconds ?? 60
        guard appKeepAlive.seconds < nginxSeconds else { return nil }
        let events = facts.failureEvents([.prematureClose, .reset], at: server.endpoint)
            .filter { $0.message.contains("while reading response header") || $0.message.contains("while sending request") }
        let nginxText = nginxTimeout.map(ResponseWording.settingText) ?? "60s (default)"
        var summary = "nginx reuses idle connections to \(server.endpoint) (upstream \(group)) for up to keepalive_timeout \(nginxText), "
            + "but \(app.label) closes them after \(appKeepAlive.text): a request sent on a connection it is closing fails with a 502"
        if !events.isEmpty {
            summary += " (\(RouteWording.windowCount(events, facts: facts)) such failure(s) logged)"
        }
        var evidence: [Evidence] = []
        if let keepalive = route.settings.upstreamKeepalive { evidence.append(ResponseWording.settingEvidence(keepalive)) }
        if let nginxTimeout { evidence.append(ResponseWording.settingEvidence(nginxTimeout, note: "how long nginx keeps an idle upstream connection for reuse")) }
        evidence.append(Evidence(kind: .process, text: "\(app.label) closes idle connections after \(appKeepAlive.text)",
                                 source: "ps -o args= -p \(app.masterPID)"))
        evidence.append(RouteWording.memberEvidence(GroupMember(group: group, server: server, routes: [route])))
        evidence += RouteWording.logEvidence(events, facts: facts)
        let longer = Int(nginxSeconds.rounded(.up)) + 15
        var fix: [String] = []
        switch app.kind {
        case "gunicorn": fix.append("Keep connections open longer in gunicorn than nginx does: --keep-alive \(longer) (or keepalive = \(longer) in gunicorn.conf.py)")
        case "uvicorn": fix.append("Keep connections open longer in uvicorn than nginx does: --timeout-keep-alive \(longer)")
        default: fix.append("Keep connections open longer in \(app.kind) than nginx does: --keep-alive \(longer)")
        }
        fix.append("Or make nginx drop idle connections first: keepalive_timeout \(max(1, Int(appKeepAlive.seconds) - 1))s; in upstream \(group)"
                   + (nginxTimeout?.source.map { " (\($0))" } ?? ""))
        return Finding(check: id, layer: layer, severity: .warning, summary: summary, route: route.label,
                       evidence: evidence, fix: fix, cause: "upstream-timeout-shorter")
    }
}
