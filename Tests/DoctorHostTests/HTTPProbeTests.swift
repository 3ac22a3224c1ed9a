import DoctorFacts
@testable import DoctorHost
import Foundation
import Testing

/// Every probe here talks to a real peer on loopback (or to a real absence of one).
@Suite("HTTP probe")
struct HTTPProbeTests {
    let host = LiveHost()

    @Test func uwsgiPacketFramesTheGetLikeNginx() {
        let packet = HTTPProbe.uwsgiPacket(path: "/health/?a=1\r\nX: y", host: "lab.test")
        #expect(packet[0] == 0 && packet[3] == 0, "modifier1 and modifier2 are 0 (a WSGI request)")
        let size = Int(packet[1]) | Int(packet[2]) << 8
        #expect(size == packet.count - 4)
        var variables: [String: String] = [:]
        var index = 4
        func field() -> String {
            let length = Int(packet[index]) | Int(packet[index + 1]) << 8
            defer { index += 2 + length }
            return String(decoding: packet[(index + 2)..<(index + 2 + length)], as: UTF8.self)
        }
        while index < packet.count {
            let key = field()
            variables[key] = field()
        }
        #expect(variables["REQUEST_METHOD"] == "GET")
        #expect(variables["PATH_INFO"] == "/health/")
        #expect(variables["QUERY_STRING"] == "a=1X: y", "CR and LF never reach the packet")
        #expect(variables["HTTP_HOST"] == "lab.test")
        #expect(variables.count == 11)
    }

    @Test func answersFromATCPServer() async throws {
        let (fd, port) = try Sockets.tcpListener()
        let server = LoopbackServer(listeningOn: fd, behaviour: .respond("HTTP/1.1 502 Bad Gateway\r\nServer: nginx/1.22.1\r\nContent-Length: 0\r\n\r\n"))
        defer { server.stop() }
        let result = await host.probe(ProbeRequest(endpoint: .tcp(host: "127.0.0.1", port: port), path: "/health/", hostHeader: "example.com"))
        #expect(result.outcome == .response(status: 502, server: "nginx/1.22.1"))
        #expect(result.path == "/health/")
        #expect(result.hostHeader == "example.com")
        let request = try #require(server.received.first)
        #expect(request == "GET /health/ HTTP/1.1\r\nHost: example.com\r\nUser-Agent: gwdoctor\r\nAccept: */*\r\nConnection: close\r\n\r\n")
    }

