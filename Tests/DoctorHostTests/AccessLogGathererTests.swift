import DoctorFacts
@testable import DoctorHost
import Foundation
import Testing

/// The access-log gatherer on real files: it finds the window from the end of a big log
/// (pread on a live host, growing tails through a recorder), and turns bad input into
/// `Unavailable` facts.
@Suite("Access log gatherer")
struct AccessLogGathererTests {
    private let format = #"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $upstream_status $upstream_addr $request_time"#

    private func stamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "dd/MMM/yyyy:HH:mm:ss Z"
        return formatter.string(from: date)
    }

    private func line(_ date: Date, _ path: String, _ status: Int, _ upstream: String = "127.0.0.1:8000") -> String {
        "10.0.0.1 - - [\(stamp(date))] \"GET \(path) HTTP/1.1\" \(status) 157 \"-\" \"curl/7.88.1\" \(status) \(upstream) 0.002\n"
    }

    private func proxy(_ logFormats: [String: String]) -> ProxyInstance {
        ProxyInstance(kind: .nginx, configPath: "/etc/nginx/nginx.conf", logFormats: logFormats)
    }

    private func route(_ location: String, log path: String, format: String = "up") -> Route {
        Route(proxy: .nginx, listen: ["80"], serverNames: ["app.test"], location: location, directive: "proxy_pass",
              target: .endpoint(scheme: "http", .tcp(host: "127.0.0.1", port: 8000)),
              source: SourceLocation(file: "/etc/nginx/nginx.conf", line: 9),
              settings: RouteSettings(values: ["access_log": [RouteSetting(name: "access_log", args: [path, format],
                                                                           source: SourceLocation(file: "/etc/nginx/nginx.conf", line: 3))]]))
    }

    /// 24 MB of lines two hours old, then 40 recent lines (4 of them 502s on /api/).
    private func bigLog(_ dir: TemporaryDirectory, now: Date) throws -> String {
        let path = dir.file("access.log")
        try #require(FileManager.default.createFile(atPath: path, contents: nil))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        let old = line(now.addingTimeInterval(-7200), "/old/", 502)
        let block = Data(String(repeating: old, count: (1 << 20) / old.utf8.count).utf8)
        for _ in 0..<24 { handle.write(block) }
        var recent = ""
        for index in 0..<40 {
            let failed = index % 10 == 9
            recent += line(now.addingTimeInterval(Double(-300 + index)), failed ? "/api/orders" : "/", failed ? 502 : 200)
        }
        handle.write(Data(recent.utf8))
        try handle.close()
        return path
    }

    @Test func liveHostReadsOnlyTheWindowFromTheEnd() throws {
        let dir = try TemporaryDirectory()
        let now = Date()
        let path = try bigLog(dir, now: now)
        let routes = [route("/", log: path), route("/api/", log: path)]
        let (windows, unavailable) = AccessLogGatherer(host: LiveHost())
            .gather([proxy(["up": format])], routes: routes, since: now.addingTimeInterval(-900))
        #expect(unavailable.isEmpty, "\(unavailable)")
        let window = try #require(windows.first)
        #expect(window.lines == 40 && window.unmatched == 0)
        #expect(window.total.statuses == [200: 36, 502: 4])
        #expect(window.routes.map(\.counts.statuses) == [[200: 36], [502: 4]])
        #expect(window.upstreams.map(\.address) == ["127.0.0.1:8000"])
        // 24 MB file: the probes and the window cost well under 2 MB of reads.
        #expect(window.bytesRead < 2 << 20, "read \(window.bytesRead) bytes")
        #expect(window.failureSamples.last?.source == path, "line numbers are unknown when the start was not read")
        #expect(window.source == SourceLocation(file: "/etc/nginx/nginx.conf", line: 3))

        // --since 100y: the whole file, every old line counted.
        let (all, _) = AccessLogGatherer(host: LiveHost())
            .gather([proxy(["up": format])], routes: routes, since: now.addingTimeInterval(-100 * 365 * 86400))
        let whole = try #require(all.first)
        #expect(whole.total.count(502) > 90_000 && whole.total.count(200) == 36)
        #expect(whole.failureSamples.last.map { $0.source.hasPrefix(path + ":") } == true, "line numbers known from the start")
    }

    @Test func throughARecorderTheTailGrowsToTheWindowOnly() throws {
        let dir = try TemporaryDirectory()
        let now = Date()
        let path = try bigLog(dir, now: now)
        let recorder = SnapshotRecorder(wrapping: LiveHost(), gwdoctorVersion: "test")
        let (windows, unavailable) = AccessLogGatherer(host: recorder)
            .gather([proxy(["up": format])], routes: [route("/", log: path)], since: now.addingTimeInterval(-900))
        #expect(unavailable.isEmpty, "\(unavailable)")
        let window = try #require(windows.first)
        #expect(window.total.statuses == [200: 36, 502: 4] && !window.cutShort)
        #expect(window.bytesRead <= 256 << 10, "a 256 KiB tail holds the window: read \(window.bytesRead)")

        // `access_log /dev/stdout` (a container's): never read, on either path.
        for host in [recorder as any DoctorHost.Host, LiveHost()] {
            let (none, why) = AccessLogGatherer(host: host)
                .gather([proxy(["up": format])], routes: [route("/", log: "/dev/stdout")], since: now.addingTimeInterval(-900))
            #expect(none.isEmpty && why.first?.reason.contains("not a regular file") == true, "\(why)")
        }
    }

    @Test func badInputBecomesUnavailable() throws {
        let dir = try TemporaryDirectory()
        let now = Date()
        let binary = dir.file("binary.log")
        try Data((0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) }).write(to: URL(fileURLWithPath: binary))
        let routes = [route("/", log: dir.file("missing.log")), route("/dir/", log: dir.path),
                      route("/bin/", log: binary), route("/fmt/", log: dir.file("x.log"), format: "nosuch")]
        let (windows, unavailable) = AccessLogGatherer(host: LiveHost())
            .gather([proxy(["up": format])], routes: routes, since: now.addingTimeInterval(-900))
        #expect(unavailable.map(\.what).sorted() == ["access log \(dir.path)", "access log \(dir.file("missing.log"))",
                                                      "access log \(dir.file("x.log"))"].sorted())
        #expect(unavailable.contains { $0.reason.contains("log_format nosuch is not defined") })
        // A binary file is read (it is a regular file) and yields no request, not a crash.
        #expect(windows.map(\.path) == [binary])
        #expect(windows.first?.total.requests == 0)
    }
}
