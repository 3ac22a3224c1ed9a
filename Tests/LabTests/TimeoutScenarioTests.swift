import DoctorLab
import Foundation
import Testing

/// Timeout scenarios: nginx on 127.0.0.1:8080 in front of a real Gunicorn on 127.0.0.1:8000
/// serving the lab site, whose `/slow/?s=N` view sleeps N seconds. nginx's
/// `proxy_read_timeout` is set in the location, so the finding must cite that line of the
/// lab's nginx.conf, and Gunicorn's `--timeout` is on its command line.
///
/// Each test first proves the fault from outside gwdoctor: the client's 504s and nginx's own
/// `upstream timed out (110: …) while reading response header from upstream` lines.
extension LabTests {
    @Suite("Timeout scenarios")
    struct TimeoutScenario {
        private let bind = Bind.tcp(8000)
        private let readTimeoutLine = ["upstream timed out (110", "while reading response header from upstream"]

        /// nginx with `proxy_read_timeout VALUE` in `location /`, in front of `bind`.
        private func startNginx(_ lab: Lab, readTimeout: String) async throws -> NginxSite {
            let site = NginxSite(upstream: bind, locationDirectives: ["proxy_read_timeout \(readTimeout);"])
            try lab.writeNginxConfig(site)
            try await lab.startNginx()
            return site
        }

        /// The `file:line` of `proxy_read_timeout` in the lab's nginx.conf.
        private func readTimeoutSource(_ lab: Lab) throws -> String {
            let lines = ((try? String(contentsOfFile: lab.nginxConfigPath, encoding: .utf8)) ?? "").split(separator: "\n", omittingEmptySubsequences: false)
            let index = try #require(lines.firstIndex { $0.contains("proxy_read_timeout") }, "no proxy_read_timeout in nginx.conf")
            return "\(lab.nginxConfigPath):\(index + 1)"
        }

        /// The `cause` of a finding, read from the raw JSON (`ReportJSON` does not decode it).
        private func cause(_ run: DoctorRun, check: String) -> String? {
            guard let json = try? run.json(), let findings = json["findings"] as? [[String: Any]] else { return nil }
            return findings.first { $0["check"] as? String == check }?["cause"] as? String
        }

        @Test("a view slower than proxy_read_timeout but within gunicorn's --timeout: ok, nothing timed out")
        func healthyWithShortReadTimeout() async throws {
            try await withScenarioLab("timeout-healthy", directory: scenarioDirectory("timeout-healthy")) { lab in
                try await lab.startGunicorn(bind: bind, workers: 2, extraArgs: ["--timeout", "30"])
                let site = try await startNginx(lab, readTimeout: "2s")
                let answer = try await lab.httpGet(site.listen, path: "/slow/?s=0.5", timeout: .seconds(10))
                #expect(answer.status == 200, "\(answer)\n\(lab.logs())")
                #expect(lab.errorLogLines(containingAll: ["upstream timed out"]).isEmpty, "\(lab.tail(lab.nginxErrorLog))")

                let (run, report) = try await diagnoseReport(lab)
                expectVerdict(run, report, status: "ok", layer: "none", check: nil)
                #expect(report.finding("upstream-timeout") == nil, "\(run)")
                #expect(report.finding("worker-saturation") == nil, "\(run)")
                try await captureIfAsked(lab, "timeout-healthy")
            }
        }

        @Test("a 3 s view behind proxy_read_timeout 1s and gunicorn --timeout 30: 504, warning, capacity, upstream-timeout (nginx gives up first)")
        func slowViewPastReadTimeout() async throws {
            try await withScenarioLab("timeout-slow-view", directory: scenarioDirectory("timeout-slow-view")) { lab in
                try await lab.startGunicorn(bind: bind, workers: 2, extraArgs: ["--timeout", "30"])
                let site = try await startNginx(lab, readTimeout: "1s")
                let started = ContinuousClock.now
                let slow = try await lab.httpGet(site.listen, path: "/slow/?s=3", timeout: .seconds(10))
                let waited = started.duration(to: .now)
                #expect(slow.status == 504, "through nginx: \(slow)\n\(lab.logs())")
                // nginx gave up after its 1 s, not after the view's 3 s.
                #expect(waited < .seconds(2.5), "the 504 took \(waited)")
                let line = try await lab.waitForErrorLog(containingAll: readTimeoutLine + ["GET /slow/?s=3"])
                #expect(line != nil, "\(lab.tail(lab.nginxErrorLog))")
                let healthy = try await lab.generateTraffic(site.listen, path: "/health/", count: 2)
                #expect(healthy.allSatisfy { $0.status == 200 }, "\(healthy)")
                // Gunicorn's worker finished the view after nginx had gone: no worker timeout.
                try await Task.sleep(for: .seconds(2.5))
                #expect(!((try? String(contentsOfFile: "\(lab.logsDirectory)/gunicorn.log", encoding: .utf8)) ?? "").contains("WORKER TIMEOUT"))

                let (run, report) = try await diagnoseReport(lab)
                expectVerdict(run, report, status: "warning", layer: "capacity", check: "upstream-timeout")
                #expect(cause(run, check: "upstream-timeout") == "proxy-gives-up-first", "\(run)")
                let finding = try #require(report.finding("upstream-timeout"), "\(run)")
                #expect(finding.summary.contains("proxy_read_timeout 1s"), "\(finding.summary)")
                #expect(finding.summary.contains("--timeout 30"), "\(finding.summary)")
                // Both values with where they are set: nginx.conf:LINE and gunicorn's argv.
                let evidence = finding.evidence.map(\.all).joined(separator: "\n")
                #expect(evidence.contains(try readTimeoutSource(lab)), "\(evidence)")
                #expect(evidence.contains("--timeout 30") && evidence.contains("ps -o args= -p"), "\(evidence)")
                #expect(evidence.contains("GET /slow/ (1)"), "\(evidence)")
                // nginx's line is quoted without its query (query strings carry tokens), path kept.
                #expect(evidence.contains(#"request: "GET /slow/?… HTTP/1.1", upstream: "http://127.0.0.1:8000/slow/?…""#), "\(evidence)")
                #expect(!run.stdout.contains("?s=3"), "\(run)")
                #expect(finding.fix.joined(separator: "\n").contains("Fix the slow view first"), "\(finding.fix)")
                // One request timing out is not saturation: two workers, one request in flight.
                #expect(report.finding("worker-saturation") == nil, "\(run)")
                try await captureIfAsked(lab, "timeout-slow-view")
            }
        }

