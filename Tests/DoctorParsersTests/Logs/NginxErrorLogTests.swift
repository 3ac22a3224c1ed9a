import DoctorFacts
import DoctorParsers
import Foundation
import Testing

/// Lines marked "captured" were written by nginx 1.22.1 on this kind of machine (Debian 12)
/// in front of deliberately broken upstreams (a closed port, a missing, a stale and a
/// root-only socket, a listen(0) socket nobody accepts on, small Python servers that close,
/// reset, hang or answer garbage); the others follow the formats in
/// shared/reference/proxy-failures.md.
@Suite("nginx error log")
struct NginxErrorLogTests {
    static let zone = TimeZone(secondsFromGMT: 3600)!

    struct Case: CustomTestStringConvertible, Sendable {
        var line: String
        var kind: UpstreamErrorKind
        var level: String
        var errno: Int?
        var endpoint: Endpoint?
        var testDescription: String { "\(kind.rawValue) \(endpoint?.description ?? "-")" }
    }

    static let referenceCases: [Case] = [
        // captured
        Case(line: #"2026/11/21 08:41:02 [error] 3286#3286: *1 connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: example.com, request: "GET /refused/x?token=s3cret&q=1 HTTP/1.1", upstream: "http://127.0.0.1:18599/refused/x?token=s3cret&q=1", host: "example.com""#,
             kind: .refused, level: "error", errno: 111, endpoint: .tcp(host: "127.0.0.1", port: 18599)),
        // captured
        Case(line: #"2026/11/21 08:41:02 [crit] 3286#3286: *5 connect() to unix:/tmp/ngxlab/missing.sock failed (2: No such file or directory) while connecting to upstream, client: 127.0.0.1, server: example.com, request: "GET /nosock/x?token=s3cret&q=1 HTTP/1.1", upstream: "http://unix:/tmp/ngxlab/missing.sock://x?token=s3cret&q=1", host: "example.com""#,
             kind: .noSuchFile, level: "crit", errno: 2, endpoint: .unix(path: "/tmp/ngxlab/missing.sock")),
        // captured (the socket's directory is mode 700 root, the worker runs as nobody)
        Case(line: #"2026/11/21 08:41:02 [crit] 3286#3286: *7 connect() to unix:/tmp/ngxlab/priv/app.sock failed (13: Permission denied) while connecting to upstream, client: 127.0.0.1, server: example.com, request: "GET /perm/x?token=s3cret&q=1 HTTP/1.1", upstream: "http://unix:/tmp/ngxlab/priv/app.sock://x?token=s3cret&q=1", host: "example.com""#,
             kind: .permissionDenied, level: "crit", errno: 13, endpoint: .unix(path: "/tmp/ngxlab/priv/app.sock")),
        // captured: a stale socket file nobody listens on
        Case(line: #"2026/11/21 08:41:02 [error] 3286#3286: *9 connect() to unix:/tmp/ngxlab/stale.sock failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: example.com, request: "GET /stale/x?token=s3cret&q=1 HTTP/1.1", upstream: "http://unix:/tmp/ngxlab/stale.sock:/stale/x?token=s3cret&q=1", host: "example.com""#,
             kind: .refused, level: "error", errno: 111, endpoint: .unix(path: "/tmp/ngxlab/stale.sock")),
        // captured: listen(0), never accepted
        Case(line: #"2026/11/21 08:41:05 [error] 3286#3286: *46 connect() to unix:/tmp/ngxlab/backlog.sock failed (11: Resource temporarily unavailable) while connecting to upstream, client: 127.0.0.1, server: example.com, request: "GET /backlog/ HTTP/1.1", upstream: "http://unix:/tmp/ngxlab/backlog.sock:/backlog/", host: "127.0.0.1:18500""#,
             kind: .backlogFull, level: "error", errno: 11, endpoint: .unix(path: "/tmp/ngxlab/backlog.sock")),
        // captured
        Case(line: #"2026/11/21 08:41:04 [error] 3286#3286: *25 upstream prematurely closed connection while reading response header from upstream, client: 127.0.0.1, server: example.com, request: "GET /premature/x?token=s3cret&q=1 HTTP/1.1", upstream: "http://127.0.0.1:18501/premature/x?token=s3cret&q=1", host: "example.com""#,
             kind: .prematureClose, level: "error", errno: nil, endpoint: .tcp(host: "127.0.0.1", port: 18501)),
        // captured
        Case(line: #"2026/11/21 08:41:05 [error] 3286#3286: *37 recv() failed (104: Connection reset by peer) while reading response header from upstream, client: 127.0.0.1, server: example.com, request: "GET /reset/x?token=s3cret&q=1 HTTP/1.1", upstream: "http://127.0.0.1:18507/reset/x?token=s3cret&q=1", host: "example.com""#,
             kind: .reset, level: "error", errno: 104, endpoint: .tcp(host: "127.0.0.1", port: 18507)),
        // captured
        Case(line: #"2026/11/21 08:41:05 [error] 3286#3286: *33 upstream timed out (110: Connection timed out) while reading response header from upstream, client: 127.0.0.1, server: example.com, request: "GET /timeout/x?token=s3cret&q=1 HTTP/1.1", upstream: "http://127.0.0.1:18505/timeout/x?token=s3cret&q=1", host: "example.com""#,
             kind: .readTimeout, level: "error", errno: 110, endpoint: .tcp(host: "127.0.0.1", port: 18505)),
        // reference format: the accept queue is full, connect() never completes
        Case(line: #"2026/11/21 07:34:00 [error] 4242#4242: *17 upstream timed out (110: Connection timed out) while connecting to upstream, client: 127.0.0.1, server: example.com, request: "GET /health/ HTTP/1.1", upstream: "http://127.0.0.1:8000/health/", host: "example.com""#,
             kind: .connectTimeout, level: "error", errno: 110, endpoint: .tcp(host: "127.0.0.1", port: 8000)),
        // captured
        Case(line: #"2026/11/21 08:41:04 [error] 3286#3286: *31 upstream sent too big header while reading response header from upstream, client: 127.0.0.1, server: example.com, request: "GET /toobig/x?token=s3cret&q=1 HTTP/1.1", upstream: "http://127.0.0.1:18504/toobig/x?token=s3cret&q=1", host: "example.com""#,
             kind: .headerTooBig, level: "error", errno: nil, endpoint: .tcp(host: "127.0.0.1", port: 18504)),
        // captured
        Case(line: #"2026/11/21 08:41:04 [error] 3286#3286: *27 upstream sent invalid header: "Bad\x20..." while reading response header from upstream, client: 127.0.0.1, server: example.com, request: "GET /invalid/x?token=s3cret&q=1 HTTP/1.1", upstream: "http://127.0.0.1:18502/invalid/x?token=s3cret&q=1", host: "example.com""#,
             kind: .invalidResponse, level: "error", errno: nil, endpoint: .tcp(host: "127.0.0.1", port: 18502)),
        // captured: the upstream does not speak HTTP
        Case(line: #"2026/11/21 08:41:04 [error] 3286#3286: *29 upstream sent no valid HTTP/1.0 header while reading response header from upstream, client: 127.0.0.1, server: example.com, request: "GET /novalid/x?token=s3cret&q=1 HTTP/1.1", upstream: "http://127.0.0.1:18503/novalid/x?token=s3cret&q=1", host: "example.com""#,
             kind: .invalidResponse, level: "error", errno: nil, endpoint: .tcp(host: "127.0.0.1", port: 18503)),
        // captured: both servers of `upstream backend` refused, then were disabled
        Case(line: #"2026/11/21 08:41:34 [warn] 3615#3615: *92 upstream server temporarily disabled while connecting to upstream, client: 127.0.0.1, server: example.com, request: "GET /group/h HTTP/1.1", upstream: "http://127.0.0.1:18599/group/h", host: "example.com""#,
             kind: .serverDisabled, level: "warn", errno: nil, endpoint: .tcp(host: "127.0.0.1", port: 18599)),
        // captured: the upstream names the group, not an address
        Case(line: #"2026/11/21 08:41:34 [error] 3615#3615: *95 no live upstreams while connecting to upstream, client: 127.0.0.1, server: example.com, request: "GET /group/h HTTP/1.1", upstream: "http://backend/group/h", host: "example.com""#,
             kind: .noLiveUpstreams, level: "error", errno: nil, endpoint: nil),
        // captured
        Case(line: #"2026/11/21 08:41:05 [error] 3286#3286: *39 SSL_do_handshake() failed (SSL: error:0A00010B:SSL routines::wrong version number) while SSL handshaking to upstream, client: 127.0.0.1, server: example.com, request: "GET /tls/x?token=s3cret&q=1 HTTP/1.1", upstream: "https://127.0.0.1:18508/tls/x?token=s3cret&q=1", host: "example.com""#,
             kind: .tls, level: "error", errno: nil, endpoint: .tcp(host: "127.0.0.1", port: 18508)),
        // captured: variable proxy_pass without a resolver (no upstream field)
        Case(line: #"2026/11/21 08:41:03 [error] 3286#3286: *21 no resolver defined to resolve app.invalid, client: 127.0.0.1, server: example.com, request: "GET /var/x?token=s3cret&q=1 HTTP/1.1", host: "example.com""#,
             kind: .unresolvable, level: "error", errno: nil, endpoint: nil),
        // captured: the resolver never answered; 110 is the resolver's code here, not a timeout to the upstream
        Case(line: #"2026/11/21 08:41:04 [error] 3286#3286: *22 app.invalid could not be resolved (110: Operation timed out), client: 127.0.0.1, server: example.com, request: "GET /resolve/x?token=s3cret&q=1 HTTP/1.1", host: "example.com""#,
             kind: .unresolvable, level: "error", errno: nil, endpoint: nil),
        // resolver code 2 is "Server failure", not ENOENT
        Case(line: #"2026/11/21 08:41:04 [error] 3286#3286: *23 app.internal could not be resolved (2: Server failure), client: 127.0.0.1, server: example.com, request: "GET / HTTP/1.1", host: "example.com""#,
             kind: .unresolvable, level: "error", errno: nil, endpoint: nil),
        // captured: the body was cut after 10 of 1000 bytes; the client got a 200
        Case(line: #"2026/11/21 08:41:05 [error] 3286#3286: *35 upstream prematurely closed connection while reading upstream, client: 127.0.0.1, server: example.com, request: "GET /truncated/x?token=s3cret&q=1 HTTP/1.1", upstream: "http://127.0.0.1:18506/truncated/x?token=s3cret&q=1", host: "example.com""#,
             kind: .truncatedBody, level: "error", errno: nil, endpoint: .tcp(host: "127.0.0.1", port: 18506)),
        // captured: IPv6 peer
        Case(line: #"2026/11/21 08:41:02 [error] 3286#3286: *3 connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: example.com, request: "GET /v6/x?token=s3cret&q=1 HTTP/1.1", upstream: "http://[::1]:18599/v6/x?token=s3cret&q=1", host: "example.com""#,
             kind: .refused, level: "error", errno: 111, endpoint: .tcp(host: "::1", port: 18599)),
        // captured: uwsgi_pass to a unix socket, and to TCP
        Case(line: #"2026/11/21 08:41:02 [crit] 3286#3286: *11 connect() to unix:/tmp/ngxlab/uwsgi.sock failed (2: No such file or directory) while connecting to upstream, client: 127.0.0.1, server: example.com, request: "GET /uwsgi/x?token=s3cret&q=1 HTTP/1.1", upstream: "uwsgi://unix:/tmp/ngxlab/uwsgi.sock:", host: "example.com""#,
             kind: .noSuchFile, level: "crit", errno: 2, endpoint: .unix(path: "/tmp/ngxlab/uwsgi.sock")),
        Case(line: #"2026/11/21 08:41:03 [error] 3286#3286: *13 connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: example.com, request: "GET /uwsgitcp/x?token=s3cret&q=1 HTTP/1.1", upstream: "uwsgi://127.0.0.1:18599", host: "example.com""#,
             kind: .refused, level: "error", errno: 111, endpoint: .tcp(host: "127.0.0.1", port: 18599)),
        // captured: fastcgi_pass
        Case(line: #"2026/11/21 08:41:03 [error] 3286#3286: *15 connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: example.com, request: "GET /fcgi/x?token=s3cret&q=1 HTTP/1.1", upstream: "fastcgi://127.0.0.1:18599", host: "example.com""#,
             kind: .refused, level: "error", errno: 111, endpoint: .tcp(host: "127.0.0.1", port: 18599)),
        // captured: after a read timeout on a unix socket nginx drops the `:` between path and URI
        Case(line: #"2026/11/21 08:41:06 [error] 3286#3286: *43 upstream timed out (110: Connection timed out) while reading response header from upstream, client: 127.0.0.1, server: example.com, request: "GET /backlog/ HTTP/1.1", upstream: "http://unix:/tmp/ngxlab/backlog.sock/backlog/", host: "127.0.0.1:18500""#,
             kind: .readTimeout, level: "error", errno: 110, endpoint: .unix(path: "/tmp/ngxlab/backlog.sock")),
        // the words after the errno vary between builds: the number decides
        Case(line: #"2026/11/21 08:41:02 [error] 3286#3286: *1 connect() failed (111: Unknown error) while connecting to upstream, client: 127.0.0.1, server: example.com, request: "GET / HTTP/1.1", upstream: "http://127.0.0.1:8000/", host: "example.com""#,
             kind: .refused, level: "error", errno: 111, endpoint: .tcp(host: "127.0.0.1", port: 8000)),
        // out of file descriptors while connecting: about the upstream, no class of its own
        Case(line: #"2026/11/21 08:41:02 [alert] 3286#3286: *9 socket() failed (24: Too many open files) while connecting to upstream, client: 127.0.0.1, server: example.com, request: "GET / HTTP/1.1", upstream: "http://127.0.0.1:8000/", host: "example.com""#,
             kind: .other, level: "alert", errno: 24, endpoint: .tcp(host: "127.0.0.1", port: 8000)),
    ]

