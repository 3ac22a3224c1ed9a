import DoctorFacts
import DoctorLab
import DoctorWatch
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The parts of `gwdoctor watch` that need no lab: the metrics text (rendered, then parsed back
/// by a strict reader), the edge detection, incident files on disk, the listen rule, and the
/// HTTP responder on a real loopback socket (bad, slow and oversized clients).
@Suite("Watch")
struct WatchUnitTests {
    private func probe(_ route: String, _ endpoint: Endpoint, _ outcome: ProbeOutcome, ms: Int) -> ProbeResult {
        ProbeResult(endpoint: endpoint, path: "/health/", hostHeader: route, outcome: outcome, elapsedMilliseconds: ms)
    }

    @Test("metrics render in the Prometheus text format and parse back with the same values, odd labels escaped")
    func prometheusRoundTrip() throws {
        let odd = "we\"ird\\name\nx /"
        var metrics = WatchMetrics()
        let probes = [
            RouteProbe(route: "lab.test /", direct: [probe("lab.test", .tcp(host: "127.0.0.1", port: 8000), .response(status: 200, server: nil), ms: 12)],
                       viaProxy: probe("lab.test", .tcp(host: "127.0.0.1", port: 8080), .response(status: 502, server: "nginx"), ms: 3)),
            RouteProbe(route: odd, direct: [probe(odd, .unix(path: "/run/app.sock"), .failed(.refused), ms: 0)], viaProxy: nil),
        ]
        metrics.probes = probes.flatMap(WatchMetrics.Probe.samples(of:))
        metrics.routesUp = ["lab.test /": false, odd: false]
        metrics.failing = true
        metrics.checksTotal = 7
        metrics.incidentsTotal = 2
        metrics.actions = [.init(kind: "restart-service", outcome: "succeeded"): 3, .init(kind: "restart-service", outcome: "refused"): 1]
        metrics.lastCheckTimestamp = 1_795_270_161.25
        metrics.process = ProcessFigures(residentBytes: 17_825_792, cpuSeconds: 0.42)
        let text = PrometheusRenderer.render(metrics)
        let samples = try PrometheusText.parse(text)
        func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
            samples.first { sample in sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value } }?.value
        }
        #expect(value("gwdoctor_probe_success", ["route": "lab.test /", "via": "direct", "endpoint": "127.0.0.1:8000"]) == 1)
        #expect(value("gwdoctor_probe_success", ["route": "lab.test /", "via": "proxy"]) == 0, "a 502 through the proxy is not success")
        #expect(value("gwdoctor_probe_status_code", ["route": "lab.test /", "via": "proxy"]) == 502)
        #expect(value("gwdoctor_probe_duration_seconds", ["route": "lab.test /", "via": "direct"]) == 0.012)
        #expect(value("gwdoctor_probe_success", ["route": odd]) == 0, "the escaped label must come back unchanged:\n\(text)")
        #expect(value("gwdoctor_probe_status_code", ["route": odd]) == 0, "no HTTP response is status 0")
        #expect(value("gwdoctor_route_up", ["route": odd]) == 0)
        #expect(value("gwdoctor_failing") == 1)
        #expect(value("gwdoctor_checks_total") == 7)
        #expect(value("gwdoctor_incidents_total") == 2)
        #expect(value("gwdoctor_actions_total", ["kind": "restart-service", "outcome": "succeeded"]) == 3)
        #expect(value("gwdoctor_actions_total", ["kind": "restart-service", "outcome": "refused"]) == 1)
        #expect(value("gwdoctor_last_check_timestamp_seconds") == 1_795_270_161.25)
        #expect(value("process_resident_memory_bytes") == 17_825_792)
        #expect(value("process_cpu_seconds_total") == 0.42)
        #expect(text.contains("# TYPE process_cpu_seconds_total counter\n"))
        #expect(text.contains("# TYPE gwdoctor_incidents_total counter\n"))
        #expect(!text.contains("name\nx"), "a raw newline inside a label would break the format")
    }

    @Test("the strict reader rejects what is not Prometheus text")
    func readerIsStrict() {
        #expect(throws: PrometheusText.ParseError.self) { try PrometheusText.parse("# TYPE a gauge\na{x=\"1} 2\n") }
        #expect(throws: PrometheusText.ParseError.self) { try PrometheusText.parse("untyped_metric 1\n") }
        #expect(throws: PrometheusText.ParseError.self) { try PrometheusText.parse("# TYPE a gauge\na one\n") }
    }

    @Test("edges: a failure at start-up or after health is one incident; staying down is none; recovery is one")
    func transitions() {
        var transition = HealthTransition()
        #expect(transition.record(healthy: true) == nil)
        #expect(transition.record(healthy: true) == nil)
        #expect(transition.record(healthy: false) == .startedFailing)
        #expect(transition.record(healthy: false) == nil)
        #expect(transition.state == .failing)
        #expect(transition.record(healthy: true) == .recovered)
        #expect(transition.record(healthy: true) == nil)
        var fresh = HealthTransition()
        #expect(fresh.record(healthy: false) == .startedFailing, "a site already failing when watch starts is an incident")
    }

    @Test("incident reports: Markdown and JSON in a 0700 incidents directory, files 0600, JSON names the verdict")
    func incidentFiles() throws {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("gwdoctor-watch-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: state) }
        let verdict = Verdict(layer: .upstream, check: "target-not-listening", summary: "nothing listens on 127.0.0.1:8000")
        let report = Report(status: .critical, verdict: verdict, findings: [], routes: [], unavailable: []).redacted()
        let writer = IncidentWriter(stateDirectory: state)
        let detected = Date(timeIntervalSince1970: 1_795_270_161.5)
        let paths = try writer.write(.init(detectedAt: detected, failingRoutes: ["lab.test /: direct 127.0.0.1:8000 /health/ → connection refused"], report: report))
        let again = try writer.write(.init(detectedAt: detected, failingRoutes: [], report: report))
        #expect(Set(paths).isDisjoint(with: again), "a second incident in the same millisecond must not overwrite the first")
        func mode(_ path: String) -> mode_t? {
            var info = stat()
            return lstat(path, &info) == 0 ? info.st_mode & 0o7777 : nil
        }
        #expect(mode(writer.directory) == 0o700)
        #expect(paths.count == 2 && paths.allSatisfy { mode($0) == 0o600 }, "\(paths)")
        #expect(paths[0].hasSuffix(".md") && paths[1].hasSuffix(".json"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: paths[1]))) as? [String: Any])
        #expect(json["detected_at_unix"] as? Double == 1_795_270_161.5)
        let reportJSON = try #require(json["report"] as? [String: Any])
        let verdictJSON = try #require(reportJSON["verdict"] as? [String: Any])
        #expect(verdictJSON["check"] as? String == "target-not-listening")
        #expect(verdictJSON["layer"] as? String == "upstream")
        let markdown = try String(contentsOfFile: paths[0], encoding: .utf8)
        #expect(markdown.contains("target-not-listening") && markdown.contains("connection refused"))

        // A group-writable incidents directory is refused, not written into.
        chmod(writer.directory, 0o770)
        #expect(throws: WatchError.self) { try writer.write(.init(detectedAt: detected, failingRoutes: [], report: report)) }
    }

    @Test("--listen: loopback accepted, anything else refused unless --allow-remote-listen, malformed rejected")
    func listenRule() throws {
        for text in ["127.0.0.1:9187", "localhost:9187", "[::1]:9187", ":9187", "127.1.2.3:1"] {
            let address = try #require(ListenAddress(parsing: text), "\(text)")
            #expect(address.isLoopback, "\(text)")
            #expect(throws: Never.self) { try address.check(allowRemote: false) }
        }
        for text in ["0.0.0.0:9187", "192.168.1.5:9187", "[::]:9187", "10.0.0.1:80"] {
            let address = try #require(ListenAddress(parsing: text), "\(text)")
            #expect(!address.isLoopback, "\(text)")
            #expect(throws: WatchError.self) { try address.check(allowRemote: false) }
            #expect(throws: Never.self) { try address.check(allowRemote: true) }
        }
        for text in ["9187", "127.0.0.1", "127.0.0.1:99999", "::1:80", "[::1]80", "a b:1"] {
            #expect(ListenAddress(parsing: text) == nil, "\(text)")
        }
    }

    @Test("the responder: /metrics and /healthz answer; 404, 405, 431 for the rest; a silent client neither blocks others nor stays")
    func responder() async throws {
        let server = try MetricsServer(address: ListenAddress(host: "127.0.0.1", port: 0))
        server.start { path in
            path == "/metrics" ? (200, PrometheusRenderer.contentType, "# TYPE x gauge\nx 1\n") : (404, "text/plain", "no\n")
        }
        defer { server.stop() }
        let port = server.port
        #expect(port != 0)

        // A client that connects and sends nothing, opened first.
        let silent = try RawClient(port: port)
        let answer = try RawClient(port: port).exchange("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(answer.hasPrefix("HTTP/1.1 200 "), "\(answer)")
        #expect(answer.contains("Content-Type: text/plain; version=0.0.4") && answer.hasSuffix("x 1\n"), "\(answer)")
        #expect(try RawClient(port: port).exchange("GET /nope HTTP/1.1\r\n\r\n").hasPrefix("HTTP/1.1 404 "))
        #expect(try RawClient(port: port).exchange("POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n").hasPrefix("HTTP/1.1 405 "))
        #expect(try RawClient(port: port).exchange("garbage\r\n\r\n").hasPrefix("HTTP/1.1 400 "))
        let huge = "GET /metrics HTTP/1.1\r\nX-Big: " + String(repeating: "a", count: MetricsServer.maxRequestBytes + 800)
        #expect(try RawClient(port: port).exchange(huge).hasPrefix("HTTP/1.1 431 "), "a head over the cap must be cut off")

        // The silent client is closed after the deadline (read returns 0, not a hang).
        let start = ContinuousClock.now
        let leftover = try silent.readAll(timeoutSeconds: 10)
        #expect(leftover.isEmpty)
        #expect(ContinuousClock.now - start < .seconds(5), "a silent client must be dropped after about \(MetricsServer.clientDeadline)")
    }
}

/// A blocking TCP client on loopback with a receive timeout, for talking raw HTTP.
private final class RawClient {
    let fd: Int32

    init(port: UInt16) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else { throw WatchError("connect: \(String(cString: strerror(errno)))") }
    }

    deinit { close(fd) }

    func exchange(_ request: String) throws -> String {
        let bytes = Array(request.utf8)
        var sent = 0
        while sent < bytes.count {
            let count = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            if count <= 0 { break } // the server may close early (431): what it answered is still readable
            sent += count
        }
        return try readAll(timeoutSeconds: 10)
    }

    func readAll(timeoutSeconds: Int) throws -> String {
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(fd, &buffer, buffer.count)
            if count > 0 { out += buffer[0..<count]; continue }
            if count < 0 && errno == EAGAIN { throw WatchError("timed out reading") }
            break
        }
        return String(decoding: out, as: UTF8.self)
    }
}