    @Test func realPythonHTTPServer() async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") else { return }
        let port = try Sockets.closedPort()
        let dir = try TemporaryDirectory()
        // Run by gwdoctor's own runner: its deadline is how the server is stopped, and it
        // kills the whole group. (Foundation's Process would start python with the test
        // thread's blocked signals, SIGTERM included, and leave it running.)
        async let server = host.runUnchecked(
            ["/usr/bin/python3", "-m", "http.server", "--bind", "127.0.0.1", "--directory", dir.path, String(port)],
            timeout: .seconds(3), outputLimit: 4096)
        let request = ProbeRequest(endpoint: .tcp(host: "127.0.0.1", port: port), path: "/missing", timeout: .seconds(1))
        // Until python has bound the port the answer is a (fast) refusal; then a real 404.
        var result = await host.probe(request)
        for _ in 0..<50 where result.outcome == .failed(.refused) {
            try await Task.sleep(for: .milliseconds(50))
            result = await host.probe(request)
        }
        if case let .response(status, server) = result.outcome {
            #expect(status == 404)
            #expect(server?.hasPrefix("SimpleHTTP/") == true)
        } else {
            Issue.record("unexpected \(result.outcome)")
        }
        let stopped = await server
        #expect(stopped.failure == "timed out after 3s")
        #expect(stopped.stderr.contains("GET /missing HTTP/1.1\" 404"))
    }

    @Test func doesNotFollowRedirects() async throws {
        let (fd, port) = try Sockets.tcpListener()
        let server = LoopbackServer(listeningOn: fd, behaviour: .respond("HTTP/1.1 301 Moved Permanently\r\nLocation: http://127.0.0.1:1/\r\n\r\n"))
        defer { server.stop() }
        let result = await host.probe(ProbeRequest(endpoint: .tcp(host: "127.0.0.1", port: port)))
        #expect(result.outcome == .response(status: 301, server: nil))
        #expect(server.received.count == 1)
    }

    @Test func ipv6AndHostNames() async throws {
        let (fd, port) = try Sockets.tcpListener(host: "::1")
        let server = LoopbackServer(listeningOn: fd, behaviour: .respond("HTTP/1.0 200 OK\r\n\r\n"))
        defer { server.stop() }
        let literal = await host.probe(ProbeRequest(endpoint: .tcp(host: "::1", port: port)))
        #expect(literal.outcome == .response(status: 200, server: nil))
        let bracketed = await host.probe(ProbeRequest(endpoint: .tcp(host: "[::1]", port: port)))
        #expect(bracketed.outcome == .response(status: 200, server: nil))

        // `localhost` may resolve to ::1 and 127.0.0.1; each address is tried once, in order.
        let (fd4, port4) = try Sockets.tcpListener(host: "127.0.0.1")
        let server4 = LoopbackServer(listeningOn: fd4, behaviour: .respond("HTTP/1.1 204 No Content\r\n\r\n"))
        defer { server4.stop() }
        let named = await host.probe(ProbeRequest(endpoint: .tcp(host: "localhost", port: port4)))
        #expect(named.outcome == .response(status: 204, server: nil))
    }

    @Test func unixSocketServer() async throws {
        let dir = try TemporaryDirectory()
        let fd = try Sockets.unixListener(path: dir.file("gunicorn.sock"))
        let server = LoopbackServer(listeningOn: fd, behaviour: .respond("HTTP/1.1 200 OK\r\nServer: gunicorn\r\n\r\nbody"))
        defer { server.stop() }
        let result = await host.probe(ProbeRequest(endpoint: .unix(path: dir.file("gunicorn.sock"))))
        #expect(result.outcome == .response(status: 200, server: "gunicorn"))
    }

    @Test func refusedTCPFailsInMilliseconds() async throws {
        let port = try Sockets.closedPort()
        let result = await host.probe(ProbeRequest(endpoint: .tcp(host: "127.0.0.1", port: port), timeout: .seconds(5)))
        #expect(result.outcome == .failed(.refused))
        #expect(result.elapsedMilliseconds < 200)
    }

    @Test func missingUnixSocket() async throws {
        let dir = try TemporaryDirectory()
        let result = await host.probe(ProbeRequest(endpoint: .unix(path: dir.file("nothing.sock")), timeout: .seconds(5)))
        #expect(result.outcome == .failed(.noSuchFile))
        #expect(result.elapsedMilliseconds < 200)
    }

    @Test func staleUnixSocketIsRefused() async throws {
        // What `kill -9 gunicorn` leaves behind: the socket file, with nobody listening.
        let dir = try TemporaryDirectory()
        let path = dir.file("stale.sock")
        close(try Sockets.unixListener(path: path))
        #expect(FileManager.default.fileExists(atPath: path))
        let result = await host.probe(ProbeRequest(endpoint: .unix(path: path), timeout: .seconds(5)))
        #expect(result.outcome == .failed(.refused))
        #expect(result.elapsedMilliseconds < 200)
    }

    @Test func fullUnixBacklog() async throws {
        // One listener that never accepts, its accept queue filled by real clients: the
        // probe's non-blocking connect gets EAGAIN, nginx's "(11: Resource temporarily unavailable)".
        let dir = try TemporaryDirectory()
        let path = dir.file("busy.sock")
        let fd = try Sockets.unixListener(path: path, backlog: 1)
        defer { close(fd) }
        var clients: [Int32] = []
        defer { clients.forEach { close($0) } }
        while clients.count < 64 {
            let (client, error) = Sockets.unixConnectNonBlocking(path: path)
            if client < 0 {
                #expect(error == EAGAIN)
                break
            }
            clients.append(client)
        }
        let result = await host.probe(ProbeRequest(endpoint: .unix(path: path), timeout: .seconds(5)))
        #expect(result.outcome == .failed(.backlogFull))
        #expect(result.elapsedMilliseconds < 200)
    }

    @Test func silentListenerTimesOutWithinTheDeadline() async throws {
        // The kernel completes the handshake for a listener that never accepts, so the
        // probe connects and then waits for a head that never comes.
        let (fd, port) = try Sockets.tcpListener()
        defer { close(fd) }
        let deadline = Duration.milliseconds(400)
        let clock = ContinuousClock()
        let start = clock.now
        let result = await host.probe(ProbeRequest(endpoint: .tcp(host: "127.0.0.1", port: port), timeout: deadline))
        let elapsed = start.duration(to: clock.now)
        #expect(result.outcome == .failed(.timedOut(phase: "waiting for response headers")))
        // The probe's own clock says whether it kept its deadline; the wall clock around the
        // await also counts how long the task waited to resume, which other tests in the
        // same run (blocking teardowns on the 2-thread cooperative pool) can stretch, so it
        // only guards against a hang.
        #expect(result.elapsedMilliseconds >= 400 && result.elapsedMilliseconds < 800)
        #expect(elapsed >= deadline)
        #expect(elapsed < .seconds(30))
    }

    @Test func silentUnixListenerTimesOut() async throws {
        let dir = try TemporaryDirectory()
        let fd = try Sockets.unixListener(path: dir.file("slow.sock"))
        defer { close(fd) }
        let clock = ContinuousClock()
        let start = clock.now
        let result = await host.probe(ProbeRequest(endpoint: .unix(path: dir.file("slow.sock")), timeout: .milliseconds(500)))
        #expect(result.outcome == .failed(.timedOut(phase: "waiting for response headers")))
        #expect(result.elapsedMilliseconds >= 500 && result.elapsedMilliseconds < 1000)
        #expect(start.duration(to: clock.now) < .seconds(30), "a hang, not scheduling noise")
    }

    @Test func parallelProbesKeepTheirOwnDeadlines() async throws {
        // A gatherer probes many routes at once; no probe may wait for another's thread.
        let (fd, port) = try Sockets.tcpListener(backlog: 64)
        defer { close(fd) }
        let clock = ContinuousClock()
        let start = clock.now
        // 2 s deadlines: in sequence 24 probes take 48 s, in parallel about 2 s; the 30 s
        // bound tells the two apart even when a busy test run delays this task by seconds
        // (CPU-bound tests elsewhere hold the 2-thread cooperative pool).
        let results = await withTaskGroup(of: ProbeResult.self) { group in
            for _ in 0..<24 {
                group.addTask { await LiveHost().probe(ProbeRequest(endpoint: .tcp(host: "127.0.0.1", port: port), timeout: .seconds(2))) }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.allSatisfy { $0.outcome == .failed(.timedOut(phase: "waiting for response headers")) })
        // Each probe measured its own deadline: none waited for another's thread.
        #expect(results.allSatisfy { $0.elapsedMilliseconds < 3000 }, "\(results.map(\.elapsedMilliseconds))")
        #expect(start.duration(to: clock.now) < .seconds(40), "24 probes of 2 s in parallel, not in sequence (48 s)")
    }

    @Test func peerClosingAtOnceIsClosedEarly() async throws {
        let (fd, port) = try Sockets.tcpListener()
        let server = LoopbackServer(listeningOn: fd, behaviour: .closeImmediately)
        defer { server.stop() }
        let result = await host.probe(ProbeRequest(endpoint: .tcp(host: "127.0.0.1", port: port), timeout: .seconds(5)))
        // Closing with the request unread makes Linux send RST, so reset is an honest answer too.
        #expect(result.outcome == .failed(.closedEarly) || result.outcome == .failed(.reset))
        #expect(result.elapsedMilliseconds < 1000)
    }

    @Test func peerClosingAfterPartialHeadIsClosedEarly() async throws {
        let (fd, port) = try Sockets.tcpListener()
        let server = LoopbackServer(listeningOn: fd, behaviour: .respond("HTTP/1.1 200 OK\r\nServer: half"))
        defer { server.stop() }
        let result = await host.probe(ProbeRequest(endpoint: .tcp(host: "127.0.0.1", port: port), timeout: .seconds(5)))
        #expect(result.outcome == .failed(.closedEarly))
    }

    @Test func garbageIsNotHTTP() async throws {
        // A uwsgi-protocol or SSH peer: the first bytes decide, without waiting for EOF.
        let (fd, port) = try Sockets.tcpListener()
        let server = LoopbackServer(listeningOn: fd, behaviour: .sendGarbage("SSH-2.0-OpenSSH_9.2\r\n"))
        defer { server.stop() }
        let result = await host.probe(ProbeRequest(endpoint: .tcp(host: "127.0.0.1", port: port), timeout: .seconds(5)))
        #expect(result.outcome == .failed(.notHTTP))
        #expect(result.elapsedMilliseconds < 1000)
    }

    @Test func unresolvableNameIsAClearFailure() async {
        // `.invalid` never resolves (RFC 6761). Without DNS the lookup may instead hang:
        // then the deadline must still hold.
        let clock = ContinuousClock()
        let start = clock.now
        let result = await host.probe(ProbeRequest(endpoint: .tcp(host: "gwdoctor-test.invalid", port: 80), timeout: .seconds(1)))
        #expect(result.elapsedMilliseconds < 2000)
        #expect(start.duration(to: clock.now) < .seconds(30), "a hang, not scheduling noise")
        switch result.outcome {
        case let .failed(.unresolvable(host, _)): #expect(host == "gwdoctor-test.invalid")
        case .failed(.timedOut(phase: "resolving gwdoctor-test.invalid")): break
        default: Issue.record("unexpected \(result.outcome)")
        }
    }

    @Test func unixPathTooLong() async {
        let path = "/tmp/" + String(repeating: "d", count: 120) + ".sock"
        let result = await host.probe(ProbeRequest(endpoint: .unix(path: path)))
        guard case let .failed(.other(code, message)) = result.outcome else {
            Issue.record("unexpected \(result.outcome)")
            return
        }
        #expect(code == ENAMETOOLONG)
        #expect(message.contains("107-byte limit"))
    }

    @Test func headerInjectionIsStripped() {
        let head = String(decoding: HTTPProbe.requestHead(path: "/x\r\nX-Evil: 1", host: "a\r\nb"), as: UTF8.self)
        #expect(head.hasPrefix("GET /xX-Evil: 1 HTTP/1.1\r\nHost: ab\r\n"))
    }
}

