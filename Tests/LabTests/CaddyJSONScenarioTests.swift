import DoctorLab
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Caddy started from a native JSON config (`caddy run --config caddy.json`), as API-driven
/// and generated deployments run it: real Caddy 2 (Debian's package, the `caddy` user) in
/// front of a real Gunicorn, then `gwdoctor diagnose --caddyfile caddy.json`. Before JSON was
/// read these runs saw no route at all; now they must reach the same verdicts as the
/// Caddyfile scenarios (CaddyScenarioTests) for the same stacks, with evidence pointing at
/// the JSON line and pointer.
extension LabTests {
    @Suite("Caddy JSON config scenarios")
    struct CaddyJSONScenario {
        private func startStack(_ lab: Lab, bind: Bind) async throws -> (gunicorn: LabProcess, site: LabCaddySite) {
            let gunicorn = try await lab.startGunicorn(bind: bind, workers: 2)
            let site = LabCaddySite(upstream: bind)
            try lab.writeCaddyJSON(site)
            try await lab.startCaddyJSON(site)
            return (gunicorn, site)
        }

        private func diagnose(_ lab: Lab, sourceLocation: SourceLocation = #_sourceLocation) async throws -> (run: DoctorRun, report: ReportJSON) {
            let run = try await lab.diagnoseCaddyJSON()
            let report = try #require(try? run.decode(ReportJSON.self), "gwdoctor diagnose did not print a JSON report:\n\(run)",
                                      sourceLocation: sourceLocation)
            #expect(run.exitCode == exitCode(forStatus: report.status), "exit code must follow the status:\n\(run)",
                    sourceLocation: sourceLocation)
            #expect(report.routes.allSatisfy { $0.proxy == "caddy" }, "\(report.routes)", sourceLocation: sourceLocation)
            #expect(!run.stdout.contains("reads Caddyfiles only"), "\(run)", sourceLocation: sourceLocation)
            return (run, report)
        }

        /// `caddy.json:LINE (/apps/http/servers/lab/routes/0/handle/0)`: the line of the handler object's `{`.
        private func proxySource(_ lab: Lab) throws -> String {
            let line = try #require(lab.lineNumber(of: "\"handler\": \"reverse_proxy\"", in: lab.caddyJSONPath))
            return "\(lab.caddyJSONPath):\(line - 1) (/apps/http/servers/lab/routes/0/handle/0)"
        }

        private func captureIfAsked(_ lab: Lab, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
            guard Lab.capturesFixtures else { return }
            let destination = Lab.fixtureDestination(name, repositoryRoot: lab.repositoryRoot)
            let run = try await lab.captureCaddyJSONSnapshot(to: destination)
            #expect(run.exitCode == 0, "snapshot of \(name) failed:\n\(run)", sourceLocation: sourceLocation)
        }

        @Test("healthy caddy (caddy.json) → gunicorn over TCP: ok, layer none; the route is read from the JSON with line and pointer")
        func healthy() async throws {
            try await withScenarioLab("caddy-json-healthy", directory: scenarioDirectory("caddy-json-healthy")) { lab in
                let (_, site) = try await startStack(lab, bind: .tcp(8000))
                let through = try await lab.generateTraffic(site.listen, path: "/health/", count: 3)
                #expect(through.allSatisfy { $0.status == 200 }, "\(through)\n\(lab.tail(lab.caddyLog))")

                let (run, report) = try await diagnose(lab)
                expectVerdict(run, report, status: "ok", layer: "none", check: nil)
                let route = try #require(report.routes.first, "\(run)")
                #expect(report.routes.count == 1, "\(report.routes)")
                #expect(route.target.contains("127.0.0.1:8000"), "\(route)")
                #expect(route.listen.contains("127.0.0.1:8080"), "\(route)")
                #expect(route.serverName == "lab.test", "\(route)")
                #expect(route.source == (try proxySource(lab)), "\(route)")
                #expect(route.servedBy?.contains("gunicorn") == true, "\(route)")
                // Found from the process table alone (`caddy run --config …/caddy.json`).
                let discovered = try await lab.runDoctor(["routes", "--format", "json"])
                let all = try #require(try? discovered.decode(RoutesJSON.self), "\(discovered)")
                #expect(all.routes.contains { $0.proxy == "caddy" && $0.source == (try? proxySource(lab)) }, "\(discovered)")
                try await captureIfAsked(lab, "caddy-json-healthy")
            }
        }

        @Test("caddy whose config came through the admin API (no file): its config is said unavailable with the reason, no route is invented")
        func configThroughAdminAPI() async throws {
            try await withScenarioLab("caddy-json-admin-api") { lab in
                _ = try await lab.startGunicorn(bind: .tcp(8000), workers: 2)
                let site = LabCaddySite(upstream: .tcp(8000))
                let caddy = try await lab.startCaddyThroughAdminAPI(site)
                #expect(try await lab.httpGet(site.listen, path: "/health/").status == 200, "the pushed config serves")
                #expect(!FileManager.default.fileExists(atPath: lab.caddyJSONPath))

                let run = try await lab.runDoctor(["diagnose", "--format", "json"])
                let report = try #require(try? run.decode(ReportJSON.self), "\(run)")
                let said = report.unavailable.first { $0.what == "caddy pid \(caddy.pid) config" }
                #expect(said?.reason == "no --config and no \(lab.caddyHome)/Caddyfile: config loaded through the admin API; gwdoctor does not query it",
                        "\(report.unavailable)")
                #expect(!report.routes.contains { $0.proxy == "caddy" }, "\(report.routes)")
            }
        }

        @Test("gunicorn stopped behind caddy (caddy.json): critical, upstream, target-not-listening, the caddy log line as evidence")
        func upstreamStopped() async throws {
            try await withScenarioLab("caddy-json-stopped", directory: scenarioDirectory("caddy-json-upstream-stopped")) { lab in
                let (gunicorn, site) = try await startStack(lab, bind: .tcp(8000))
                #expect(try await lab.stop(gunicorn), "gunicorn did not stop on SIGTERM")
                #expect(try await lab.connectError(.tcp(8000)) == ECONNREFUSED)
                let through = try await lab.generateTraffic(site.listen, path: "/health/", count: 3)
                #expect(through.allSatisfy { $0.status == 502 }, "\(through)")
                let line = try await lab.waitForCaddyLog(containingAll: ["dial tcp 127.0.0.1:8000: connect: connection refused"])
                #expect(line != nil, "\(lab.tail(lab.caddyLog))")

                let (run, report) = try await diagnose(lab)
                expectVerdict(run, report, status: "critical", layer: "upstream", check: "target-not-listening")
                #expect(report.verdictEvidenceText.contains(lab.caddyLog), "the log line is evidence:\n\(run)")
                #expect(report.verdictEvidenceText.contains("/apps/http/servers/lab/routes/0/handle/0"),
                        "the route's JSON pointer is evidence:\n\(run)")
                try await captureIfAsked(lab, "caddy-json-upstream-stopped")
            }
        }
    }
}
