import DoctorLab
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Issue 3's connectivity scenarios: a real stack, ONE injected fault, real traffic
/// through nginx so its error log has the real lines, then `gwdoctor diagnose` and its
/// verdict (status, layer, check) exactly.
///
/// Each test first proves the fault really happens (nginx answers 502 and logs the
/// expected line), so a failing verdict points at gwdoctor, not at the lab.
extension LabTests {
    @Suite("Connectivity scenarios")
    struct Connectivity {
        /// Requests through nginx, each expected to get nginx's own `status`.
        private func traffic(_ lab: Lab, _ site: NginxSite, count: Int = 3, expect status: Int = 502,
                             sourceLocation: SourceLocation = #_sourceLocation) async throws {
            let results = try await lab.generateTraffic(site.listen, path: "/health/", count: count)
            for result in results {
                #expect(result.status == status, "through nginx: expected \(status), got \(result)\n\(lab.logs())",
                        sourceLocation: sourceLocation)
            }
        }

        /// nginx's error log must hold a line with every one of `needles`.
        @discardableResult
        private func expectErrorLog(_ lab: Lab, _ needles: [String],
                                    sourceLocation: SourceLocation = #_sourceLocation) async throws -> String? {
            let line = try await lab.waitForErrorLog(containingAll: needles)
            #expect(line != nil, "no error.log line with \(needles):\n\(lab.tail(lab.nginxErrorLog))", sourceLocation: sourceLocation)
            return line
        }

        // MARK: Healthy

        @Test("healthy nginx → uvicorn (ASGI) over TCP: ok, layer none")
        func healthyUvicorn() async throws {
            try await withScenarioLab("conn-healthy-uvicorn", directory: scenarioDirectory("healthy-uvicorn")) { lab in
                try await lab.startUvicorn(bind: .tcp(8000))
                let site = NginxSite(upstream: .tcp(8000))
                try lab.writeNginxConfig(site)
                try await lab.startNginx()
                let proxied = try await lab.httpGet(site.listen, path: "/health/")
                #expect(proxied.status == 200, "\(proxied)\n\(lab.logs())")
                try await traffic(lab, site, expect: 200)

                let (run, report) = try await diagnoseReport(lab)
                expectVerdict(run, report, status: "ok", layer: "none", check: nil)
                #expect(!report.findings.contains { $0.severity == "critical" }, "\(run)")
                #expect(report.routes.contains { $0.target.contains("127.0.0.1:8000") }, "\(run)")
                try await captureIfAsked(lab, "healthy-uvicorn")
            }
        }

        // MARK: upstream layer

        @Test("gunicorn stopped (TCP): critical, upstream, target-not-listening")
        func gunicornStoppedTCP() async throws {
            try await withScenarioLab("conn-stopped-tcp", directory: scenarioDirectory("gunicorn-stopped-tcp")) { lab in
                let (gunicorn, _, site) = try await startHealthyStack(lab, bind: .tcp(8000))
                #expect(try await lab.stop(gunicorn), "gunicorn did not stop on SIGTERM")
                #expect(try await lab.connectError(.tcp(8000)) == ECONNREFUSED)
                try await traffic(lab, site)
                try await expectErrorLog(lab, ["connect() failed (111: ", "upstream: \"http://127.0.0.1:8000/health/\""])

                let (run, report) = try await diagnoseReport(lab)
                expectVerdict(run, report, status: "critical", layer: "upstream", check: "target-not-listening")
                try await captureIfAsked(lab, "gunicorn-stopped-tcp", exampleName: "gunicorn-stopped")
            }
        }

