import DoctorFacts
@testable import DoctorParsers
import Foundation
import Testing

/// Access logs written by a real nginx 1.22.1 (Fixtures/accesslogs/nginx.conf, run in a
/// network namespace): the same ten requests in `combined`, a format with the upstream
/// variables, and an `escape=json` format. The requests: app 200s, an app 500 and 503,
/// a refused 502, a retry over a dead then a live server, an exact and a regex location,
/// a static file, and a path with a quote (logged `\x22` / `\"`).
@Suite("access log scanner")
struct AccessLogScannerTests {
    private let locations = ["= /exact", "/refused/", "/app/", "/retry/", #"~ \.php$"#]

    private func scan(_ file: String, format: String, since: Int = 0, chunk: Int? = nil) throws -> AccessLogWindow {
        let bytes = Array(try Fixtures.text("accesslogs/" + file).utf8)
        var scanner = AccessLogScanner(format: AccessLogFormat(format), path: "/var/log/nginx/" + file, windowStart: since,
                                       routeLabels: locations.map { "_ " + $0 }, routeLocations: locations, firstLineNumber: 1)
        bytes.withUnsafeBufferPointer { buffer in
            // Fed in pieces like the gatherer does: a line cut by a chunk boundary is carried over.
            var from = 0
            let step = chunk ?? buffer.count
            var end = min(step, buffer.count)
            while from < buffer.count {
                let used = scanner.consume(UnsafeBufferPointer(rebasing: buffer[from..<end]), final: end == buffer.count)
                from += used
                end = min(max(end, from) + step, buffer.count)
            }
        }
        return scanner.summary(format: "test", source: nil, bytesRead: bytes.count)
    }

    private var upstreamsFormat: String {
        #"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" us=$upstream_status ua="$upstream_addr" urt=$upstream_response_time uht=$upstream_header_time rt=$request_time rl=$request_length"#
    }

    @Test(arguments: [nil, 7, 64, 333])
    func upstreamFormatTellsAppFromProxy(chunk: Int?) throws {
        let window = try scan("upstreams.log", format: upstreamsFormat, chunk: chunk)
        #expect(window.lines == 10 && window.unmatched == 0)
        #expect(window.total.statuses == [200: 7, 500: 1, 502: 1, 503: 1])
        // The app's 500 and 503 arrived with a header; the refused 502 did not (uht=-), though us=502.
        #expect(window.total.fromApp == [500: 1, 503: 1])
        #expect(window.total.fromProxy == [502: 1])
        #expect(window.total.unknownOrigin == 0)
        let byLocation = Dictionary(uniqueKeysWithValues: window.routes.map { ($0.location, $0.counts.statuses) })
        #expect(byLocation["/app/"] == [200: 2, 500: 1, 503: 1])
        #expect(byLocation["/refused/"] == [502: 1])
        #expect(byLocation["/retry/"] == [200: 2])
        #expect(byLocation["= /exact"] == [200: 1])
        #expect(byLocation[#"~ \.php$"#] == [200: 1])
        // /static.css is served by `location /`, which proxies nothing: no route counts it.
        #expect(window.routes.map(\.counts.requests).reduce(0, +) == 9)
        // Each server tried counts with its own status: the retry's dead server too.
        let upstreams = Dictionary(uniqueKeysWithValues: window.upstreams.map { ($0.address, $0.statuses) })
        #expect(upstreams["127.0.0.1:9"] == [502: 2])
        #expect(upstreams["127.0.0.1:8081"] == [200: 6, 500: 1, 503: 1])
        #expect(window.failureSamples.map(\.status) == [500, 502, 503])
        // The query string (a token) is not kept.
        #expect(window.failureSamples.map(\.path) == ["/app/500", "/refused/x", "/app/503"])
        #expect(window.failureSamples.map(\.source) == ["/var/log/nginx/upstreams.log:2", "/var/log/nginx/upstreams.log:3",
                                                         "/var/log/nginx/upstreams.log:4"])
        #expect(window.failureSamples[1].upstreamStatus == "502" && window.failureSamples[1].method == "GET")
        let first = try #require(window.firstTime), last = try #require(window.lastTime)
        #expect(ISO8601DateFormatter().string(from: first).hasPrefix("2026-11-21T11:1"))
        #expect(last >= first && window.firstFailure! >= first && window.lastFailure! <= last)
        #expect(window.minutes.map(\.requests).reduce(0, +) == 10 && window.minutes.map(\.serverErrors).reduce(0, +) == 3)
        #expect(window.minutes.map(\.gatewayErrors).reduce(0, +) == 1)
        #expect(window.logsUpstreamStatus && window.logsUpstreamAddress && window.logsRequestTime)
    }

    @Test func combinedCannotTellTheOrigin() throws {
        let window = try scan("combined.log", format: NginxModel.combinedLogFormat)
        #expect(window.lines == 10 && window.unmatched == 0)
        #expect(window.total.statuses == [200: 7, 500: 1, 502: 1, 503: 1])
        #expect(window.total.fromApp.isEmpty && window.total.fromProxy.isEmpty && window.total.unknownOrigin == 3)
        #expect(window.upstreams.isEmpty && !window.logsUpstreamStatus)
        #expect(window.failureSamples.map(\.upstreamStatus) == [nil, nil, nil])
    }

    @Test func jsonEscapedFormat() throws {
        let format = #"{"time":"$time_iso8601","status":$status,"request":"$request","upstream_status":"$upstream_status","upstream_addr":"$upstream_addr","request_time":$request_time,"ua":"$http_user_agent"}"#
        let window = try scan("json.log", format: format)
        #expect(window.lines == 10 && window.unmatched == 0)
        #expect(window.total.statuses == [200: 7, 500: 1, 502: 1, 503: 1])
        // us equals status for all three and no header time is logged: undecided, left to the error log.
        #expect(window.total.fromApp.isEmpty && window.total.fromProxy.isEmpty && window.total.unknownOrigin == 3)
        #expect(window.routes.first { $0.location == "/app/" }?.counts.statuses == [200: 2, 500: 1, 503: 1])
        // $time_iso8601 and $time_local of the same requests give the same instants.
        #expect(window.firstTime == (try scan("combined.log", format: NginxModel.combinedLogFormat)).firstTime)
        #expect(window.firstTime != nil)
    }

    @Test func windowStartSkipsOlderLines() throws {
        let all = try scan("upstreams.log", format: upstreamsFormat)
        let last = Int(try #require(all.lastTime).timeIntervalSince1970)
        let window = try scan("upstreams.log", format: upstreamsFormat, since: last)
        #expect(window.lines > 0 && window.lines == window.routes.map(\.counts.requests).reduce(0, +) + 1)
        #expect(window.firstTime == all.lastTime)
        let none = try scan("upstreams.log", format: upstreamsFormat, since: last + 1)
        #expect(none.lines == 0 && none.total.requests == 0 && none.firstFailure == nil)
    }

    @Test func garbageAndOtherFormatsAreUnmatchedNotCrashes() throws {
        var scanner = AccessLogScanner(format: AccessLogFormat(upstreamsFormat), path: "/x", windowStart: 0, routeLabels: [],
                                       routeLocations: [])
        let junk: [UInt8] = Array("not a log line\n\u{0}\u{1}\u{2}\n[21/Nov/2026:99:99:99 +0000]\n".utf8) + [0xFF, 0xFE, 0x0A]
        let used = junk.withUnsafeBufferPointer { scanner.consume($0, final: true) }
        #expect(used == junk.count)
        let window = scanner.summary(format: "x", source: nil, bytesRead: junk.count)
        #expect(window.lines == 4 && window.unmatched == 4 && window.total.requests == 0)
    }

    @Test func formatCompilation() {
        let format = AccessLogFormat(#"${status}|$upstream_status|$request_time"#)
        #expect(format.logs(.status) && format.logs(.upstreamStatus) && format.logs(.requestTime) && !format.logs(.request))
        #expect(AccessLogFormat(NginxModel.combinedLogFormat).logs(.timeLocal))
    }

    @Test func fieldValues() {
        func bytes(_ text: String, _ body: (UnsafeBufferPointer<UInt8>, Range<Int>) -> Int?) -> Int? {
            Array(text.utf8).withUnsafeBufferPointer { body($0, 0..<$0.count) }
        }
        #expect(bytes("21/Nov/2026:10:56:28 +0000", AccessLogFields.timeLocal) == 1_795_258_588)
        #expect(bytes("21/Nov/2026:11:56:28 +0100", AccessLogFields.timeLocal) == 1_795_258_588)
        #expect(bytes("2026-11-21T10:56:28+00:00", AccessLogFields.timeISO8601) == 1_795_258_588)
        #expect(bytes("2026-11-21T05:56:28-05:00", AccessLogFields.timeISO8601) == 1_795_258_588)
        #expect(bytes("1795258588.123", AccessLogFields.msec) == 1_795_258_588)
        #expect(bytes("21/Foo/2026:10:56:28 +0000", AccessLogFields.timeLocal) == nil)
        let seconds = Array("0.001, 1.250".utf8).withUnsafeBufferPointer { AccessLogFields.seconds($0, 0..<$0.count) }
        #expect(seconds == 1.25)
    }
}