@Suite("Probe pure parts")
struct ProbePureTests {
    /// EACCES and EPERM cannot be produced live here: the tests run as root, and root
    /// passes every permission check on a socket file. The mapping is checked directly.
    @Test(arguments: [
        (ECONNREFUSED, ProbeStep.connect(unixSocket: false), ProbeFailure.refused),
        (ECONNREFUSED, .connect(unixSocket: true), .refused),
        (ENOENT, .connect(unixSocket: true), .noSuchFile),
        (EACCES, .connect(unixSocket: true), .permissionDenied),
        (EPERM, .connect(unixSocket: false), .permissionDenied),
        (EAGAIN, .connect(unixSocket: true), .backlogFull),
        (ETIMEDOUT, .connect(unixSocket: false), .timedOut(phase: "connecting")),
        (ETIMEDOUT, .receive, .timedOut(phase: "waiting for response headers")),
        (ECONNRESET, .receive, .reset),
        (ECONNRESET, .send, .reset),
        (EPIPE, .send, .closedEarly),
    ])
    func errnoClasses(code: Int32, step: ProbeStep, expected: ProbeFailure) {
        #expect(ProbeErrno.classify(code, during: step) == expected)
    }

    @Test func otherErrnosKeepNumberAndText() {
        #expect(ProbeErrno.classify(EAGAIN, during: .connect(unixSocket: false)) == .other(errno: EAGAIN, message: "Resource temporarily unavailable"))
        #expect(ProbeErrno.classify(ENETUNREACH, during: .connect(unixSocket: false)) == .other(errno: ENETUNREACH, message: "Network is unreachable"))
        #expect(ProbeErrno.classify(EHOSTUNREACH, during: .connect(unixSocket: false)) == .other(errno: EHOSTUNREACH, message: "No route to host"))
    }