        @Test("a 3 s view behind uvicorn and proxy_read_timeout 1s: 504, warning, capacity, upstream-timeout (uvicorn has no request timeout)")
        func uvicornSlowView() async throws {
            try await withScenarioLab("timeout-uvicorn", directory: scenarioDirectory("timeout-uvicorn-slow-view")) { lab in
                try await lab.startUvicorn(bind: bind)
                let site = try await startNginx(lab, readTimeout: "1s")
                let slow = try await lab.httpGet(site.listen, path: "/slow/?s=3", timeout: .seconds(10))
                #expect(slow.status == 504, "through nginx: \(slow)\n\(lab.logs())")
                let line = try await lab.waitForErrorLog(containingAll: readTimeoutLine + ["GET /slow/?s=3"])
                #expect(line != nil, "\(lab.tail(lab.nginxErrorLog))")
                try await Task.sleep(for: .seconds(2.5))

                let (run, report) = try await diagnoseReport(lab)
                expectVerdict(run, report, status: "warning", layer: "capacity", check: "upstream-timeout")
                #expect(cause(run, check: "upstream-timeout") == "no-app-timeout", "\(run)")
                let finding = try #require(report.finding("upstream-timeout"), "\(run)")
                #expect(finding.summary.contains("uvicorn itself never ends a slow request"), "\(finding.summary)")
                let evidence = finding.evidence.map(\.all).joined(separator: "\n")
                #expect(evidence.contains("uvicorn has no request timeout"), "\(evidence)")
                #expect(evidence.contains(try readTimeoutSource(lab)), "\(evidence)")
                // Async workers have no worker-count bound to judge.
                #expect(report.finding("worker-saturation") == nil, "\(run)")
                try await captureIfAsked(lab, "timeout-uvicorn-slow-view")
            }
        }

        @Test("one sync worker and 12 concurrent 1 s requests behind proxy_read_timeout 2s: 504s under load, warning, capacity, worker-saturation")
        func oneWorkerSaturated() async throws {
            try await withScenarioLab("timeout-saturated", directory: scenarioDirectory("timeout-worker-saturation")) { lab in
                try await lab.startGunicorn(bind: bind, workers: 1, extraArgs: ["--timeout", "30"])
                let site = try await startNginx(lab, readTimeout: "2s")
                // Each request alone answers in about 1 s, well within nginx's 2 s.
                let alone = try await lab.httpGet(site.listen, path: "/slow/?s=1", timeout: .seconds(10))
                #expect(alone.status == 200, "\(alone)")

                // A bounded burst on loopback: 12 requests released together, done by 30 s.
                let burst = try await lab.httpBurst(site.listen, path: "/slow/?s=1", count: 12, timeout: .seconds(30))
                let statuses = burst.results.map(\.status)
                let timedOut = statuses.filter { $0 == 504 }.count
                #expect(timedOut >= 6, "expected most of the burst to time out: \(burst)")
                #expect(statuses.contains(200), "the one worker still answers some: \(burst)")
                let lines = lab.errorLogLines(containingAll: readTimeoutLine)
                #expect(lines.count == timedOut, "\(lab.tail(lab.nginxErrorLog))")
                // The worker drains the queue (it still runs the abandoned requests) before the diagnosis.
                try await lab.waitUntilHealthy(bind, timeout: .seconds(30))

                let (run, report) = try await diagnoseReport(lab)
                expectVerdict(run, report, status: "warning", layer: "capacity", check: "worker-saturation")
                #expect(cause(run, check: "worker-saturation") == "queued-behind-busy-workers", "\(run)")
                let finding = try #require(report.finding("worker-saturation"), "\(run)")
                #expect(finding.summary.contains("1 worker × 1 thread = 1 request at once"), "\(finding.summary)")
                let evidence = finding.evidence.map(\.all).joined(separator: "\n")
                #expect(evidence.contains("CPU"), "the (2 × cores) + 1 hint: \(evidence)")
                #expect(evidence.contains("read timeouts per minute"), "\(evidence)")
                // The request rate from nginx's access log: the burst is the busiest minute.
                #expect(evidence.contains("access log: busiest minute"), "\(evidence)")
                // The 504s are also upstream-timeout findings, explained by the saturation.
                #expect(report.finding("upstream-timeout") != nil, "\(run)")
                #expect(report.finding("backlog-full") == nil, "\(run)")
                try await captureIfAsked(lab, "timeout-worker-saturation")
            }
        }
    }
}