    @Test(arguments: referenceCases)
    func classifiesEveryReferenceMessage(_ testCase: Case) throws {
        let event = try #require(NginxErrorLog.parse(Substring(testCase.line), source: "/var/log/nginx/error.log:7",
                                                     localZone: Self.zone))
        #expect(event.kind == testCase.kind)
        #expect(event.level == testCase.level)
        #expect(event.errno == testCase.errno)
        #expect(event.endpoint == testCase.endpoint)
        #expect(event.source == "/var/log/nginx/error.log:7")
        #expect(event.server == "example.com")
        #expect(event.time != nil)
        #expect(!event.line.contains("s3cret"))
        #expect(!event.message.isEmpty && !event.message.hasPrefix("*") && !event.message.contains(", client:"))
    }

    @Test func fieldsTimeAndRedaction() throws {
        let event = try #require(NginxErrorLog.parse(Substring(Self.referenceCases[0].line), source: "error.log", localZone: Self.zone))
        #expect(event.time == Date(timeIntervalSince1970: 1_795_246_862)) // 08:41:02 at +01:00
        #expect(event.message == "connect() failed (111: Connection refused) while connecting to upstream")
        #expect(event.request == "GET /refused/x?token=[REDACTED]&q=1 HTTP/1.1")
        #expect(event.upstream == "http://127.0.0.1:18599/refused/x?token=[REDACTED]&q=1")
        #expect(event.host == "example.com")
        #expect(event.line.hasPrefix("2026/11/21 08:41:02 [error] 3286#3286: *1 connect() failed"))
        #expect(event.line.contains("token=[REDACTED]"))
    }

    @Test func requestWithQuotesCommasAndAForgedReferrer() throws {
        // Captured: nginx logs the request line and URI unescaped; the Referer header (last,
        // written by the client) carries a fake `, upstream: "…"`.
        let line = #"2026/11/21 08:41:28 [error] 3286#3286: *85 connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: example.com, request: "GET /refused/q?a="b",c HTTP/1.1", upstream: "http://127.0.0.1:18599/refused/q?a="b",c", host: "example.com", referrer: "http://ref.example/?x=", upstream: "http://evil:1/"""#
        let event = try #require(NginxErrorLog.parse(Substring(line), source: "e.log"))
        #expect(event.request == #"GET /refused/q?a="b",c HTTP/1.1"#)
        #expect(event.upstream == #"http://127.0.0.1:18599/refused/q?a="b",c"#)
        #expect(event.endpoint == .tcp(host: "127.0.0.1", port: 18599))
        #expect(event.host == "example.com")

        // Captured: an encoded `", "` in the query.
        let encoded = #"2026/11/21 08:41:28 [error] 3286#3286: *87 connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: example.com, request: "GET /refused/q?a=%22b%22,%20c HTTP/1.1", upstream: "http://127.0.0.1:18599/refused/q?a=%22b%22,%20c", host: "example.com""#
        #expect(NginxErrorLog.parse(Substring(encoded), source: "e.log")?.request == "GET /refused/q?a=%22b%22,%20c HTTP/1.1")

        // Quotes followed by commas (no space: nginx answers 400 to a request line with more
        // spaces, so `", <key>:` cannot occur inside one), an IPv6 client and peer.
        let tricky = #"2026/11/21 08:41:28 [error] 1#1: *2 connect() failed (111: Connection refused) while connecting to upstream, client: ::1, server: _, request: "GET /a?q="x",host:"y",upstream:"z" HTTP/1.1", upstream: "http://[::1]:8000/a?q="x",host:"y",upstream:"z"", host: "h""#
        let parsed = try #require(NginxErrorLog.parse(Substring(tricky), source: "e.log"))
        #expect(parsed.request == #"GET /a?q="x",host:"y",upstream:"z" HTTP/1.1"#)
        #expect(parsed.endpoint == .tcp(host: "::1", port: 8000))
        #expect(parsed.host == "h")
    }

    @Test func passwordInAnHTTP10RequestWithoutHost() throws {
        // Captured: HTTP/1.0 without Host has no host field.
        let line = #"2026/11/21 08:41:28 [crit] 3286#3286: *90 connect() to unix:/tmp/ngxlab/missing.sock failed (2: No such file or directory) while connecting to upstream, client: 127.0.0.1, server: example.com, request: "GET /nosock/x?password=hunter2 HTTP/1.0", upstream: "http://unix:/tmp/ngxlab/missing.sock://x?password=hunter2""#
        let event = try #require(NginxErrorLog.parse(Substring(line), source: "e.log"))
        #expect(event.host == nil)
        #expect(event.endpoint == .unix(path: "/tmp/ngxlab/missing.sock"))
        #expect(event.upstream == "http://unix:/tmp/ngxlab/missing.sock://x?password=[REDACTED]")
        #expect(!event.line.contains("hunter2") && !(event.request ?? "").contains("hunter2"))
    }

    @Test func linesNotAboutAnUpstreamFailure() {
        let lines = [
            // captured
            "2026/11/21 08:40:59 [notice] 3284#3284: start worker processes",
            "2026/11/21 08:41:36 [emerg] 3637#3637: bind() to 127.0.0.1:18500 failed (98: Address already in use)",
            "2026/11/21 08:41:45 [notice] 3284#3284: signal 17 (SIGCHLD) received from 3615",
            "2026/11/21 08:41:50 [notice] 3700#3700: signal process started",
            "2026/11/21 08:41:03 [error] 3286#3286: send() failed (111: Connection refused) while resolving, resolver: 127.0.0.1:18598",
            "2026/11/21 08:41:28 [info] 3286#3286: *85 client 127.0.0.1 closed keepalive connection (104: Connection reset by peer)",
            #"2026/11/21 08:41:06 [info] 3286#3286: *83 client sent invalid request while reading client request line, client: 127.0.0.1, server: example.com, request: "GET /refused/a,%20b?q="x, y" HTTP/1.1""#,
            // static files and client-side events that carry upstream context
            #"2026/11/21 08:41:06 [error] 10#10: *4 open() "/var/www/html/x" failed (2: No such file or directory), client: 127.0.0.1, server: _, request: "GET /x HTTP/1.1", host: "h""#,
            #"2026/11/21 08:41:06 [info] 10#10: *5 epoll_wait() reported that client prematurely closed connection, so upstream connection is closed too while sending request to upstream, client: 127.0.0.1, server: _, request: "GET / HTTP/1.1", upstream: "http://127.0.0.1:8000/", host: "h""#,
            #"2026/11/21 08:41:06 [info] 10#10: *6 client timed out (110: Connection timed out) while sending to client, client: 127.0.0.1, server: _, request: "GET /big HTTP/1.1", upstream: "http://127.0.0.1:8000/big", host: "h""#,
            #"2026/11/21 08:41:06 [warn] 10#10: *7 an upstream response is buffered to a temporary file /var/lib/nginx/proxy/1/00/0000000001 while reading upstream, client: 127.0.0.1, server: _, request: "GET /big HTTP/1.1", upstream: "http://127.0.0.1:8000/big", host: "h""#,
            #"2026/11/21 08:41:06 [debug] 10#10: *8 http upstream request: "/?""#,
        ]
        for line in lines {
            #expect(NginxErrorLog.parse(Substring(line), source: "e.log") == nil, "\(line)")
            #expect(NginxErrorLog.parseAny(Substring(line)) != nil, "\(line)")
        }
    }

    @Test func parseAnyKeepsNonUpstreamLines() throws {
        let bind = try #require(NginxErrorLog.parseAny(
            "2026/11/21 08:41:36 [emerg] 3637#3637: bind() to 127.0.0.1:18500 failed (98: Address already in use)", localZone: Self.zone))
        #expect(bind.level == "emerg")
        #expect(bind.pid == 3637)
        #expect(bind.connection == nil)
        #expect(bind.errno == 98)
        #expect(bind.message == "bind() to 127.0.0.1:18500 failed (98: Address already in use)")
        #expect(bind.time == Date(timeIntervalSince1970: 1_795_246_896))
        let upstream = try #require(NginxErrorLog.parseAny(Substring(Self.referenceCases[1].line)))
        #expect(upstream.connection == 5)
        #expect(upstream.client == "127.0.0.1")
        #expect(upstream.upstream == "http://unix:/tmp/ngxlab/missing.sock://x?token=[REDACTED]&q=1")
        for level in ["emerg", "alert", "crit", "error", "warn", "notice", "info", "debug"] {
            #expect(NginxErrorLog.parseAny(Substring("2026/11/21 08:41:36 [\(level)] 1#1: x"))?.level == level)
        }
        #expect(NginxErrorLog.parseAny("2026/11/21 08:41:36 [fatal] 1#1: x") == nil)
    }

    @Test func garbageBinaryAndHugeLinesNeverTrap() {
        let garbage: [String] = [
            "", " ", "[error]", "2026/11/21", "2026/11/21 08:41:36 [", "2026/11/21 08:41:36 [error", "2026/11/21 08:41:36 []",
            "2026/11/21 08:41:36 [error] ", "2026/11/21 08:41:36 [error] 1#", "2026/11/21 08:41:36 [error] 1#1:",
            "2026/11/21 08:41:36 [error] 1#1: *", "2026/11/21 08:41:36 [error] 1#1: *9",
            "2026/11/21 08:41:36 [error] 1#1: *9 upstream timed out (110:", "2026/11/21 08:41:36 [error] 1#1: *9 x, client: ",
            #"2026/11/21 08:41:36 [error] 1#1: *9 x, client: a, server: b, request: ""#,
            #"2026/11/21 08:41:36 [error] 1#1: *9 x, client: a, server: b, request: "GET, upstream: "http://unix:"#,
            #"2026/11/21 08:41:36 [error] 1#1: *9 x, upstream: "", host: """#,
            #"2026/11/21 08:41:36 [error] 1#1: *9 connect() failed (111: x), client: a, upstream: "http://[::1", host: "h""#,
            #"2026/11/21 08:41:36 [error] 1#1: *9 connect() failed (99999999999999999999999: x), client: a, upstream: "://", host: "h""#,
            "9999/99/99 99:99:99 [error] 1#1: *9 upstream timed out (110: x) while connecting to upstream",
            "\u{0}\u{1}\u{FFFD}\u{7F}",
        ]
        for line in garbage {
            _ = NginxErrorLog.parse(Substring(line), source: "e.log")
            _ = NginxErrorLog.parseAny(Substring(line))
        }
        #expect(NginxErrorLog.parse("9999/99/99 99:99:99 [error] 1#1: *9 upstream timed out (110: x) while connecting to upstream",
                                    source: "e.log")?.time == nil)
        let binary = String(decoding: (0..<65_536).map { UInt8(truncatingIfNeeded: ($0 &* 2_654_435_761) >> 7) }, as: UTF8.self)
        #expect(NginxErrorLog.parse(Substring(binary), source: "e.log") == nil)

        // 1 MB: an upstream line followed by a megabyte of request; only the first 4 KB are read and kept.
        let huge = #"2026/11/21 08:41:02 [error] 1#1: *1 connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: example.com, request: "GET /"#
            + String(repeating: "a", count: 1 << 20) + #" HTTP/1.1", upstream: "http://127.0.0.1:8000/", host: "example.com""#
        let event = NginxErrorLog.parse(Substring(huge), source: "e.log")
        #expect(event?.kind == .refused)
        #expect(event?.endpoint == nil) // the upstream field lies beyond the part read
        #expect((event?.line.utf8.count ?? 0) <= NginxErrorLog.maxLineBytes)
        let hugeGarbage = String(repeating: "2026/11/21 08:41:02 [error] ", count: 40_000)
        #expect(NginxErrorLog.parse(Substring(hugeGarbage), source: "e.log") == nil)
    }
}