    @Test func responseHeadParsing() {
        #expect(HTTPResponseHead.parse([]) == .incomplete)
        #expect(HTTPResponseHead.parse(Array("HTT".utf8)) == .incomplete)
        #expect(HTTPResponseHead.parse(Array("HTTP/1.1 200 OK\r\nServer: x\r\n".utf8)) == .incomplete)
        #expect(HTTPResponseHead.parse(Array("HTTP/1.1 200 OK\r\nserver:  gunicorn \r\n\r\n".utf8)) == .complete(status: 200, server: "gunicorn"))
        #expect(HTTPResponseHead.parse(Array("HTTP/1.1 404\r\n\r\n".utf8)) == .complete(status: 404, server: nil))
        #expect(HTTPResponseHead.parse(Array("HTTP/1.0 503 Service Unavailable\n\n".utf8)) == .complete(status: 503, server: nil))
        #expect(HTTPResponseHead.parse(Array("<html>".utf8)) == .notHTTP)
        #expect(HTTPResponseHead.parse(Array("HTTP/2 200\r\n\r\n".utf8)) == .notHTTP)
        #expect(HTTPResponseHead.parse(Array("HTTP/1.1 abc OK\r\n\r\n".utf8)) == .notHTTP)
        #expect(HTTPResponseHead.parse([0x00, 0x01, 0x02]) == .notHTTP)
    }

    @Test func responseHeadParsingNeverTraps() {
        // Every prefix of awkward heads, and random bytes: parse must answer, not trap.
        let samples = ["HTTP/1.1 404\r\n\r\n", "HTTP/1.1 200 OK\n\n", "HTTP/1.1 200 OK\r\nA: b\r\n\r\n", "HTTP/1.1\n", "\n\n", "HTTP/1.1 200 OK\r\n\r"]
        for sample in samples {
            let bytes = Array(sample.utf8)
            for end in 0...bytes.count { _ = HTTPResponseHead.parse(Array(bytes[0..<end])) }
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let prefix = Array("HTTP/1.1 2".utf8).prefix(Int.random(in: 0...10, using: &generator))
            let tail = (0..<Int.random(in: 0...40, using: &generator)).map { _ in [10, 13, 32, 58, 50, 65].randomElement(using: &generator) ?? 0 }
            _ = HTTPResponseHead.parse(Array(prefix) + tail.map { UInt8($0) })
        }
    }
}
