import DoctorChecks
import DoctorFacts
import DoctorParsers
import Foundation
import Testing

/// The response checks on facts built by hand, for what the lab fixtures do not show: which
/// of several locations a logged request went through, phases of a reset, a `Connection`
/// header from a variable, a line nginx cut at 2048 bytes. Error-log lines are in nginx
/// 1.22.1's format (as in the lab's captures) and go through the real parser.
@Suite("Response checks")
struct ResponseChecksTests {
    static let site = "/etc/nginx/sites-enabled/app"
    static let app = Endpoint.tcp(host: "127.0.0.1", port: 8000)
    static let utc = TimeZone(identifier: "UTC")!
    static let now: Date = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = utc
        return calendar.date(from: DateComponents(year: 2026, month: 11, day: 21, hour: 11, minute: 20))!
    }()

    static func setting(_ name: String, _ args: [String], line: Int?) -> RouteSetting {
        RouteSetting(name: name, args: args, source: line.map { DoctorFacts.SourceLocation(file: site, line: $0) })
    }

    static func route(_ location: String, line: Int, target: RouteTarget = .endpoint(scheme: "http", app),
                      settings: [RouteSetting] = []) -> Route {
        var values: [String: [RouteSetting]] = [:]
        for setting in settings { values[setting.name, default: []].append(setting) }
        return Route(proxy: .nginx, listen: ["80"], serverNames: ["example.com"], location: location, directive: "proxy_pass",
                     target: target, source: DoctorFacts.SourceLocation(file: site, line: line),
                     settings: RouteSettings(module: "proxy", values: values))
    }

    /// `message` for `request` as nginx writes the line, parsed.
    static func event(_ message: String, request: String, upstream: String? = "http://127.0.0.1:8000", number: Int) throws -> ProxyLogEvent {
        var line = "2026/11/21 11:10:51 [error] 27107#27107: *\(number) \(message), client: 127.0.0.1, server: example.com, request: \"\(request)\""
        if let upstream {
            let uri = request.split(separator: " ")[1]
            line += ", upstream: \"\(upstream)\(uri)\", host: \"example.com\""
        }
        return try #require(NginxErrorLog.parse(Substring(line), source: "/var/log/nginx/error.log:\(number)", localZone: utc), "\(line)")
    }

    static func facts(routes: [Route], events: [ProxyLogEvent], apps: [AppServer] = [], probes: [RouteProbe] = []) -> Facts {
        var facts = Facts(gatheredAt: now, routes: routes, appServers: apps, routeProbes: probes,
                          errorLogs: [ErrorLogWindow(path: "/var/log/nginx/error.log", windowStart: now.addingTimeInterval(-900),
                                                     events: events, counts: [:], cutShort: false)])
        facts.proxies = [ProxyInstance(kind: .nginx, configPath: "/etc/nginx/nginx.conf")]
        return facts
    }

    // MARK: header-too-big

    @Test func headerTooBigIsFiledUnderTheLocationTheRequestWentThrough() throws {
        let root = Self.route("/", line: 12)
        let uploads = Self.route("/uploads/", line: 20, settings: [Self.setting("proxy_buffer_size", ["8k"], line: 21)])
        let tooBig = "upstream sent too big header while reading response header from upstream"
        let events = [try Self.event(tooBig, request: "GET /uploads/report.pdf HTTP/1.1", number: 1),
                      try Self.event(tooBig, request: "GET /uploads/other HTTP/1.1", number: 2)]
        let findings = HeaderTooBigCheck().run(Self.facts(routes: [root, uploads], events: events))
        #expect(findings.count == 1)
        let finding = try #require(findings.first)
        #expect(finding.route == "example.com /uploads/")
        #expect(finding.summary.contains("proxy_buffer_size is 8k (\(Self.site):21)"), "\(finding.summary)")
        #expect(finding.evidence.contains { $0.source == "\(Self.site):21" })
        #expect(finding.severity == .warning)
        // A bigger buffer is proposed where the current one is written.
        #expect(finding.fix.contains { $0.contains("proxy_buffer_size 16k") && $0.contains("at \(Self.site):21") }, "\(finding.fix)")
    }

    @Test func headerTooBigIsCriticalWhenTheProbeThroughTheProxyFailsOnALoggedPath() throws {
        let root = Self.route("/", line: 12)
        let events = [try Self.event("upstream sent too big header while reading response header from upstream",
                                     request: "GET /health/ HTTP/1.1", number: 1)]
        let viaProxy = ProbeResult(endpoint: .tcp(host: "127.0.0.1", port: 80), path: "/health/", hostHeader: "example.com",
                                   outcome: .response(status: 502, server: "nginx/1.22.1"), elapsedMilliseconds: 2)
        let probes = [RouteProbe(route: root.label, direct: [], viaProxy: viaProxy)]
        let finding = try #require(HeaderTooBigCheck().run(Self.facts(routes: [root], events: events, probes: probes)).first)
        #expect(finding.severity == .critical)
        // The default buffer is cited as nginx's default, with where to write a new one.
        #expect(finding.fix.contains { $0.contains("in the location `/`") }, "\(finding.fix)")
    }

    // MARK: invalid-upstream-response

    @Test func plainHTTPToAGunicornWithACertificateIsAStaticMismatch() throws {
        let route = Self.route("/", line: 12)
        let tls = AppServer(kind: "gunicorn", masterPID: 412,
                            binds: [AppServerBind(endpoint: Self.app, raw: "127.0.0.1:8000", source: "command line")],
                            cmdline: ["gunicorn", "--bind", "127.0.0.1:8000", "--certfile=/etc/app/cert.pem", "--keyfile", "/etc/app/key.pem", "app.wsgi"])
        let finding = try #require(InvalidUpstreamResponseCheck().run(Self.facts(routes: [route], events: [], apps: [tls])).first)
        #expect(finding.cause == "plain-to-tls-port")
        #expect(finding.fix.contains { $0.contains("proxy_pass https://127.0.0.1:8000") }, "\(finding.fix)")
        // The other way round is not claimed from the command line (a config file may hold the certificate).
        var https = route
        https.target = .endpoint(scheme: "https", Self.app)
        var plain = tls
        plain.cmdline = ["gunicorn", "--bind", "127.0.0.1:8000", "-c", "/etc/app/gunicorn.conf.py", "app.wsgi"]
        #expect(InvalidUpstreamResponseCheck().run(Self.facts(routes: [https], events: [], apps: [plain])).isEmpty)
    }

    // MARK: truncated-response

    @Test func aResetCountsAsTruncationOnlyAfterTheHeader() throws {
        let root = Self.route("/", line: 12)
        let midBody = try Self.event("recv() failed (104: Connection reset by peer) while reading upstream",
                                     request: "GET /export.csv HTTP/1.1", number: 1)
        let beforeHeader = try Self.event("recv() failed (104: Connection reset by peer) while reading response header from upstream",
                                          request: "GET /slow/ HTTP/1.1", number: 2)
        #expect(midBody.kind == .reset && beforeHeader.kind == .reset)
        let findings = TruncatedResponseCheck().run(Self.facts(routes: [root], events: [midBody, beforeHeader]))
        let finding = try #require(findings.first)
        #expect(findings.count == 1)
        #expect(finding.summary.contains("1 request") && finding.summary.contains("/export.csv") && !finding.summary.contains("/slow/"),
                "\(finding.summary)")
        #expect(TruncatedResponseCheck().run(Self.facts(routes: [root], events: [beforeHeader])).isEmpty)
    }

    @Test func aWorkerKilledWhileSendingTheBodyIsNamed() throws {
        let root = Self.route("/", line: 12)
        let cut = try Self.event("upstream prematurely closed connection while reading upstream", request: "GET /export.csv HTTP/1.1", number: 1)
        let at = try #require(cut.time)
        let gunicorn = AppServer(kind: "gunicorn", masterPID: 412, workerPIDs: [415],
                                 binds: [AppServerBind(endpoint: Self.app, raw: "127.0.0.1:8000", source: "command line")],
                                 cmdline: ["gunicorn", "--bind", "127.0.0.1:8000", "app.wsgi"])
        var service = ManagedService(manager: "supervisord", name: "app", state: "RUNNING", pid: 412,
                                     binds: [AppServerBind(endpoint: Self.app, raw: "127.0.0.1:8000", source: "command line")])
        service.kills = [WorkerKill(reason: .workerTimeout, pid: 415,
                                    line: "[2026-11-21 11:10:52 +0000] [412] [ERROR] Worker (pid:415) was sent SIGKILL! Perhaps out of memory?",
                                    source: "/var/log/supervisor/app.err.log:40", time: at.addingTimeInterval(1))]
        var facts = Self.facts(routes: [root], events: [cut], apps: [gunicorn])
        facts.services = [service]
        let finding = try #require(TruncatedResponseCheck().run(facts).first)
        #expect(finding.summary.contains("killed by gunicorn's worker timeout while sending it"), "\(finding.summary)")
        #expect(finding.evidence.contains { $0.source == "/var/log/supervisor/app.err.log:40" })

        // A kill a minute away is another request's.
        service.kills[0].time = at.addingTimeInterval(60)
        facts.services = [service]
        let alone = try #require(TruncatedResponseCheck().run(facts).first)
        #expect(!alone.summary.contains("killed"), "\(alone.summary)")
    }

    // MARK: keepalive-mismatch

    static func groupRoute(_ settings: [RouteSetting]) -> Route {
        let server = UpstreamServer(endpoint: app, source: DoctorFacts.SourceLocation(file: site, line: 2))
        return route("/", line: 12, target: .upstream(scheme: "http", name: "app", servers: [server]),
                     settings: [setting("upstream.keepalive", ["8"], line: 3), setting("upstream.keepalive_timeout", ["60s"], line: nil)] + settings)
    }

    @Test func keepaliveWithHTTP11ButTheDefaultConnectionCloseStillFires() throws {
        let route = Self.groupRoute([Self.setting("proxy_http_version", ["1.1"], line: 14),
                                     Self.setting("proxy_set_header", ["Connection", "close"], line: nil)])
        let finding = try #require(KeepaliveMismatchCheck().run(Self.facts(routes: [route], events: [])).first)
        #expect(finding.cause == "connection-close")
        #expect(finding.fix.contains { $0.contains("proxy_set_header Connection \"\";") && !$0.contains("proxy_http_version") }, "\(finding.fix)")
    }

    @Test func connectionKeepAliveIsNotAClose() throws {
        let route = Self.groupRoute([Self.setting("proxy_http_version", ["1.1"], line: 14),
                                     Self.setting("proxy_set_header", ["Connection", "keep-alive"], line: 15)])
        #expect(KeepaliveMismatchCheck().run(Self.facts(routes: [route], events: [])).isEmpty)
    }

    @Test func aConnectionHeaderFromAVariableIsNotJudged() throws {
        let route = Self.groupRoute([Self.setting("proxy_http_version", ["1.1"], line: 14),
                                     Self.setting("proxy_set_header", ["Connection", "$connection_upgrade"], line: 15)])
        #expect(KeepaliveMismatchCheck().run(Self.facts(routes: [route], events: [])).isEmpty)
    }

    @Test func uvicornsKeepAliveAboveNginxsTimeoutIsFine() throws {
        let route = Self.groupRoute([Self.setting("proxy_http_version", ["1.1"], line: 14),
                                     Self.setting("proxy_set_header", ["Connection", ""], line: 15)])
        func uvicorn(_ keepAlive: String, source: String) -> AppServer {
            AppServer(kind: "uvicorn", masterPID: 400, binds: [AppServerBind(endpoint: Self.app, raw: "127.0.0.1:8000", source: "command line")],
                      cmdline: ["uvicorn", "app.asgi:app"],
                      limits: AppServerLimits(keepAlive: AppServerSetting(keepAlive, source: source)))
        }
        #expect(KeepaliveMismatchCheck().run(Self.facts(routes: [route], events: [], apps: [uvicorn("75", source: "command line")])).isEmpty)
        let finding = try #require(KeepaliveMismatchCheck().run(Self.facts(routes: [route], events: [], apps: [uvicorn("5", source: "default")])).first)
        #expect(finding.cause == "upstream-timeout-shorter")
        #expect(finding.summary.contains("--timeout-keep-alive 5 (uvicorn's default)"), "\(finding.summary)")
        #expect(finding.fix.contains { $0.contains("--timeout-keep-alive 75") }, "\(finding.fix)")
    }

    // MARK: request-too-large

    @Test func aLineCutAt2048BytesIsTiedToTheRouteByServerAndPath() throws {
        let uwsgi = AppServer(kind: "uwsgi", masterPID: 500,
                              binds: [AppServerBind(endpoint: Self.app, raw: "127.0.0.1:8000", source: "command line", protocolName: "uwsgi")],
                              cmdline: ["uwsgi", "--socket", "127.0.0.1:8000", "--logto", "/var/log/uwsgi/app.log"],
                              limits: AppServerLimits(bufferSize: AppServerSetting("4096", source: "default")))
        var route = Self.route("/", line: 12, target: .endpoint(scheme: "uwsgi", Self.app))
        route.directive = "uwsgi_pass"
        route.settings.module = "uwsgi"
        // nginx stops the line at 2047 bytes: no `upstream:` and no closing quote.
        let prefix = "2026/11/21 11:21:22 [error] 7266#7266: *4 recv() failed (104: Connection reset by peer) while reading response header from upstream, client: 127.0.0.1, server: example.com, request: \"GET /search/?q="
        let line = prefix + String(repeating: "x", count: 2047 - prefix.utf8.count)
        let cut = try #require(NginxErrorLog.parse(Substring(line), source: "/var/log/nginx/error.log:1", localZone: Self.utc))
        #expect(cut.endpoint == nil && cut.upstream == nil)
        let finding = try #require(RequestTooLargeCheck().run(Self.facts(routes: [route], events: [cut], apps: [uwsgi])).first)
        #expect(finding.cause == "uwsgi-buffer-size")
        #expect(finding.severity == .warning)
        #expect(finding.summary.contains("1 request with a request line of 2 kB or more to 127.0.0.1:8000 was closed"), "\(finding.summary)")
        #expect(finding.evidence.contains { $0.source == "grep 'invalid request block size' /var/log/uwsgi/app.log" })

        // An ordinary close at the address (a harakiri kill) is premature-close's: latent only.
        let ordinary = try Self.event("upstream prematurely closed connection while reading response header from upstream",
                                      request: "GET /slow/ HTTP/1.1", number: 3)
        let quiet = try #require(RequestTooLargeCheck().run(Self.facts(routes: [route], events: [ordinary], apps: [uwsgi])).first)
        #expect(quiet.severity == .info && quiet.summary.contains("would get a 502"), "\(quiet.summary)")

        // Another server's cut line is not this route's.
        let other = line.replacingOccurrences(of: "server: example.com", with: "server: other.example")
        let foreign = try #require(NginxErrorLog.parse(Substring(other), source: "/var/log/nginx/error.log:2", localZone: Self.utc))
        let latent = try #require(RequestTooLargeCheck().run(Self.facts(routes: [route], events: [foreign], apps: [uwsgi])).first)
        #expect(latent.severity == .info)
    }
}
