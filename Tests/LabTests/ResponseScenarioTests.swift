import DoctorLab
import Foundation
import Testing

/// Response scenarios: the app server is up and the address is right, but the answer does
/// not make it through nginx whole: a response header bigger than nginx's header buffer,
/// a uWSGI `--socket` (uwsgi protocol) behind `proxy_pass http://`, a body cut mid-stream,
/// and an upstream `keepalive` that nginx never uses.
///
/// Each test first proves the fault from outside gwdoctor (the client's status, nginx's own
/// error-log line, uWSGI's log line), then asserts the verdict's status, layer and check.
/// The healthy counterparts (a buffer big enough, keep-alive configured completely) must
/// come back `ok`.
extension LabTests {
    @Suite("Response scenarios")
    struct ResponseScenario {
        private let bind = Bind.tcp(8000)

        /// The `cause` of a finding, read from the raw JSON (`ReportJSON` does not decode it).
        private func cause(_ run: DoctorRun, check: String) -> String? {
            guard let json = try? run.json(), let findings = json["findings"] as? [[String: Any]] else { return nil }
            return findings.first { $0["check"] as? String == check }?["cause"] as? String
        }

        /// The `file:line` of the first line of the lab's nginx.conf containing `needle`.
        private func configSource(_ lab: Lab, _ needle: String) throws -> String {
            let line = try #require(lab.lineNumber(of: needle, in: lab.nginxConfigPath), "no \(needle) in nginx.conf")
            return "\(lab.nginxConfigPath):\(line)"
        }

        /// Starts nginx with `site`.
        private func startNginx(_ lab: Lab, _ site: NginxSite) async throws -> NginxSite {
            try lab.writeNginxConfig(site)
            try await lab.startNginx()
            return site
        }

        // MARK: Response header bigger than proxy_buffer_size

        @Test("a 20 kB response header behind nginx's default proxy_buffer_size: 502, warning, proxy, header-too-big")
        func headerTooBig() async throws {
            try await withScenarioLab("resp-big-header", directory: scenarioDirectory("response-header-too-big")) { lab in
                try await lab.startGunicorn(bind: bind, workers: 2)
                let site = try await startNginx(lab, NginxSite(upstream: bind))
                let results = try await lab.generateTraffic(site.listen, path: "/bigheader/?kb=20", count: 3)
                #expect(results.allSatisfy { $0.status == 502 }, "\(results)\n\(lab.logs())")
                let direct = try await lab.httpGet(bind, path: "/bigheader/?kb=20")
                #expect(direct.status == 200 && (direct.headers["x-big"]?.count ?? 0) == 20 * 1024, "the app itself answers 200: \(direct.status ?? -1)")
                let line = try await lab.waitForErrorLog(containingAll: ["upstream sent too big header while reading response header from upstream"])
                #expect(line != nil, "error.log:\n\(lab.tail(lab.nginxErrorLog))")
                // Other pages still work: a partial failure.
                let health = try await lab.httpGet(site.listen, path: "/health/")
                #expect(health.status == 200, "\(health)")

                let (run, report) = try await diagnoseReport(lab)
                expectVerdict(run, report, status: "warning", layer: "proxy", check: "header-too-big")
                let finding = try #require(report.finding("header-too-big"), "\(run)")
                #expect(finding.summary.contains("/bigheader/"), "\(finding.summary)")
                #expect(finding.summary.contains("proxy_buffer_size is 4k (default)"), "\(finding.summary)")
                #expect(finding.evidence.contains { $0.text.contains("upstream sent too big header") && $0.source?.hasPrefix(lab.nginxErrorLog) == true },
                        "\(finding.evidence)")
                #expect(finding.fix.contains { $0.contains("proxy_buffer_size 16k") && $0.contains("proxy_buffers 8 16k") }, "\(finding.fix)")
                try await captureIfAsked(lab, "response-header-too-big")
            }
        }

