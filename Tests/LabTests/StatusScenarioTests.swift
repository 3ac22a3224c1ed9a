import DoctorLab
import Foundation
import Testing

/// Status scenarios: who made the 5xx. nginx → Gunicorn (TCP 127.0.0.1:8000) → the lab's
/// Django site, whose `/boom/` view raises (Django answers 500 itself), with a bounded
/// number of requests through nginx, then `gwdoctor diagnose`.
///
/// Each test first proves the fault from outside gwdoctor (the client's statuses, the access
/// log's lines, the error log's silence or its upstream line), then asserts the verdict's
/// status, layer and check. One lab logs with a `log_format` holding `$upstream_status` and
/// `$upstream_header_time` (the proof of who answered), one with nginx's default `combined`
/// (no upstream variables: gwdoctor infers from the error log and says so).
extension LabTests {
    @Suite("Status scenarios")
    struct StatusScenario {
        private let bind = Bind.tcp(8000)
        /// A format that proves the origin of a 5xx: the upstream's status and header time.
        private let upstreamFormat = """
            log_format upstreams '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent '
                                 '"$http_referer" "$http_user_agent" us=$upstream_status ua=$upstream_addr '
                                 'uht=$upstream_header_time urt=$upstream_response_time rt=$request_time';
            """

        /// Gunicorn on `bind`, nginx with `site`, and the app answering /health/.
        private func start(_ lab: Lab, _ site: NginxSite) async throws {
            _ = try await lab.startGunicorn(bind: bind, workers: 2)
            try lab.writeNginxConfig(site)
            try await lab.startNginx()
            try await lab.waitUntilHealthy(site.listen)
        }

        /// `count` requests to `path` through nginx, each expected to get `status`.
        private func traffic(_ lab: Lab, _ site: NginxSite, _ path: String, count: Int, expect status: Int,
                             sourceLocation: SourceLocation = #_sourceLocation) async throws {
            for result in try await lab.generateTraffic(site.listen, path: path, count: count) {
                #expect(result.status == status, "\(path) through nginx: expected \(status), got \(result)\n\(lab.logs())",
                        sourceLocation: sourceLocation)
            }
        }

        /// Lines of nginx's error log mentioning an upstream (nginx writes one per 502/504 it makes).
        private func upstreamErrorLines(_ lab: Lab) -> [Substring] {
            let text = (try? String(contentsOfFile: lab.nginxErrorLog, encoding: .utf8)) ?? ""
            return text.split(separator: "\n").filter { $0.contains("upstream") && $0.contains("[error]") || $0.contains("[crit]") }
        }

        private func accessLines(_ lab: Lab, containing needle: String) -> [Substring] {
            let text = (try? String(contentsOfFile: lab.nginxAccessLog, encoding: .utf8)) ?? ""
            return text.split(separator: "\n").filter { $0.contains(needle) }
        }

