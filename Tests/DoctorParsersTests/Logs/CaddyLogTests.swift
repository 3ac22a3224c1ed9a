import DoctorFacts
import DoctorParsers
import Foundation
import Testing

/// Caddy's JSON log lines, read from logs captured from a real Caddy 2.6.2 in front of
/// broken upstreams (Fixtures/caddy/README.md says how): every failure Caddy's reverse proxy
/// logs must come out as the same `UpstreamErrorKind` nginx's line for it gives.
@Suite("Caddy logs")
struct CaddyLogTests {
    static func lines(_ name: String) throws -> [Substring] {
        try Fixtures.text("caddy/\(name)").split(separator: "\n")
    }

    static func events() throws -> [ProxyLogEvent] {
        try lines("caddy-2.6.2-default.log").compactMap { raw in
            CaddyLogLine(raw).flatMap { CaddyLog.event($0, raw: raw, source: "caddy.log") }
        }
    }

    /// The failure a request path met, from its event.
    static func event(_ path: String, in events: [ProxyLogEvent]) -> ProxyLogEvent? {
        events.first { $0.request?.contains(" \(path)") == true }
    }

    @Test("every reverse-proxy failure of the capture is classified as nginx's line for it is")
    func classifiesCapturedFailures() throws {
        let events = try Self.events()
        // Start-up notices, access lines and the healthy requests are no events.
        #expect(events.count == 8, "\(events.map(\.message))")
        let expected: [(String, UpstreamErrorKind, Int?, Endpoint?)] = [
            ("/refused/x", .refused, 111, .tcp(host: "127.0.0.1", port: 8001)),
            ("/nosock/x", .noSuchFile, 2, .unix(path: "/tmp/caddy-exp/run/missing.sock")),
            ("/perm/x", .permissionDenied, 13, .unix(path: "/tmp/caddy-exp/run/private.sock")),
            ("/eof/x", .prematureClose, nil, nil),
            ("/slow/x", .readTimeout, 110, nil),
            ("/stale/x", .refused, 111, .unix(path: "/tmp/caddy-exp/run/stale.sock")),
            ("/reset/x", .reset, 104, .tcp(host: "127.0.0.1", port: 8005)),
        ]
        for (path, kind, errno, endpoint) in expected {
            let event = try #require(Self.event(path, in: events), "no event for \(path)")
            #expect(event.kind == kind, "\(path): \(event.message)")
            #expect(event.errno == errno, "\(path): \(event.message)")
            #expect(event.endpoint == endpoint, "\(path): \(event.message)")
            #expect(event.level == "error")
            #expect(event.host == "lab.test:8080")
            #expect(event.time != nil)
        }
        // Two upstreams, both down: Caddy's random policy dialed one of them and logged which.
        let group = try #require(Self.event("/group/x", in: events))
        #expect(group.kind == .refused && group.errno == 111)
        #expect([Endpoint.tcp(host: "127.0.0.1", port: 8006), .tcp(host: "127.0.0.1", port: 8007)].contains(group.endpoint), "\(group.message)")
    }

    @Test("times are Caddy's float Unix seconds; the request line reads like nginx's; the query's secret is redacted")
    func fieldsAndRedaction() throws {
        let events = try Self.events()
        let refused = try #require(Self.event("/refused/x", in: events))
        #expect(refused.request?.hasPrefix("GET /refused/x") == true, "\(refused.request ?? "-")")
        #expect(refused.request?.hasSuffix("HTTP/1.1") == true)
        #expect(!refused.line.contains("s3cret"), "\(refused.line)")
        #expect(!(refused.request ?? "").contains("s3cret"), "\(refused.request ?? "")")
        // Evidence without the request headers Caddy logs.
        #expect(!refused.line.contains("User-Agent") && refused.line.contains("dial tcp 127.0.0.1:8001"), "\(refused.line)")
        let first = try #require(refused.time)
        // Captured on 2026-11-21 (UTC).
        #expect(abs(first.timeIntervalSince1970 - 1_795_267_900) < 100_000, "\(first)")
        let timeout = try #require(Self.event("/slow/x", in: events))
        #expect(timeout.message == "net/http: timeout awaiting response headers")
    }

    @Test("the window: counts by kind and address, and a route's one upstream fills in for EOF and header timeouts")
    func errorWindow() throws {
        let lines = try Self.lines("caddy-2.6.2-default.log")
        let start = Date(timeIntervalSince1970: 1_700_000_000)
        let entries = CaddyLogWindow.entries(lines, windowStart: start)
        let routes = [
            CaddyLogWindow.RouteKey(label: "lab.test /eof/", location: "/eof/", hosts: ["lab.test"], pathPrefix: "/eof/",
                                    endpoint: .tcp(host: "127.0.0.1", port: 8002)),
            CaddyLogWindow.RouteKey(label: "lab.test /slow/", location: "/slow/", hosts: ["lab.test"], pathPrefix: "/slow/",
                                    endpoint: .tcp(host: "127.0.0.1", port: 8003)),
        ]
        let window = CaddyLogWindow.errors(entries, path: "/var/log/caddy/caddy.log", windowStart: start, firstLineNumber: 1,
                                           cutShort: false, routes: routes)
        #expect(window.events.count == 8)
        #expect(window.counts["refused 127.0.0.1:8001"] == 1, "\(window.counts)")
        #expect(window.counts["no-such-file unix:/tmp/caddy-exp/run/missing.sock"] == 1, "\(window.counts)")
        #expect(window.counts["premature-close 127.0.0.1:8002"] == 1, "\(window.counts)")
        #expect(window.counts["read-timeout 127.0.0.1:8003"] == 1, "\(window.counts)")
        let eof = try #require(Self.event("/eof/x", in: window.events))
        #expect(eof.endpoint == .tcp(host: "127.0.0.1", port: 8002))
        // file:line of the line in the log.
        let lineNumber = try #require(lines.firstIndex { $0.contains("\"msg\":\"EOF\"") }) + 1
        #expect(eof.source == "/var/log/caddy/caddy.log:\(lineNumber)")
        // A window that starts after the capture holds nothing.
        let later = CaddyLogWindow.entries(lines, windowStart: Date(timeIntervalSince1970: 1_900_000_000))
        #expect(later.isEmpty)
    }