        @Test("the same 20 kB header with proxy_buffer_size 32k and proxy_buffers 8 32k: 200, ok, header-too-big silent")
        func headerFits() async throws {
            try await withScenarioLab("resp-header-fits", directory: scenarioDirectory("response-header-fits")) { lab in
                try await lab.startGunicorn(bind: bind, workers: 2)
                let site = try await startNginx(lab, NginxSite(upstream: bind, locationDirectives: ["proxy_buffer_size 32k;", "proxy_buffers 8 32k;"]))
                let results = try await lab.generateTraffic(site.listen, path: "/bigheader/?kb=20", count: 3)
                #expect(results.allSatisfy { $0.status == 200 }, "\(results)\n\(lab.logs())")
                #expect(lab.errorLogLines(containingAll: ["too big header"]).isEmpty, "\(lab.tail(lab.nginxErrorLog))")

                let (run, report) = try await diagnoseReport(lab)
                expectVerdict(run, report, status: "ok", layer: "none", check: nil)
                #expect(report.finding("header-too-big") == nil, "\(run)")
                try await captureIfAsked(lab, "response-header-fits")
            }
        }

        // MARK: proxy_pass http:// to a uWSGI --socket

        /// uWSGI serving the lab site on `bind` with `--socket` (the uwsgi protocol), in the
        /// foreground, logging to `logs/uwsgi.log`; waits until it listens.
        private func startUWSGISocket(_ lab: Lab, extraArgs: [String] = []) async throws -> (process: LabProcess, log: String) {
            let uwsgi = try #require(["/usr/bin/uwsgi", "/usr/local/bin/uwsgi"].first { FileManager.default.isExecutableFile(atPath: $0) },
                                     "uWSGI is not installed")
            let log = "\(lab.logsDirectory)/uwsgi.log"
            let argv = [uwsgi, "--plugin", "python3", "--master", "--processes", "1", "--die-on-term",
                        "--socket", bind.gunicornArgument, "--virtualenv", lab.venv, "--chdir", lab.labsite,
                        "--module", "labsite.wsgi:application", "--need-app", "--logto", log] + extraArgs
            let process = try lab.startProcess(name: "uwsgi", argv, logPath: log)
            try await lab.waitUntilListening(bind, timeout: .seconds(30), process: process)
            return (process, log)
        }

        @Test("proxy_pass http:// to a uWSGI --socket (uwsgi protocol): 502, critical, route, invalid-upstream-response (protocol-mismatch)")
        func uwsgiSocketBehindProxyPass() async throws {
            try await withScenarioLab("resp-uwsgi-proto", directory: scenarioDirectory("response-uwsgi-protocol-mismatch")) { lab in
                let (_, uwsgiLog) = try await startUWSGISocket(lab)
                let site = try await startNginx(lab, NginxSite(upstream: bind))
                let results = try await lab.generateTraffic(site.listen, path: "/health/", count: 3)
                #expect(results.allSatisfy { $0.status == 502 }, "\(results)\n\(lab.logs())")
                let closed = try await lab.waitForErrorLog(containingAll: ["upstream prematurely closed connection while reading response header", "127.0.0.1:8000"])
                #expect(closed != nil, "error.log:\n\(lab.tail(lab.nginxErrorLog))")
                // uWSGI reads "GET " as a uwsgi packet header: modifier 'G', size "ET" = 21573.
                let block = try await lab.waitForLogLine(uwsgiLog, containingAll: ["invalid request block size: 21573"])
                #expect(block != nil, "uwsgi.log:\n\(lab.tail(uwsgiLog))")

                let (run, report) = try await diagnoseReport(lab)
                expectVerdict(run, report, status: "critical", layer: "route", check: "invalid-upstream-response")
                #expect(cause(run, check: "invalid-upstream-response") == "protocol-mismatch", "\(run)")
                let finding = try #require(report.finding("invalid-upstream-response"), "\(run)")
                let pass = try configSource(lab, "proxy_pass http://127.0.0.1:8000")
                #expect(finding.evidence.contains { $0.source == pass }, "the pass directive's file:line \(pass): \(finding.evidence)")
                #expect(finding.evidence.contains { $0.text.contains("--socket 127.0.0.1:8000") }, "\(finding.evidence)")
                #expect(finding.fix.contains { $0.contains("uwsgi_pass 127.0.0.1:8000") && $0.contains("include uwsgi_params") }, "\(finding.fix)")
                #expect(finding.fix.contains { $0.contains("--http-socket 127.0.0.1:8000") }, "\(finding.fix)")
                try await captureIfAsked(lab, "response-uwsgi-protocol-mismatch")
            }
        }

        /// nginx passing `location /` with `uwsgi_pass` (and Debian's `uwsgi_params`) to `bind`:
        /// the template's config with its `proxy_pass` line replaced.
        private func startNginxUWSGIPass(_ lab: Lab) async throws -> NginxSite {
            let site = NginxSite(upstream: bind)
            let proxyPass = "proxy_pass \(bind.nginxProxyPassTarget);"
            let text = lab.nginxConfig(site)
            #expect(text.contains(proxyPass), "the template writes \(proxyPass)")
            let params = FileManager.default.fileExists(atPath: "/etc/nginx/uwsgi_params") ? "include /etc/nginx/uwsgi_params;"
                : "uwsgi_param REQUEST_METHOD $request_method; uwsgi_param REQUEST_URI $request_uri; uwsgi_param QUERY_STRING $query_string; "
                    + "uwsgi_param PATH_INFO $document_uri; uwsgi_param SERVER_NAME $server_name; uwsgi_param SERVER_PORT $server_port; "
                    + "uwsgi_param SERVER_PROTOCOL $server_protocol; uwsgi_param HTTP_HOST $host;"
            try lab.writeNginxConfig(text: text.replacingOccurrences(of: proxyPass, with: "uwsgi_pass \(bind.gunicornArgument);\n            \(params)"))
            try await lab.startNginx()
            return site
        }

        /// A request line of about 6 kB: under nginx's 8k header line buffer, over uWSGI's 4096-byte block.
        private let longPath = "/health/?pad=" + String(repeating: "x", count: 6000)

        @Test("uwsgi_pass to uWSGI with the default buffer-size 4096 and a 6 kB URL: 502, warning, upstream, request-too-large (uwsgi-buffer-size)")
        func uwsgiBufferSize() async throws {
            try await withScenarioLab("resp-uwsgi-buffer", directory: scenarioDirectory("response-uwsgi-buffer-size")) { lab in
                let (_, uwsgiLog) = try await startUWSGISocket(lab)
                let site = try await startNginxUWSGIPass(lab)
                let health = try await lab.httpGet(site.listen, path: "/health/")
                #expect(health.status == 200, "an ordinary request passes: \(health)\n\(lab.logs())")
                let results = try await lab.generateTraffic(site.listen, path: longPath, count: 3)
                #expect(results.allSatisfy { $0.status == 502 }, "\(results)\n\(lab.logs())")
                // uWSGI closes with unread data in its socket, so nginx sees a reset (observed with
                // uWSGI 2.0.21); the line is cut at 2048 bytes before `upstream: "…"`.
                let reset = try await lab.waitForErrorLog(containingAll: ["while reading response header from upstream", "request: \"GET /health/?pad=xxx"])
                #expect(reset != nil, "error.log:\n\(lab.tail(lab.nginxErrorLog))")
                // 12399 bytes: the URL twice (REQUEST_URI, QUERY_STRING) plus the other variables.
                let block = try await lab.waitForLogLine(uwsgiLog, containingAll: ["invalid request block size: 12", "(max 4096)"])
                #expect(block != nil, "uwsgi.log:\n\(lab.tail(uwsgiLog))")

                let (run, report) = try await diagnoseReport(lab)
                expectVerdict(run, report, status: "warning", layer: "upstream", check: "request-too-large")
                #expect(cause(run, check: "request-too-large") == "uwsgi-buffer-size", "\(run)")
                let finding = try #require(report.finding("request-too-large"), "\(run)")
                #expect(finding.summary.contains("buffer-size 4096 (uWSGI's default)"), "\(finding.summary)")
                #expect(finding.fix.contains { $0.contains("buffer-size = 32768") }, "\(finding.fix)")
                #expect(report.finding("invalid-upstream-response") == nil, "uwsgi_pass to --socket is the right protocol: \(run)")
                try await captureIfAsked(lab, "response-uwsgi-buffer-size")
            }
        }

        @Test("the same 6 kB URL with uWSGI -b 32768: 200, ok, request-too-large silent")
        func uwsgiBufferSizeRaised() async throws {
            try await withScenarioLab("resp-uwsgi-buffer-ok", directory: scenarioDirectory("response-uwsgi-buffer-ok")) { lab in
                let (_, uwsgiLog) = try await startUWSGISocket(lab, extraArgs: ["-b", "32768"])
                let site = try await startNginxUWSGIPass(lab)
                let results = try await lab.generateTraffic(site.listen, path: longPath, count: 3)
                #expect(results.allSatisfy { $0.status == 200 }, "\(results)\n\(lab.logs())")

                let (run, report) = try await diagnoseReport(lab)
                expectVerdict(run, report, status: "ok", layer: "none", check: nil)
                #expect(report.finding("request-too-large") == nil, "\(run)")
                // gwdoctor's direct probe of a uwsgi_pass target speaks the uwsgi protocol: uWSGI
                // serves it (its 11 variables are "22 vars"; nginx's uwsgi_params send far more)
                // instead of logging a bad packet.
                let probed = try await lab.waitForLogLine(uwsgiLog, containingAll: ["{22 vars in", "GET /health/ =>"])
                #expect(probed != nil, "uwsgi.log:\n\(lab.tail(uwsgiLog))")
                #expect(!lab.tail(uwsgiLog, lines: 400).contains("invalid request block size"), "uwsgi.log:\n\(lab.tail(uwsgiLog))")
                try await captureIfAsked(lab, "response-uwsgi-buffer-ok")
            }
        }

        /// `POST path` announcing a body of `bytes` through `target`, from inside the namespace:
        /// sends the header only (nginx judges Content-Length before reading the body) and returns
        /// the status line.
        private func postAnnouncing(_ lab: Lab, _ target: Bind, path: String, bytes: Int) async throws -> String {
            guard case let .tcp(host, port) = target else { throw LabError.usage("TCP only") }
            let script = """
            import socket, sys
            s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
            s.sendall(("POST %s HTTP/1.1\\r\\nHost: lab.test\\r\\nContent-Type: application/octet-stream\\r\\n"
                       "Content-Length: %s\\r\\nConnection: close\\r\\n\\r\\n" % (sys.argv[3], sys.argv[4])).encode())
            data = b""
            while b"\\r\\n" not in data:
                chunk = s.recv(4096)
                if not chunk: break
                data += chunk
            print(data.split(b"\\r\\n")[0].decode("latin-1"))
            """
            let output = try await lab.runInNamespace([lab.python, "-c", script, host, String(port), path, String(bytes)],
                                                      timeout: .seconds(20))
            return output.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }

        @Test("a 2 MB upload over client_max_body_size 1m (default): nginx's own 413, ok (info: request-too-large, client-max-body-size)")
        func bodyOverClientMaxBodySize() async throws {
            try await withScenarioLab("resp-body-413", directory: scenarioDirectory("response-body-too-large")) { lab in
                try await lab.startGunicorn(bind: bind, workers: 2)
                let site = try await startNginx(lab, NginxSite(upstream: bind))
                for _ in 0..<2 {
                    let status = try await postAnnouncing(lab, site.listen, path: "/health/", bytes: 2_000_000)
                    #expect(status.hasPrefix("HTTP/1.1 413"), "nginx answers 413 itself: \(status)")
                }
                let line = try await lab.waitForErrorLog(containingAll: ["client intended to send too large body: 2000000 bytes"])
                #expect(line != nil, "error.log:\n\(lab.tail(lab.nginxErrorLog))")

                let (run, report) = try await diagnoseReport(lab)
                // Not a gateway failure: the status stays ok and the finding is info.
                expectVerdict(run, report, status: "ok", layer: "none", check: nil)
                let finding = try #require(report.finding("request-too-large"), "\(run)")
                #expect(finding.severity == "info" && finding.layer == "proxy", "\(finding)")
                #expect(cause(run, check: "request-too-large") == "client-max-body-size", "\(run)")
                #expect(finding.summary.contains("2 requests") && finding.summary.contains("client_max_body_size 1m (default)")
                        && finding.summary.contains("Not a 502"), "\(finding.summary)")
                try await captureIfAsked(lab, "response-body-too-large")
            }
        }

        @Test("proxy_pass https:// to gunicorn speaking plain HTTP: 502, critical, route, invalid-upstream-response (tls-to-plain-port)")
        func tlsToPlainPort() async throws {
            try await withScenarioLab("resp-tls-plain", directory: scenarioDirectory("response-tls-to-plain-port")) { lab in
                try await lab.startGunicorn(bind: bind, workers: 2)
                let site = try await startNginx(lab, NginxSite(upstream: bind, proxyPassTarget: "https://127.0.0.1:8000"))
                let results = try await lab.generateTraffic(site.listen, path: "/health/", count: 3)
                #expect(results.allSatisfy { $0.status == 502 }, "\(results)\n\(lab.logs())")
                let line = try await lab.waitForErrorLog(containingAll: ["SSL_do_handshake() failed", "wrong version number", "while SSL handshaking to upstream"])
                #expect(line != nil, "error.log:\n\(lab.tail(lab.nginxErrorLog))")

                let (run, report) = try await diagnoseReport(lab)
                expectVerdict(run, report, status: "critical", layer: "route", check: "invalid-upstream-response")
                #expect(cause(run, check: "invalid-upstream-response") == "tls-to-plain-port", "\(run)")
                let finding = try #require(report.finding("invalid-upstream-response"), "\(run)")
                #expect(finding.fix.contains { $0.contains("proxy_pass http://127.0.0.1:8000") }, "\(finding.fix)")
                try await captureIfAsked(lab, "response-tls-to-plain-port")
            }
        }

        @Test("proxy_pass http:// to a listener that answers in another protocol (a redis-like error line): critical, route, invalid-upstream-response (not-http)")
        func notHTTPListener() async throws {
            try await withScenarioLab("resp-not-http", directory: scenarioDirectory("response-not-http")) { lab in
                // Reads the request, answers one line the way redis does, closes.
                let script = """
                import socket, sys
                s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(16)
                while True:
                    c, _ = s.accept()
                    try:
                        c.settimeout(5); c.recv(65536); c.sendall(b"-ERR unknown command 'GET', with args beginning with: '/health/'\\r\\n")
                    except OSError:
                        pass
                    c.close()
                """
                let listener = try lab.startProcess(name: "not-http", [lab.python, "-c", script, "8000"])
                try await lab.waitUntilListening(bind, timeout: .seconds(20), process: listener)
                let site = try await startNginx(lab, NginxSite(upstream: bind))
                let answer = try await lab.httpGet(site.listen, path: "/health/")
                #expect(answer.status == nil && (answer.statusLine ?? "").hasPrefix("-ERR unknown command"),
                        "nginx relays the bytes as an HTTP/0.9 answer: \(answer)")
                let line = try await lab.waitForErrorLog(containingAll: ["upstream sent no valid HTTP/1.0 header while reading response header from upstream"])
                #expect(line != nil, "error.log:\n\(lab.tail(lab.nginxErrorLog))")

                let (run, report) = try await diagnoseReport(lab)
                expectVerdict(run, report, status: "critical", layer: "route", check: "invalid-upstream-response")
                #expect(cause(run, check: "invalid-upstream-response") == "not-http", "\(run)")
                try await captureIfAsked(lab, "response-not-http")
            }
        }

        // MARK: Body cut mid-response

        @Test("a worker exiting mid-body (/cut/): truncated 200, warning, upstream, truncated-response")
        func truncatedBody() async throws {
            try await withScenarioLab("resp-truncated", directory: scenarioDirectory("response-truncated")) { lab in
                try await lab.startGunicorn(bind: bind, workers: 2)
                let site = try await startNginx(lab, NginxSite(upstream: bind))
                let cut = try await lab.httpGet(site.listen, path: "/cut/?bytes=100000", timeout: .seconds(15))
                #expect(cut.status == 200, "the client gets the app's 200: \(cut)")
                #expect(cut.headers["content-length"] == "100000" && cut.body.utf8.count < 100_000,
                        "body cut short: \(cut.body.utf8.count) of \(cut.headers["content-length"] ?? "?") bytes")
                let line = try await lab.waitForErrorLog(containingAll: ["upstream prematurely closed connection while reading upstream"])
                #expect(line != nil, "error.log:\n\(lab.tail(lab.nginxErrorLog))")
                // gunicorn replaces the worker; the site answers again.
                try await lab.waitUntilHealthy(site.listen)

                let (run, report) = try await diagnoseReport(lab)
                expectVerdict(run, report, status: "warning", layer: "upstream", check: "truncated-response")
                let finding = try #require(report.finding("truncated-response"), "\(run)")
                #expect(finding.summary.contains("/cut/"), "\(finding.summary)")
                #expect(report.finding("header-too-big") == nil && report.finding("invalid-upstream-response") == nil, "\(run)")
                try await captureIfAsked(lab, "response-truncated")
            }
        }

        // MARK: Upstream keep-alive

        @Test("upstream { keepalive 8; } without proxy_http_version 1.1: warning, proxy, keepalive-mismatch (http-1.0)")
        func keepaliveWithoutHTTP11() async throws {
            try await withScenarioLab("resp-keepalive-http10", directory: scenarioDirectory("response-keepalive-http10")) { lab in
                try await lab.startGunicorn(bind: bind, workers: 2)
                let site = try await startNginx(lab, NginxSite(upstream: bind, useUpstreamBlock: true, upstreamDirectives: ["keepalive 8;"]))
                // Nothing fails: the cache is simply never used.
                let results = try await lab.generateTraffic(site.listen, path: "/health/", count: 3)
                #expect(results.allSatisfy { $0.status == 200 }, "\(results)")
                #expect(try await lab.nginxTest().exitCode == 0, "nginx -t accepts it")

                let (run, report) = try await diagnoseReport(lab)
                expectVerdict(run, report, status: "warning", layer: "proxy", check: "keepalive-mismatch")
                #expect(cause(run, check: "keepalive-mismatch") == "http-1.0", "\(run)")
                let finding = try #require(report.finding("keepalive-mismatch"), "\(run)")
                let keepalive = try configSource(lab, "keepalive 8;")
                #expect(finding.evidence.contains { $0.source == keepalive }, "keepalive's file:line \(keepalive): \(finding.evidence)")
                #expect(finding.fix.contains { $0.contains("proxy_http_version 1.1;") && $0.contains("proxy_set_header Connection \"\";") }, "\(finding.fix)")
                try await captureIfAsked(lab, "response-keepalive-http10")
            }
        }

        @Test("keepalive 8 with proxy_http_version 1.1 and Connection \"\" in front of sync gunicorn: ok, keepalive-mismatch silent")
        func keepaliveComplete() async throws {
            try await withScenarioLab("resp-keepalive-ok", directory: scenarioDirectory("response-keepalive-ok")) { lab in
                try await lab.startGunicorn(bind: bind, workers: 2)
                let site = try await startNginx(lab, NginxSite(upstream: bind, useUpstreamBlock: true,
                                                               locationDirectives: ["proxy_http_version 1.1;", "proxy_set_header Connection \"\";"],
                                                               upstreamDirectives: ["keepalive 8;"]))
                let results = try await lab.generateTraffic(site.listen, path: "/health/", count: 3)
                #expect(results.allSatisfy { $0.status == 200 }, "\(results)")

                let (run, report) = try await diagnoseReport(lab)
                expectVerdict(run, report, status: "ok", layer: "none", check: nil)
                #expect(report.finding("keepalive-mismatch") == nil, "\(run)")
                try await captureIfAsked(lab, "response-keepalive-ok")
            }
        }

        @Test("keepalive complete, but gunicorn gthread workers keep idle connections 2 s (default) vs nginx's 60 s: warning, keepalive-mismatch (upstream-timeout-shorter)")
        func keepaliveTimeoutShorter() async throws {
            try await withScenarioLab("resp-keepalive-short", directory: scenarioDirectory("response-keepalive-timeout-shorter")) { lab in
                try await lab.startGunicorn(bind: bind, workers: 2, extraArgs: ["--worker-class", "gthread", "--threads", "2"])
                let site = try await startNginx(lab, NginxSite(upstream: bind, useUpstreamBlock: true,
                                                               locationDirectives: ["proxy_http_version 1.1;", "proxy_set_header Connection \"\";"],
                                                               upstreamDirectives: ["keepalive 8;"]))
                let results = try await lab.generateTraffic(site.listen, path: "/health/", count: 3)
                #expect(results.allSatisfy { $0.status == 200 }, "\(results)")

                let (run, report) = try await diagnoseReport(lab)
                expectVerdict(run, report, status: "warning", layer: "proxy", check: "keepalive-mismatch")
                #expect(cause(run, check: "keepalive-mismatch") == "upstream-timeout-shorter", "\(run)")
                let finding = try #require(report.finding("keepalive-mismatch"), "\(run)")
                #expect(finding.summary.contains("--keep-alive 2 (gunicorn's default, gthread workers)"), "\(finding.summary)")
                #expect(finding.summary.contains("60s (default)"), "\(finding.summary)")
                try await captureIfAsked(lab, "response-keepalive-timeout-shorter")
            }
        }
    }
}