        @Test("an upstream group whose two servers are both down: critical, upstream, upstream-group-down")
        func upstreamGroupDown() async throws {
            try await withScenarioLab("conn-group-down", directory: scenarioDirectory("upstream-group-down")) { lab in
                let site = NginxSite(upstream: .tcp(8001), useUpstreamBlock: true, upstreamServers: [.tcp(8001), .tcp(8002)])
                try lab.writeNginxConfig(site)
                #expect(lab.tail(lab.nginxConfigPath, lines: 200).contains("server 127.0.0.1:8002;"))
                try await lab.startNginx()
                try await traffic(lab, site)
                try await expectErrorLog(lab, ["connect() failed (111: ", "upstream: \"http://127.0.0.1:8001/health/\""])
                try await expectErrorLog(lab, ["connect() failed (111: ", "upstream: \"http://127.0.0.1:8002/health/\""])
                try await expectErrorLog(lab, ["no live upstreams while connecting to upstream"])

                let (run, report) = try await diagnoseReport(lab)
                expectVerdict(run, report, status: "critical", layer: "upstream", check: "upstream-group-down")
                try await captureIfAsked(lab, "upstream-group-down")
            }
        }

        // MARK: socket layer

        @Test("gunicorn stopped cleanly on a unix socket (file removed): critical, socket, socket-missing")
        func gunicornStoppedUnix() async throws {
            try await withScenarioLab("conn-stopped-unix", directory: scenarioDirectory("gunicorn-stopped-unix")) { lab in
                let socket = lab.socketPath()
                let (gunicorn, _, site) = try await startHealthyStack(lab, bind: .unix(path: socket))
                #expect(lab.isSocketFile(socket))
                #expect(try await lab.stop(gunicorn), "gunicorn did not stop on SIGTERM")
                #expect(!lab.exists(socket), "a clean gunicorn stop removes \(socket)")
                try await traffic(lab, site)
                try await expectErrorLog(lab, ["[crit]", "connect() to unix:\(socket) failed (2: "])

                let (run, report) = try await diagnoseReport(lab)
                expectVerdict(run, report, status: "critical", layer: "socket", check: "socket-missing")
                try await captureIfAsked(lab, "gunicorn-stopped-unix")
            }
        }

        @Test("stale socket after kill -9 of the gunicorn group: critical, socket, socket-stale")
        func staleSocket() async throws {
            try await withScenarioLab("conn-stale", directory: scenarioDirectory("socket-stale")) { lab in
                let socket = lab.socketPath()
                let (gunicorn, _, site) = try await startHealthyStack(lab, bind: .unix(path: socket))
                try await lab.killGroup(gunicorn)
                #expect(lab.isSocketFile(socket), "kill -9 leaves \(socket) behind")
                #expect(try await lab.connectError(.unix(path: socket)) == ECONNREFUSED)
                try await traffic(lab, site)
                try await expectErrorLog(lab, ["connect() to unix:\(socket) failed (111: "])

                let (run, report) = try await diagnoseReport(lab)
                expectVerdict(run, report, status: "critical", layer: "socket", check: "socket-stale")
                try await captureIfAsked(lab, "socket-stale", example: true)
            }
        }

        @Test("socket mode 0700 root (gunicorn --umask 0077), nginx worker www-data: critical, socket, socket-permission")
        func socketModeDenied() async throws {
            try await withScenarioLab("conn-perm-mode", directory: scenarioDirectory("socket-permission-mode")) { lab in
                let socket = lab.socketPath()
                let (_, _, site) = try await startHealthyStack(lab, bind: .unix(path: socket), gunicornArgs: ["--umask", "0077"])
                #expect(lab.fileMode(socket).map { $0 & 0o077 } == 0, "socket mode \(String(lab.fileMode(socket) ?? 0, radix: 8))")
                #expect(lab.ownerUID(socket) == 0)
                try await traffic(lab, site)
                try await expectErrorLog(lab, ["[crit]", "connect() to unix:\(socket) failed (13: "])

                let (run, report) = try await diagnoseReport(lab)
                expectVerdict(run, report, status: "critical", layer: "socket", check: "socket-permission")
                #expect(!report.allFixText.contains("777"), "a permission fix must never be world-writable:\n\(run)")
                #expect(!report.allFixText.contains("666"), "a permission fix must never be world-writable:\n\(run)")
                try await captureIfAsked(lab, "socket-permission-mode", exampleName: "socket-permission")
            }
        }

