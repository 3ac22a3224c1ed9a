import DoctorFacts
import DoctorParsers
import Foundation
import Testing

@Suite("nginx error log window")
struct NginxErrorLogWindowTests {
    static let zone = TimeZone(secondsFromGMT: 0)!

    static func refused(_ time: String, connection: Int, socket: String = "/run/app/gunicorn.sock") -> String {
        #"2026/11/21 \#(time) [error] 4242#4242: *\#(connection) connect() to unix:\#(socket) failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: example.com, request: "GET /health/ HTTP/1.1", upstream: "http://unix:\#(socket):/health/", host: "example.com""#
    }

    static func noLive(_ time: String, connection: Int) -> String {
        #"2026/11/21 \#(time) [error] 4242#4242: *\#(connection) no live upstreams while connecting to upstream, client: 127.0.0.1, server: example.com, request: "GET /x HTTP/1.1", upstream: "http://app/x", host: "example.com""#
    }

    static let start = Date(timeIntervalSince1970: 1_795_246_800) // 2026-11-21 07:40:00 UTC

    @Test func countsTheWholeWindowAndKeepsTheLastEvents() {
        var lines = [
            Self.refused("07:39:59", connection: 1), // before the window
            "2026/11/21 07:40:00 [notice] 4242#4242: signal process started",
        ]
        for second in 0..<30 { lines.append(Self.refused(String(format: "07:41:%02d", second), connection: 10 + second)) }
        lines.append(Self.noLive("07:42:00", connection: 99))
        lines.append(Self.refused("07:42:01", connection: 100, socket: "/run/other.sock"))
        lines.append(#"2026/11/21 07:42:02 [error] 4242#4242: *101 no resolver defined to resolve app.internal, client: 127.0.0.1, server: example.com, request: "GET / HTTP/1.1", host: "example.com""#)
        lines.append("garbage \u{0}\u{1}")

        let window = NginxErrorLogWindow.summarize(lines: lines.map { Substring($0) }, path: "/var/log/nginx/error.log",
                                                   windowStart: Self.start, firstLineNumber: 1200, cutShort: false,
                                                   keepLast: 5, localZone: Self.zone)
        #expect(window.counts == [
            "refused unix:/run/app/gunicorn.sock": 30,
            "no-live-upstreams http://app": 1,
            "refused unix:/run/other.sock": 1,
            "unresolvable app.internal": 1,
        ])
        #expect(window.events.count == 5)
        #expect(window.events.map(\.kind) == [.refused, .refused, .noLiveUpstreams, .refused, .unresolvable])
        // Oldest first; sources count from the first line's number.
        #expect(window.events.map(\.source) == (30...34).map { "/var/log/nginx/error.log:\(1200 + $0)" })
        #expect(window.events.first?.time == Date(timeIntervalSince1970: 1_795_246_800 + 88))
        #expect(window.path == "/var/log/nginx/error.log")
        #expect(window.windowStart == Self.start)
        #expect(!window.cutShort)
    }

    @Test func fewerEventsThanKeptAndNoLineNumbers() {
        let lines = [Self.refused("07:41:00", connection: 1), Self.noLive("07:41:01", connection: 2)].map { Substring($0) }
        let window = NginxErrorLogWindow.summarize(lines: lines, path: "error.log", windowStart: Self.start, firstLineNumber: nil,
                                                   cutShort: true, localZone: Self.zone)
        #expect(window.events.map(\.kind) == [.refused, .noLiveUpstreams])
        #expect(window.events.map(\.source) == ["error.log", "error.log"])
        #expect(window.cutShort)
    }

    @Test func keepingNoneStillCounts() {
        let lines = (0..<3).map { Substring(Self.refused("07:41:0\($0)", connection: $0)) }
        let window = NginxErrorLogWindow.summarize(lines: lines, path: "e", windowStart: Self.start, firstLineNumber: 1,
                                                   cutShort: false, keepLast: 0, localZone: Self.zone)
        #expect(window.events.isEmpty)
        #expect(window.counts == ["refused unix:/run/app/gunicorn.sock": 3])
        #expect(NginxErrorLogWindow.summarize(lines: lines, path: "e", windowStart: Self.start, firstLineNumber: 1,
                                              cutShort: false, keepLast: -3, localZone: Self.zone).events.isEmpty)
    }

    @Test func aBusyWindowIsSummarisedInBoundedWork() {
        // 20,000 failures, each line redacted only if it is kept.
        let lines = (0..<20_000).map { Substring(Self.refused("07:41:00", connection: $0)) }
        let window = NginxErrorLogWindow.summarize(lines: lines, path: "e", windowStart: Self.start, firstLineNumber: 1,
                                                   cutShort: false, localZone: Self.zone)
        #expect(window.counts["refused unix:/run/app/gunicorn.sock"] == 20_000)
        #expect(window.events.count == 20)
        #expect(window.events.last?.source == "e:20000")
    }
}
