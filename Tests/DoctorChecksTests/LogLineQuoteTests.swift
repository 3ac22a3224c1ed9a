import DoctorChecks
import DoctorFacts
import DoctorHost
import DoctorParsers
import Foundation
import Testing

/// `LogLineQuote` on real log lines: the lab's recorded fixtures (nginx 1.22.1, Caddy 2.6.2)
/// and two lines generated for this test in a network namespace (nginx 1.22.1 and Caddy
/// 2.6.2 passing to a closed port, curl sending a query string and a Referer), and the
/// whole path from a replayed snapshot to the report a person reads.
@Suite struct LogLineQuoteTests {
    /// nginx 1.22.1, `curl -e 'https://shop.example.com/account/?session=abc123&next=/x'
    /// 'http://127.0.0.1:18080/reset/?code=8f3a91c2e7&sig=Zm9vYmFy'`, proxy_pass to a closed port.
    static let nginxReferrerLine = #"2026/11/21 16:30:57 [error] 31102#31102: *1 connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: shop.example.com, request: "GET /reset/?code=8f3a91c2e7&sig=Zm9vYmFy HTTP/1.1", upstream: "http://127.0.0.1:18001/reset/?code=8f3a91c2e7&sig=Zm9vYmFy", host: "shop.example.com", referrer: "https://shop.example.com/account/?session=abc123&next=/x""#

    /// Caddy 2.6.2, the same request to `reverse_proxy 127.0.0.1:18002` (closed), its default log.
    static let caddyReferrerLine = #"{"level":"error","ts":1795278666.1367993,"logger":"http.log.error","msg":"dial tcp 127.0.0.1:18002: connect: connection refused","request":{"remote_ip":"127.0.0.1","remote_port":"38246","proto":"HTTP/1.1","method":"GET","host":"shop.example.com:18081","uri":"/reset/?code=8f3a91c2e7&sig=Zm9vYmFy","headers":{"Accept":["*/*"],"Referer":["https://shop.example.com/account/?session=abc123&next=/x"],"User-Agent":["curl/7.88.1"]}},"duration":0.000519371,"status":502,"err_id":"mrsdyqq0p","err_trace":"reverseproxy.statusError (reverseproxy.go:1272)"}"#