        @Test("socket 0666 but its directory 0700 root: critical, socket, socket-permission naming the directory")
        func socketDirectoryDenied() async throws {
            try await withScenarioLab("conn-perm-dir", directory: scenarioDirectory("socket-permission-dir")) { lab in
                let directory = "\(lab.runDirectory)/private"
                try lab.makeDirectory(directory, mode: 0o700)
                let socket = "\(directory)/app.sock"
                let (_, _, site) = try await startHealthyStack(lab, bind: .unix(path: socket), gunicornArgs: ["--umask", "0111"])
                #expect(lab.fileMode(socket) == 0o666, "socket mode \(String(lab.fileMode(socket) ?? 0, radix: 8))")
                #expect(lab.fileMode(directory) == 0o700)
                try await traffic(lab, site)
                try await expectErrorLog(lab, ["[crit]", "connect() to unix:\(socket) failed (13: "])

                let (run, report) = try await diagnoseReport(lab)
                expectVerdict(run, report, status: "critical", layer: "socket", check: "socket-permission")
                let evidence = report.finding("socket-permission")?.evidence.map(\.all).joined(separator: "\n") ?? ""
                // The directory itself, not only as the socket's prefix.
                let namesDirectory = evidence.split(whereSeparator: { " \n\"'`:".contains($0) }).contains { $0 == directory || $0 == directory + "/" }
                #expect(namesDirectory, "evidence must name \(directory):\n\(run)")
                #expect(!report.allFixText.contains("777"), "\(run)")
                try await captureIfAsked(lab, "socket-permission-dir")
            }
        }

        // MARK: route layer

        @Test("wrong port (nginx → 8001, gunicorn on 8000): critical, route, target-mismatch, fix names file:line and gunicorn")
        func wrongPort() async throws {
            try await withScenarioLab("conn-wrong-port", directory: scenarioDirectory("target-mismatch-port")) { lab in
                let gunicorn = try await lab.startGunicorn(bind: .tcp(8000))
                let site = NginxSite(upstream: .tcp(8001))
                try lab.writeNginxConfig(site)
                try await lab.startNginx()
                try await traffic(lab, site)
                try await expectErrorLog(lab, ["connect() failed (111: ", "upstream: \"http://127.0.0.1:8001/health/\""])

                let (run, report) = try await diagnoseReport(lab)
                expectVerdict(run, report, status: "critical", layer: "route", check: "target-mismatch")
                let line = try #require(lab.lineNumber(ofLine: "proxy_pass http://127.0.0.1:8001;", in: lab.nginxConfigPath))
                let fix = (report.verdict.fix ?? []).joined(separator: "\n")
                #expect(fix.contains("\(lab.nginxConfigPath):\(line)"), "fix must name the proxy_pass line \(lab.nginxConfigPath):\(line):\n\(run)")
                #expect(fix.contains("127.0.0.1:8000"), "fix must name gunicorn's bind 127.0.0.1:8000:\n\(run)")
                #expect(fix.contains(String(gunicorn.pid)), "fix must name gunicorn's pid \(gunicorn.pid):\n\(run)")
                try await captureIfAsked(lab, "target-mismatch-port", example: true)
            }
        }

        @Test("wrong socket path (nginx → run/app.sock, gunicorn on run/other.sock): critical, route, target-mismatch")
        func wrongSocketPath() async throws {
            try await withScenarioLab("conn-wrong-sock", directory: scenarioDirectory("target-mismatch-socket")) { lab in
                let served = lab.socketPath("other.sock"), wanted = lab.socketPath("app.sock")
                try await lab.startGunicorn(bind: .unix(path: served))
                let site = NginxSite(upstream: .unix(path: wanted))
                try lab.writeNginxConfig(site)
                try await lab.startNginx()
                try await traffic(lab, site)
                try await expectErrorLog(lab, ["[crit]", "connect() to unix:\(wanted) failed (2: "])

                let (run, report) = try await diagnoseReport(lab)
                expectVerdict(run, report, status: "critical", layer: "route", check: "target-mismatch")
                try await captureIfAsked(lab, "target-mismatch-socket")
            }
        }