    @Test("access lines: statuses per route, and a 5xx with an error line is Caddy's, one without is the app's")
    func accessWindow() throws {
        let start = Date(timeIntervalSince1970: 1_700_000_000)
        let errors = CaddyLogWindow.entries(try Self.lines("caddy-2.6.2-default.log"), windowStart: start)
        let access = CaddyLogWindow.entries(try Self.lines("caddy-2.6.2-access.log"), windowStart: start)
        let routes = [CaddyLogWindow.RouteKey(label: "lab.test /", location: "/", hosts: ["lab.test"], pathPrefix: "/")]
        let failures = CaddyLogWindow.proxyFailures(errors + access)
        let window = try #require(CaddyLogWindow.access(access, path: "access.log", source: nil, windowStart: start,
                                                        firstLineNumber: 1, cutShort: false, bytesRead: 0, routes: routes,
                                                        proxyFailures: failures))
        #expect(window.lines == 10)
        #expect(window.total.count(502) == 7, "\(window.total)")
        #expect(window.total.count(504) == 1)
        #expect(window.total.count(200) == 1)
        #expect(window.total.fromProxy[502] == 7 && window.total.fromProxy[504] == 1, "\(window.total)")
        #expect(window.total.fromApp[500] == 1, "\(window.total)")
        #expect(window.routes.first?.counts.requests == 10)
        #expect(window.failureSamples.contains { $0.path == "/refused/x" }, "no query string in samples")
        // Without the error logger's lines the origin of a 5xx is unknown.
        let unknown = try #require(CaddyLogWindow.access(access, path: "access.log", source: nil, windowStart: start,
                                                         firstLineNumber: 1, cutShort: false, bytesRead: 0, routes: routes,
                                                         proxyFailures: nil))
        #expect(unknown.total.unknownOrigin == 9)
        #expect(!unknown.logsUpstreamStatus)
    }

    @Test("lines that are not Caddy's JSON are skipped, never a crash", arguments: [
        "", "not json", "{", "{\"level\":1}", "[1,2]", "\u{0}\u{1}binary", String(repeating: "{\"a\":", count: 5000),
        #"{"level":"error","logger":"http.log.error","msg":"open /srv/x: no such file or directory","status":404}"#,
    ])
    func hostileLines(_ text: String) {
        let line = CaddyLogLine(Substring(text))
        let event = line.flatMap { CaddyLog.event($0, raw: Substring(text), source: "x") }
        // A file server's 404 is not an upstream failure.
        #expect(event == nil)
    }

    @Test("Caddy logging to stderr under systemd: its journal's MESSAGEs are the same JSON lines and give the same events")
    func journalMessages() throws {
        // systemd cannot run as PID 1 here, so no real caddy.service journal was recorded: the
        // envelope is a real `journalctl -o json` entry (systemd 252, the systemd-healthy fixture's
        // gunicorn unit), its MESSAGE swapped for a real Caddy 2.6.2 error line, as journald stores
        // a service's stderr line.
        let caddyLine = try #require(try Self.lines("caddy-2.6.2-default.log").first { $0.contains("no such file or directory") })
        var envelope: [String: Any] = [
            "_SYSTEMD_UNIT": "caddy.service", "SYSLOG_IDENTIFIER": "caddy", "PRIORITY": "6", "_TRANSPORT": "stdout",
            "__REALTIME_TIMESTAMP": "1795267939168000", "_PID": "2211", "_COMM": "caddy",
        ]
        envelope["MESSAGE"] = String(caddyLine)
        let json = String(decoding: try JSONSerialization.data(withJSONObject: envelope, options: [.sortedKeys]), as: UTF8.self)
        let entries = JournalJSON.parse(json + "\n")
        let message = try #require(entries.first?.message)
        let window = CaddyLogWindow.errors(CaddyLogWindow.entries([Substring(message)], windowStart: Date(timeIntervalSince1970: 1_700_000_000)),
                                           path: "journalctl -u caddy.service", windowStart: Date(timeIntervalSince1970: 1_700_000_000),
                                           firstLineNumber: nil, cutShort: false)
        #expect(window.events.count == 1)
        #expect(window.events.first?.kind == .noSuchFile)
        #expect(window.events.first?.endpoint == .unix(path: "/tmp/caddy-exp/run/missing.sock"))
        #expect(window.events.first?.source == "journalctl -u caddy.service")
    }

    @Test("Go's error texts for failures the capture did not cover")
    func otherTexts() {
        #expect(CaddyLog.classify("dial tcp 10.0.0.9:8000: i/o timeout").kind == .connectTimeout)
        #expect(CaddyLog.classify("dial tcp: lookup app.invalid on 127.0.0.53:53: no such host").kind == .unresolvable)
        #expect(CaddyLog.classify("dial unix /run/app.sock: connect: resource temporarily unavailable").kind == .backlogFull)
        #expect(CaddyLog.classify("no upstreams available").kind == .noLiveUpstreams)
        #expect(CaddyLog.classify("net/http: server response headers exceeded 1048576 bytes; aborted").kind == .headerTooBig)
        #expect(CaddyLog.classify("dial tcp [::1]:8000: connect: connection refused").endpoint == .tcp(host: "::1", port: 8000))
    }
}
