import DoctorLab
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Issue 7's Caddy scenarios: real Caddy 2 (Debian's package, run as the `caddy` user
/// with `admin off`, `auto_https off`, `bind 127.0.0.1`, JSON logs in the lab directory)
/// in front of a real Gunicorn, ONE injected fault, real traffic through Caddy so its
/// log has the real lines, then `gwdoctor diagnose --caddyfile` and its verdict.
///
/// Each asserts the same status, layer and check id (and cause) as the nginx scenario for
/// the same fault (ConnectivityScenarioTests, TimeoutScenarioTests): the facts are the
/// same, so the checks must not care which proxy wrote them.
extension LabTests {
    @Suite("Caddy scenarios")
    struct CaddyScenario {
        /// Requests through Caddy, each expected to get `status`.
        private func traffic(_ lab: Lab, _ site: LabCaddySite, count: Int = 3, expect status: Int = 502,
                             sourceLocation: SourceLocation = #_sourceLocation) async throws {
            let results = try await lab.generateTraffic(site.listen, path: "/health/", count: count)
            for result in results {
                #expect(result.status == status, "through caddy: expected \(status), got \(result)\n\(lab.logs())\n\(lab.tail(lab.caddyLog))",
                        sourceLocation: sourceLocation)
            }
        }

        /// Caddy's log must hold a line with every one of `needles`.
        @discardableResult
        private func expectCaddyLog(_ lab: Lab, _ needles: [String],
                                    sourceLocation: SourceLocation = #_sourceLocation) async throws -> String? {
            let line = try await lab.waitForCaddyLog(containingAll: needles)
            #expect(line != nil, "no caddy log line with \(needles):\n\(lab.tail(lab.caddyLog))", sourceLocation: sourceLocation)
            return line
        }

        /// Gunicorn on `bind`, Caddy in front of it.
        private func startStack(_ lab: Lab, bind: Bind, gunicornArgs: [String] = [],
                                site: LabCaddySite? = nil) async throws -> (gunicorn: LabProcess, site: LabCaddySite) {
            let gunicorn = try await lab.startGunicorn(bind: bind, workers: 2, extraArgs: gunicornArgs)
            let site = site ?? LabCaddySite(upstream: bind)
            try lab.writeCaddyfile(site)
            try await lab.startCaddy(site)
            return (gunicorn, site)
        }