    static func fixtureLines(_ snapshot: String, _ file: String) throws -> [String] {
        let url = CheckFixtureTests.fixtures.appendingPathComponent("snapshots/\(snapshot)/fs/tmp/gwdoctor-example-\(snapshot)/\(file)")
        return try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    @Test func nginxRequestUpstreamAndReferrerLoseTheirQueriesOnly() {
        let quoted = LogLineQuote.withoutQueries(Self.nginxReferrerLine)
        let expected = Self.nginxReferrerLine
            .replacingOccurrences(of: "?code=8f3a91c2e7&sig=Zm9vYmFy", with: "?…")
            .replacingOccurrences(of: "?session=abc123&next=/x", with: "?…")
        #expect(quoted == expected)
        #expect(quoted.contains(#"request: "GET /reset/?… HTTP/1.1""#))
        #expect(quoted.contains(#"upstream: "http://127.0.0.1:18001/reset/?…""#))
        #expect(quoted.contains(#"referrer: "https://shop.example.com/account/?…""#))
        for secret in ["8f3a91c2e7", "Zm9vYmFy", "abc123"] { #expect(!quoted.contains(secret), "\(secret) in \(quoted)") }
        // Short enough once the queries are gone: nothing is cut.
        #expect(LogLineQuote.quote(Self.nginxReferrerLine) == expected)
    }

    /// The lab's read-timeout lines (`GET /slow/?s=3`): every query goes, every other byte stays.
    @Test func recordedNginxLinesKeepEverythingButTheQuery() throws {
        let lines = try Self.fixtureLines("timeout-slow-view", "logs/error.log")
        let withQuery = lines.filter { $0.contains("?s=") }
        #expect(!withQuery.isEmpty)
        for line in lines {
            let quoted = LogLineQuote.withoutQueries(line)
            let expected = line.replacingOccurrences(of: #"\?s=[0-9.]+"#, with: "?…", options: .regularExpression)
            #expect(quoted == expected)
            #expect(!quoted.contains("?s="))
            if !line.contains("?") { #expect(quoted == line) }
        }
        let slow = try #require(withQuery.first { $0.contains("upstream:") })
        #expect(LogLineQuote.quote(slow).contains(#"request: "GET /slow/?… HTTP/1.1", upstream: "http://127.0.0.1:8000/slow/?…""#))
    }

    /// nginx stops a line at 2048 bytes: the 6 kB query runs to the end, with no closing quote.
    @Test func aLineNginxCutMidQueryEndsAtTheElision() throws {
        let lines = try Self.fixtureLines("response-uwsgi-buffer-size", "logs/error.log")
        let cut = try #require(lines.first { $0.contains("?pad=") })
        #expect(cut.utf8.count > 2000)
        let prefix = try #require(cut.range(of: "?pad=")).lowerBound
        #expect(LogLineQuote.quote(cut) == String(cut[..<prefix]) + "?…")
        #expect(LogLineQuote.quote(cut).hasSuffix(#"request: "GET /health/?…"#))
    }

    @Test func caddyJSONLinesLoseUriAndRefererQueries() throws {
        let stripped = LogLineQuote.withoutQueries(Self.caddyReferrerLine)
        let expected = Self.caddyReferrerLine
            .replacingOccurrences(of: "?code=8f3a91c2e7&sig=Zm9vYmFy", with: "?…")
            .replacingOccurrences(of: "?session=abc123&next=/x", with: "?…")
        #expect(stripped == expected)
        #expect(stripped.contains(#""uri":"/reset/?…""#))
        #expect(stripped.contains(#""Referer":["https://shop.example.com/account/?…"]"#))

        // The recorded lab line (a read timeout) too; its access-log twin and a line without a query.
        for line in try Self.fixtureLines("caddy-timeout", "logs/caddy/caddy.log") + Self.fixtureLines("caddy-timeout", "logs/caddy/access.log") {
            let quoted = LogLineQuote.withoutQueries(line)
            #expect(quoted == line.replacingOccurrences(of: #"\?s=[0-9.]+"#, with: "?…", options: .regularExpression))
        }
        for line in try Self.fixtureLines("caddy-socket-missing", "logs/caddy/access.log") {
            #expect(LogLineQuote.withoutQueries(line) == line, "no query: untouched")
        }
    }

    /// App servers log a request as a method and a path: Gunicorn's `Error handling request
    /// GET /slow/?s=10` and uWSGI's `HARAKIRI [core 0] 127.0.0.1 - GET /slow/?s=10 since …`,
    /// both quoted by the worker-death checks.
    @Test func appServerRequestLinesLoseTheirQueries() throws {
        let lines = try Self.fixtureLines("deaths-python-timeout-500", "logs/app.err.log")
            + Self.fixtureLines("deaths-uwsgi-harakiri", "logs/app.err.log")
        let withQuery = lines.filter { $0.contains("?s=") }
        #expect(withQuery.contains { $0.contains("Error handling request GET /slow/?s=10") })
        #expect(withQuery.contains { $0.contains("HARAKIRI [core 0] 127.0.0.1 - GET /slow/?s=10 since") })
        for line in lines {
            let quoted = LogLineQuote.withoutQueries(line)
            #expect(quoted == line.replacingOccurrences(of: #"\?s=[0-9.]+"#, with: "?…", options: .regularExpression))
            if !line.contains("?") { #expect(quoted == line) }
        }
        #expect(LogLineQuote.withoutQueries("GET /slow/?s=10 since 1795261045") == "GET /slow/?… since 1795261045")
        // Not a method of its own, or no path after it: untouched.
        for text in ["FORGET /a?b", "GET ?x", "get /a?b", "TARGET /a?b"] { #expect(LogLineQuote.withoutQueries(text) == text) }
    }

    /// The summary gwdoctor makes of a Caddy error line (`request "GET … HTTP/1.1"`).
    @Test func caddyEventSummaryLosesTheRequestQuery() throws {
        let parsed = try #require(CaddyLogLine(Substring(Self.caddyReferrerLine)))
        let event = try #require(CaddyLog.event(parsed, raw: Substring(Self.caddyReferrerLine), source: "/var/log/caddy/caddy.log:1"))
        #expect(event.line.contains("?code=8f3a91c2e7"), "the fact keeps the line as logged: \(event.line)")
        let quoted = LogLineQuote.quote(event.line)
        #expect(quoted == event.line.replacingOccurrences(of: "?code=8f3a91c2e7&sig=Zm9vYmFy", with: "?…"))
        #expect(quoted.contains(#"request "GET /reset/?… HTTP/1.1""#), "\(quoted)")
    }

    @Test func anOverLongLineIsCutAtACharacterWithAnEllipsis() throws {
        // Caddy's line is still 498 characters without its queries.
        let capped = LogLineQuote.quote(Self.caddyReferrerLine)
        #expect(capped.count == LogLineQuote.maxCharacters)
        #expect(capped.hasSuffix("…"))
        #expect(LogLineQuote.withoutQueries(Self.caddyReferrerLine).hasPrefix(String(capped.dropLast())))

        // A long path (no query) is cut, never inside a character: `é` as e + combining accent.
        let accented = String(repeating: "e\u{301}", count: 500)
        let cut = LogLineQuote.cap(accented)
        #expect(cut.count == 400 && cut.hasSuffix("…"))
        #expect(cut.unicodeScalars.dropLast().count == 399 * 2, "each kept character whole")
        #expect(LogLineQuote.cap("short line") == "short line")
    }

    @Test func quotingIsIdempotentAndLeavesOtherQuestionMarksAlone() {
        for line in [Self.nginxReferrerLine, Self.caddyReferrerLine] {
            let once = LogLineQuote.quote(line)
            #expect(LogLineQuote.quote(once) == once)
        }
        let plain = #"2026/11/21 11:00:00 [error] 1#1: *1 what? upstream sent no valid HTTP/1.0 header while reading response header from upstream, client: 127.0.0.1, server: a?b, request: "GET /health/ HTTP/1.1", upstream: "http://127.0.0.1:8000/health/", host: "lab.test""#
        #expect(LogLineQuote.quote(plain) == plain)
        // A bare `?` (empty query) gains nothing.
        let empty = #"request: "GET /x? HTTP/1.1""#
        #expect(LogLineQuote.withoutQueries(empty) == empty)
    }

    /// The whole way: a replayed snapshot whose logs hold requests with a query (`/slow/?s=3`,
    /// a 6 kB `/health/?pad=…`) gives findings that quote lines as logged, and the report a
    /// person reads (text, JSON, Markdown and watch's incidents all render `Report.redacted()`)
    /// holds no query in any evidence, summary or fix.
    @Test(arguments: ["timeout-slow-view", "deaths-uwsgi-harakiri", "caddy-timeout",
                      "response-uwsgi-buffer-size"])
    func aReplayedDiagnosisReportsNoQuery(snapshot: String) async throws {
        let directory = CheckFixtureTests.fixtures.appendingPathComponent("snapshots/\(snapshot)").path
        let host = try SnapshotHost(directory: directory)
        let scope = SnapshotScope.read(from: directory)
        var options = GatherOptions(nginxConfig: scope?.nginxConfig, nginxPrefix: scope?.nginxPrefix, probe: true,
                                    sinceSeconds: scope?.sinceSeconds ?? 900)
        options.caddyfile = scope?.caddyfile
        let facts = await FactGatherer(host: host, options: options).gather()
        let diagnosis = VerdictRanker.diagnose(facts)
        let query = #"\?(s|pad)="#
        let raw = diagnosis.findings.flatMap(\.evidence).filter { $0.kind == .log && $0.text.range(of: query, options: .regularExpression) != nil }
        #expect(!raw.isEmpty, "the fixture's findings quote a line with a query: \(diagnosis.findings.map(\.check))")

        let report = Report(status: diagnosis.status, verdict: diagnosis.verdict, findings: diagnosis.findings,
                            routes: facts.routes.map(RouteRow.init), unavailable: facts.unavailable).redacted()
        let evidence = report.verdict.evidence + report.findings.flatMap(\.evidence)
        let texts = evidence.map(\.text) + [report.verdict.summary] + report.verdict.fix
            + report.findings.flatMap { [$0.summary] + $0.fix }
        for text in texts { #expect(text.range(of: query, options: .regularExpression) == nil, "\(text)") }
        #expect(evidence.contains { $0.kind == .log && $0.text.contains("/?…") })
        #expect(evidence.allSatisfy { $0.kind != .log || $0.text.count <= LogLineQuote.maxCharacters })
    }
}