        @Test("[::1] vs 127.0.0.1 (gunicorn on [::1]:8000, nginx → 127.0.0.1:8000): critical, route, target-mismatch")
        func ipv6Mismatch() async throws {
            try await withScenarioLab("conn-ipv6", directory: scenarioDirectory("target-mismatch-ipv6")) { lab in
                let served = Bind.tcp(host: "::1", port: 8000)
                try await lab.startGunicorn(bind: served)
                #expect(try await lab.httpGet(served, path: "/health/").status == 200)
                #expect(try await lab.connectError(.tcp(8000)) == ECONNREFUSED)
                let site = NginxSite(upstream: .tcp(8000))
                try lab.writeNginxConfig(site)
                try await lab.startNginx()
                try await traffic(lab, site)
                try await expectErrorLog(lab, ["connect() failed (111: ", "upstream: \"http://127.0.0.1:8000/health/\""])

                let (run, report) = try await diagnoseReport(lab)
                expectVerdict(run, report, status: "critical", layer: "route", check: "target-mismatch")
                try await captureIfAsked(lab, "target-mismatch-ipv6")
            }
        }

        // MARK: network layer

        @Test("variable proxy_pass to app.invalid without a resolver: critical, network, target-unresolvable")
        func targetUnresolvable() async throws {
            try await withScenarioLab("conn-unresolvable", directory: scenarioDirectory("target-unresolvable")) { lab in
                try await lab.startGunicorn(bind: .tcp(8000))
                // A plain `proxy_pass http://app.invalid:8000;` fails `nginx -t`; through a
                // variable nginx starts and fails each request instead.
                let site = NginxSite(upstream: .tcp(8000), locationDirectives: ["set $backend http://app.invalid:8000;"],
                                     proxyPassTarget: "$backend")
                try lab.writeNginxConfig(site)
                #expect(try await lab.nginxTest().exitCode == 0)
                try await lab.startNginx()
                try await traffic(lab, site)
                try await expectErrorLog(lab, ["no resolver defined to resolve app.invalid"])

                let (run, report) = try await diagnoseReport(lab)
                expectVerdict(run, report, status: "critical", layer: "network", check: "target-unresolvable")
                try await captureIfAsked(lab, "target-unresolvable")
            }
        }

        // MARK: capacity layer

        /// One sync worker with `--backlog 1` on a unix socket; a bounded burst of slow
        /// requests through nginx overflows the accept queue, and nginx's non-blocking
        /// connect() gets EAGAIN.
        @Test("backlog full (1 worker, --backlog 1, burst of slow requests): capacity, backlog-full")
        func backlogFull() async throws {
            try await withScenarioLab("conn-backlog", directory: scenarioDirectory("backlog-full")) { lab in
                let socket = lab.socketPath()
                let (_, _, site) = try await startHealthyStack(lab, bind: .unix(path: socket), workers: 1,
                                                               gunicornArgs: ["--backlog", "1"])
                // 24 concurrent 2 s requests: 1 served at a time, ~2 queued, the rest refused
                // at once. nginx's 64 worker_connections hold 24 clients and their upstreams.
                let burst = try await lab.httpBurst(site.listen, path: "/slow/?s=2", count: 24, timeout: .seconds(40))
                #expect(burst.count(status: 502) > 0, "\(burst)\n\(lab.logs())")
                #expect(burst.count(status: 200) > 0, "the worker still serves some: \(burst)")
                let eagain = lab.errorLogLines(containingAll: ["connect() to unix:\(socket) failed (11: "])
                #expect(!eagain.isEmpty, "no EAGAIN line in error.log (\(burst)):\n\(lab.tail(lab.nginxErrorLog))")
                // The stack serves again once the burst is over.
                #expect(try await lab.httpGet(site.listen, path: "/health/").status == 200)

                let (run, report) = try await diagnoseReport(lab)
                #expect(report.status == "critical" || report.status == "warning", "\(run)")
                #expect(report.verdict.layer == "capacity", "\(run)")
                #expect(report.verdict.check == "backlog-full", "\(run)")
                print("backlog-full: burst \(burst); \(eagain.count) EAGAIN lines; status \(report.status)")
                try await captureIfAsked(lab, "backlog-full")
            }
        }
    }
}