        @Test("a Django view raising (500 passes through nginx), upstream log_format: warning, app, app-returned-5xx")
        func appErrorWithUpstreamFormat() async throws {
            try await withScenarioLab("status-app-500", directory: scenarioDirectory("status-app-500")) { lab in
                var site = NginxSite(upstream: bind)
                site.logFormats = [upstreamFormat]
                site.accessLogFormat = "upstreams"
                // A second location in front of the same app: only /boom/ fails.
                site.serverDirectives = ["location /boom/ { proxy_pass \(bind.nginxProxyPassTarget); }"]
                try await start(lab, site)
                try await traffic(lab, site, "/health/", count: 6, expect: 200)
                try await traffic(lab, site, "/boom/", count: 4, expect: 500)
                // The proof, outside gwdoctor: the app answered (upstream status 500 with a header
                // time), and nginx wrote no upstream error.
                let boom = accessLines(lab, containing: "GET /boom/")
                #expect(boom.count == 4 && boom.allSatisfy { $0.contains(" 500 ") && $0.contains("us=500") && !$0.contains("uht=-") },
                        "\(boom)")
                #expect(upstreamErrorLines(lab).isEmpty, "\(upstreamErrorLines(lab))")

                let (run, report) = try await diagnoseReport(lab)
                expectVerdict(run, report, status: "warning", layer: "app", check: "app-returned-5xx")
                #expect(report.verdict.summary.contains("500×4"), "\(run)")
                #expect(report.verdict.summary.contains("not a gateway failure"), "\(run)")
                #expect(report.verdictEvidenceText.contains("$upstream_status equals $status"), "\(run)")
                // Failures concentrated on /boom/: context, the app's own failure.
                let partial = report.finding("failures-on-some-routes")
                #expect(partial?.severity == "info" && partial?.layer == "app", "\(run)")
                #expect(partial?.summary.contains("lab.test /boom/ 4/4 failed") == true, "\(run)")
                #expect(report.finding("proxy-generated-502") == nil, "\(run)")
                try await captureIfAsked(lab, "status-app-500")
            }
        }

        @Test("a Django view raising, default combined log format: warning, app, app-returned-5xx (inferred from the error log)")
        func appErrorWithCombinedFormat() async throws {
            try await withScenarioLab("status-app-500-combined", directory: scenarioDirectory("status-app-500-combined")) { lab in
                var site = NginxSite(upstream: bind)
                site.accessLogFormat = "combined"
                try await start(lab, site)
                try await traffic(lab, site, "/health/", count: 5, expect: 200)
                try await traffic(lab, site, "/boom/", count: 3, expect: 500)
                let boom = accessLines(lab, containing: "GET /boom/")
                #expect(boom.count == 3 && boom.allSatisfy { $0.contains("\" 500 ") && !$0.contains("upstream") }, "\(boom)")
                #expect(upstreamErrorLines(lab).isEmpty, "\(upstreamErrorLines(lab))")

                let (run, report) = try await diagnoseReport(lab)
                expectVerdict(run, report, status: "warning", layer: "app", check: "app-returned-5xx")
                #expect(report.verdict.summary.contains("500×3"), "\(run)")
                // Without upstream variables the origin is inferred, and the finding says so.
                #expect(report.verdictEvidenceText.contains("likely, not proven"), "\(run)")
                #expect(report.allFixText.contains("$upstream_status"), "\(run)")
                try await captureIfAsked(lab, "status-app-500-combined")
            }
        }

        @Test("502s only on one location whose target is down: the cause (target-not-listening) is the verdict, the 502s are context")
        func proxyErrorsOnOneLocation() async throws {
            try await withScenarioLab("status-one-location-502", directory: scenarioDirectory("status-one-location-502")) { lab in
                var site = NginxSite(upstream: bind)
                site.logFormats = [upstreamFormat]
                site.accessLogFormat = "upstreams"
                // Nothing listens on 8009: every /reports/ request is a refused connect.
                site.serverDirectives = ["location /reports/ { proxy_pass http://127.0.0.1:8009; }"]
                try await start(lab, site)
                try await traffic(lab, site, "/health/", count: 5, expect: 200)
                try await traffic(lab, site, "/reports/", count: 3, expect: 502)
                #expect(upstreamErrorLines(lab).contains { $0.contains("111: Connection refused") }, "\(upstreamErrorLines(lab))")
                // nginx logs its own 502 with upstream status 502 but no header time.
                #expect(accessLines(lab, containing: "GET /reports/").allSatisfy { $0.contains("us=502") && $0.contains("uht=-") })

                let (run, report) = try await diagnoseReport(lab)
                expectVerdict(run, report, status: "critical", layer: "upstream", check: "target-not-listening")
                let generated = report.finding("proxy-generated-502")
                #expect(generated?.severity == "info" && generated?.summary.contains("502×3") == true, "\(run)")
                let partial = report.finding("failures-on-some-routes")
                #expect(partial?.severity == "info" && partial?.summary.contains("lab.test /reports/ 3/3 failed") == true, "\(run)")
                #expect(report.finding("app-returned-5xx") == nil, "\(run)")
                try await captureIfAsked(lab, "status-one-location-502")
            }
        }
    }
}