        private func diagnose(_ lab: Lab, sourceLocation: SourceLocation = #_sourceLocation) async throws -> (run: DoctorRun, report: ReportJSON) {
            let run = try await lab.diagnoseCaddy()
            let report = try #require(try? run.decode(ReportJSON.self), "gwdoctor diagnose did not print a JSON report:\n\(run)",
                                      sourceLocation: sourceLocation)
            #expect(report.version == 1, sourceLocation: sourceLocation)
            #expect(run.exitCode == exitCode(forStatus: report.status), "exit code must follow the status:\n\(run)",
                    sourceLocation: sourceLocation)
            // Only the lab's Caddy: no nginx of another lab or of the machine.
            #expect(report.routes.allSatisfy { $0.proxy == "caddy" }, "\(report.routes)", sourceLocation: sourceLocation)
            return (run, report)
        }

        /// The `cause` of a finding, read from the raw JSON.
        private func cause(_ run: DoctorRun, check: String) -> String? {
            guard let json = try? run.json(), let findings = json["findings"] as? [[String: Any]] else { return nil }
            return findings.first { $0["check"] as? String == check }?["cause"] as? String
        }

        /// The `file:line` of the `reverse_proxy` line in the lab's Caddyfile.
        private func proxyLine(_ lab: Lab) throws -> String {
            let line = try #require(lab.lineNumber(of: "reverse_proxy", in: lab.caddyfilePath))
            return "\(lab.caddyfilePath):\(line)"
        }

        /// Fixture (and example) capture with `gwdoctor snapshot --caddyfile`, as `captureIfAsked` does for nginx.
        private func captureIfAsked(_ lab: Lab, _ name: String, exampleName: String? = nil,
                                    sourceLocation: SourceLocation = #_sourceLocation) async throws {
            var destinations: [String] = []
            if Lab.capturesExamples, let exampleName { destinations.append("\(lab.repositoryRoot)/Examples/\(exampleName)") }
            if Lab.capturesFixtures { destinations.append(Lab.fixtureDestination(name, repositoryRoot: lab.repositoryRoot)) }
            for destination in destinations {
                let run = try await lab.captureCaddySnapshot(to: destination)
                #expect(run.exitCode == 0, "snapshot of \(name) failed:\n\(run)", sourceLocation: sourceLocation)
                let entries = (try? FileManager.default.contentsOfDirectory(atPath: destination)) ?? []
                #expect(!entries.isEmpty, "\(destination) is empty", sourceLocation: sourceLocation)
            }
        }

        // MARK: Healthy

        @Test("healthy caddy → gunicorn over TCP: ok, layer none; routes lists the reverse_proxy with file:line")
        func healthy() async throws {
            try await withScenarioLab("caddy-healthy", directory: scenarioDirectory("caddy-healthy")) { lab in
                let (_, site) = try await startStack(lab, bind: .tcp(8000))
                let validate = try await lab.caddyValidate()
                #expect(validate.exitCode == 0, "\(validate)")
                try await traffic(lab, site, expect: 200)
                try await expectCaddyLog(lab, ["http.log.access", "\"status\":200"])

                let (run, report) = try await diagnose(lab)
                expectVerdict(run, report, status: "ok", layer: "none", check: nil)
                #expect(!report.findings.contains { $0.severity == "critical" }, "\(run)")
                let route = try #require(report.routes.first, "\(run)")
                #expect(route.target.contains("127.0.0.1:8000"), "\(route)")
                #expect(route.source == (try proxyLine(lab)), "\(route)")
                #expect(route.servedBy?.contains("gunicorn") == true, "\(route)")

                let routes = try await lab.routesCaddy()
                let listed = try #require(try? routes.decode(RoutesJSON.self), "\(routes)")
                #expect(listed.routes.count == 1, "\(routes)")
                #expect(listed.routes.first?.proxy == "caddy")
                #expect(listed.routes.first?.source == (try proxyLine(lab)), "\(routes)")
                #expect(listed.routes.first?.serverName == "lab.test", "\(routes)")
                // Found from the process table alone (`caddy run --config …`), as on a server where nobody names the file.
                let discovered = try await lab.runDoctor(["routes", "--format", "json"])
                let all = try #require(try? discovered.decode(RoutesJSON.self), "\(discovered)")
                #expect(all.routes.contains { $0.proxy == "caddy" && $0.source == (try? proxyLine(lab)) }, "\(discovered)")
                try await captureIfAsked(lab, "caddy-healthy")
            }
        }

        // MARK: proxy layer

        @Test("caddy stopped: critical, proxy, proxy-down (as nginx stopped)")
        func caddyStopped() async throws {
            try await withScenarioLab("caddy-stopped", directory: scenarioDirectory("caddy-stopped")) { lab in
                let (_, site) = try await startStack(lab, bind: .tcp(8000))
                try await lab.stopCaddy()
                #expect(try await lab.httpGet(site.listen, path: "/health/").isRefused)

                let (run, report) = try await diagnose(lab)
                expectVerdict(run, report, status: "critical", layer: "proxy", check: "proxy-down")
                let finding = try #require(report.finding("proxy-down"), "\(run)")
                #expect(finding.summary.contains("Caddy is not running"), "\(finding.summary)")
                #expect(finding.fix.joined(separator: "\n").contains("caddy validate --config \(lab.caddyfilePath)"), "\(finding.fix)")
                try await captureIfAsked(lab, "caddy-stopped")
            }
        }

        @Test("Caddyfile broken on disk while caddy still serves: warning, proxy, proxy-config-invalid naming file:line (as nginx)")
        func caddyfileBrokenWhileRunning() async throws {
            try await withScenarioLab("caddy-conf-running", directory: scenarioDirectory("caddy-config-broken-running")) { lab in
                let (_, site) = try await startStack(lab, bind: .tcp(8000))
                // Someone edits the Caddyfile (a misspelt directive); no reload yet.
                var broken = site
                broken.siteDirectives = ["revers_proxy 127.0.0.1:8001"]
                try lab.writeCaddyfile(broken)
                let line = try #require(lab.lineNumber(of: "revers_proxy", in: lab.caddyfilePath))
                let validate = try await lab.caddyValidate()
                #expect(validate.exitCode != 0 && validate.stderr.contains("\(lab.caddyfilePath):\(line)"), "\(validate)")
                #expect(try await lab.httpGet(site.listen, path: "/health/").status == 200, "the running caddy keeps its config")

                let (run, report) = try await diagnose(lab)
                expectVerdict(run, report, status: "warning", layer: "proxy", check: "proxy-config-invalid")
                let finding = try #require(report.finding("proxy-config-invalid"), "\(run)")
                #expect(finding.evidence.contains { $0.all.contains("\(lab.caddyfilePath):\(line)") }, "evidence must name the line:\n\(run)")
                #expect(finding.summary.contains("caddy validate"), "\(finding.summary)")
                try await captureIfAsked(lab, "caddy-config-broken-running")
            }
        }

        // MARK: upstream layer

        @Test("gunicorn stopped (TCP) behind caddy: critical, upstream, target-not-listening")
        func upstreamStopped() async throws {
            try await withScenarioLab("caddy-stopped", directory: scenarioDirectory("caddy-upstream-stopped")) { lab in
                let (gunicorn, site) = try await startStack(lab, bind: .tcp(8000))
                #expect(try await lab.stop(gunicorn), "gunicorn did not stop on SIGTERM")
                #expect(try await lab.connectError(.tcp(8000)) == ECONNREFUSED)
                try await traffic(lab, site)
                try await expectCaddyLog(lab, ["http.log.error", "dial tcp 127.0.0.1:8000: connect: connection refused"])

                let (run, report) = try await diagnose(lab)
                expectVerdict(run, report, status: "critical", layer: "upstream", check: "target-not-listening")
                #expect(report.verdictEvidenceText.contains(lab.caddyLog), "the log line is evidence:\n\(run)")
                try await captureIfAsked(lab, "caddy-upstream-stopped", exampleName: "caddy-upstream-stopped")
            }
        }

        @Test("reverse_proxy with two upstreams, both down: critical, upstream, upstream-group-down (as nginx's upstream block)")
        func upstreamGroupDown() async throws {
            try await withScenarioLab("caddy-group-down", directory: scenarioDirectory("caddy-upstream-group-down")) { lab in
                let site = LabCaddySite(upstream: .tcp(8001), upstreams: [.tcp(8001), .tcp(8002)])
                try lab.writeCaddyfile(site)
                #expect(lab.tail(lab.caddyfilePath, lines: 200).contains("reverse_proxy 127.0.0.1:8001 127.0.0.1:8002"))
                try await lab.startCaddy(site)
                // Caddy's default policy picks one upstream at random per request: enough requests reach both.
                try await traffic(lab, site, count: 10)
                try await expectCaddyLog(lab, ["connect: connection refused"])

                let (run, report) = try await diagnose(lab)
                expectVerdict(run, report, status: "critical", layer: "upstream", check: "upstream-group-down")
                #expect(report.routes.first?.target.contains("127.0.0.1:8001 127.0.0.1:8002") == true, "\(report.routes)")
                try await captureIfAsked(lab, "caddy-upstream-group-down")
            }
        }

        // MARK: route layer

        @Test("wrong port (caddy → 8001, gunicorn on 8000): critical, route, target-mismatch, fix names the Caddyfile line")
        func wrongPort() async throws {
            try await withScenarioLab("caddy-wrong-port", directory: scenarioDirectory("caddy-target-mismatch-port")) { lab in
                let gunicorn = try await lab.startGunicorn(bind: .tcp(8000))
                let site = LabCaddySite(upstream: .tcp(8001))
                try lab.writeCaddyfile(site)
                try await lab.startCaddy(site)
                try await traffic(lab, site)
                try await expectCaddyLog(lab, ["dial tcp 127.0.0.1:8001: connect: connection refused"])

                let (run, report) = try await diagnose(lab)
                expectVerdict(run, report, status: "critical", layer: "route", check: "target-mismatch")
                let fix = (report.verdict.fix ?? []).joined(separator: "\n")
                #expect(fix.contains(try proxyLine(lab)), "fix must name the reverse_proxy line:\n\(run)")
                #expect(fix.contains("127.0.0.1:8000"), "fix must name gunicorn's bind:\n\(run)")
                #expect(fix.contains(String(gunicorn.pid)), "fix must name gunicorn's pid \(gunicorn.pid):\n\(run)")
                #expect(!fix.contains("proxy_pass"), "a Caddy fix speaks Caddy:\n\(fix)")
                try await captureIfAsked(lab, "caddy-target-mismatch-port")
            }
        }

        // MARK: socket layer

        @Test("gunicorn stopped cleanly on a unix socket behind caddy (file removed): critical, socket, socket-missing")
        func socketMissing() async throws {
            try await withScenarioLab("caddy-sock-missing", directory: scenarioDirectory("caddy-socket-missing")) { lab in
                let socket = lab.socketPath()
                let (gunicorn, site) = try await startStack(lab, bind: .unix(path: socket))
                #expect(try await lab.stop(gunicorn), "gunicorn did not stop on SIGTERM")
                #expect(!lab.exists(socket), "a clean gunicorn stop removes \(socket)")
                try await traffic(lab, site)
                try await expectCaddyLog(lab, ["dial unix \(socket): connect: no such file or directory"])

                let (run, report) = try await diagnose(lab)
                expectVerdict(run, report, status: "critical", layer: "socket", check: "socket-missing")
                try await captureIfAsked(lab, "caddy-socket-missing")
            }
        }

        @Test("socket mode 0700 root (gunicorn --umask 0077), caddy runs as caddy: critical, socket, socket-permission")
        func socketPermission() async throws {
            try await withScenarioLab("caddy-sock-perm", directory: scenarioDirectory("caddy-socket-permission")) { lab in
                let socket = lab.socketPath()
                let (_, site) = try await startStack(lab, bind: .unix(path: socket), gunicornArgs: ["--umask", "0077"])
                #expect(lab.fileMode(socket).map { $0 & 0o077 } == 0, "socket mode \(String(lab.fileMode(socket) ?? 0, radix: 8))")
                #expect(lab.ownerUID(socket) == 0)
                try await traffic(lab, site)
                try await expectCaddyLog(lab, ["dial unix \(socket): connect: permission denied"])

                let (run, report) = try await diagnose(lab)
                expectVerdict(run, report, status: "critical", layer: "socket", check: "socket-permission")
                // The user is Caddy's process's, not nginx's default.
                let evidence = report.finding("socket-permission")?.evidence.map(\.all).joined(separator: "\n") ?? ""
                #expect(evidence.contains("caddy"), "evidence must name the caddy user:\n\(run)")
                #expect(!report.allFixText.contains("777") && !report.allFixText.contains("666"), "\(run)")
                try await captureIfAsked(lab, "caddy-socket-permission")
            }
        }

        @Test("stale socket after kill -9 of the gunicorn group, behind caddy: critical, socket, socket-stale")
        func staleSocket() async throws {
            try await withScenarioLab("caddy-stale", directory: scenarioDirectory("caddy-socket-stale")) { lab in
                let socket = lab.socketPath()
                let (gunicorn, site) = try await startStack(lab, bind: .unix(path: socket))
                try await lab.killGroup(gunicorn)
                #expect(lab.isSocketFile(socket), "kill -9 leaves \(socket) behind")
                try await traffic(lab, site)
                try await expectCaddyLog(lab, ["dial unix \(socket): connect: connection refused"])

                let (run, report) = try await diagnose(lab)
                expectVerdict(run, report, status: "critical", layer: "socket", check: "socket-stale")
                try await captureIfAsked(lab, "caddy-socket-stale")
            }
        }

        // MARK: capacity layer

        @Test("a 3 s view behind response_header_timeout 1s and gunicorn --timeout 30: 504, warning, capacity, upstream-timeout (caddy gives up first)")
        func headerTimeout() async throws {
            try await withScenarioLab("caddy-timeout", directory: scenarioDirectory("caddy-timeout")) { lab in
                let site = LabCaddySite(upstream: .tcp(8000), transportDirectives: ["response_header_timeout 1s"])
                let (gunicorn, _) = try await startStack(lab, bind: .tcp(8000), gunicornArgs: ["--timeout", "30"], site: site)
                _ = gunicorn
                let slow = try await lab.httpGet(site.listen, path: "/slow/?s=3", timeout: .seconds(10))
                #expect(slow.status == 504, "through caddy: \(slow)\n\(lab.tail(lab.caddyLog))")
                try await expectCaddyLog(lab, ["net/http: timeout awaiting response headers", "/slow/?s=3"])
                let healthy = try await lab.generateTraffic(site.listen, path: "/health/", count: 2)
                #expect(healthy.allSatisfy { $0.status == 200 }, "\(healthy)")
                try await Task.sleep(for: .seconds(2.5))

                let (run, report) = try await diagnose(lab)
                expectVerdict(run, report, status: "warning", layer: "capacity", check: "upstream-timeout")
                #expect(cause(run, check: "upstream-timeout") == "proxy-gives-up-first", "\(run)")
                let finding = try #require(report.finding("upstream-timeout"), "\(run)")
                #expect(finding.summary.contains("response_header_timeout 1s"), "\(finding.summary)")
                #expect(finding.summary.contains("--timeout 30"), "\(finding.summary)")
                #expect(!finding.summary.contains("nginx"), "a Caddy finding speaks Caddy: \(finding.summary)")
                let evidence = finding.evidence.map(\.all).joined(separator: "\n")
                let line = try #require(lab.lineNumber(of: "response_header_timeout", in: lab.caddyfilePath))
                #expect(evidence.contains("\(lab.caddyfilePath):\(line)"), "\(evidence)")
                #expect(evidence.contains("GET /slow/ (1)"), "\(evidence)")
                try await captureIfAsked(lab, "caddy-timeout")
            }
        }
    }
}
