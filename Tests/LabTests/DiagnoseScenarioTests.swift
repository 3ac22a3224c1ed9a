import DoctorLab
import Foundation
import Testing

/// The diagnosis scenarios: a real stack, one fault, the real `gwdoctor` CLI run inside
/// the lab's namespace, and its JSON verdict (DESIGN.md's contract).
extension LabTests {
    @Suite("Diagnose scenarios")
    struct Scenarios {
        private func diagnose(_ lab: Lab) async throws -> (run: DoctorRun, report: ReportJSON) {
            try await diagnoseReport(lab)
        }

        private func labDirectory(_ name: String) -> String? { scenarioDirectory(name) }

        @Test("healthy nginx → gunicorn over TCP: ok, exit 0, layer none")
        func healthyTCP() async throws {
            try await withLab("diag-healthy-tcp", directory: labDirectory("healthy-tcp")) { lab in
                let (_, _, site) = try await startHealthyStack(lab, bind: .tcp(8000))
                #expect(try await lab.httpGet(site.listen, path: "/health/").status == 200)

                let (run, report) = try await diagnose(lab)
                #expect(report.status == "ok", "\(run)")
                #expect(run.exitCode == 0)
                #expect(report.verdict.layer == "none", "\(run)")
                #expect(report.verdict.check == nil)
                #expect(!report.findings.contains { $0.severity == "critical" || $0.severity == "warning" }, "\(run)")
                #expect(report.routes.contains { $0.target.contains("127.0.0.1:8000") }, "\(run)")
                try await captureIfAsked(lab, "healthy-tcp", example: true)
            }
        }

        @Test("healthy nginx → gunicorn over a unix socket: ok")
        func healthyUnixSocket() async throws {
            try await withLab("diag-healthy-unix", directory: labDirectory("healthy-unix")) { lab in
                let socket = lab.socketPath()
                let (_, _, site) = try await startHealthyStack(lab, bind: .unix(path: socket))
                #expect(try await lab.httpGet(site.listen, path: "/health/").status == 200)

                let (run, report) = try await diagnose(lab)
                #expect(report.status == "ok", "\(run)")
                #expect(run.exitCode == 0)
                #expect(report.verdict.layer == "none")
                #expect(report.routes.contains { $0.target.contains(socket) }, "\(run)")
                try await captureIfAsked(lab, "healthy-unix")
            }
        }

        @Test("nginx stopped: critical, layer proxy, check proxy-down")
        func nginxStopped() async throws {
            try await withLab("diag-nginx-stopped", directory: labDirectory("nginx-stopped")) { lab in
                let (_, _, site) = try await startHealthyStack(lab, bind: .tcp(8000))
                try await lab.stopNginx()
                #expect(try await lab.httpGet(site.listen, path: "/health/").isRefused)

                let (run, report) = try await diagnose(lab)
                #expect(report.status == "critical", "\(run)")
                #expect(run.exitCode == 2)
                #expect(report.verdict.layer == "proxy", "\(run)")
                #expect(report.verdict.check == "proxy-down", "\(run)")
                try await captureIfAsked(lab, "nginx-stopped", example: true)
            }
        }

        @Test("config broken on disk while the old master still serves: proxy-config-invalid naming file:line")
        func configBrokenWhileRunning() async throws {
            try await withLab("diag-conf-running", directory: labDirectory("config-broken-running")) { lab in
                let (_, nginx, site) = try await startHealthyStack(lab, bind: .tcp(8000))
                // Someone edits the config: `proxy_pass …` without `;` before `}`. No reload yet.
                try lab.writeNginxConfig(NginxSite(upstream: .tcp(8000), locationDirectives: ["proxy_pass http://127.0.0.1:8000"]))
                let test = try await lab.nginxTest()
                let location = try #require(nginxErrorLocation(test.stderr), "nginx -t must fail naming file:line:\n\(test)")
                // The running master is unaffected.
                #expect(lab.isRunning(nginx))
                #expect(try await lab.httpGet(site.listen, path: "/health/").status == 200)

                let (run, report) = try await diagnose(lab)
                #expect(report.verdict.layer == "proxy", "\(run)")
                #expect(report.verdict.check == "proxy-config-invalid", "\(run)")
                // Still serving, so not down: the next reload will fail (a warning).
                #expect(report.status == "warning", "\(run)")
                let finding = try #require(report.findings.first { $0.check == "proxy-config-invalid" }, "\(run)")
                #expect(finding.evidence.contains { $0.all.contains(location) }, "evidence must name \(location):\n\(run)")
                try await captureIfAsked(lab, "config-broken-running")
            }
        }

        @Test("nginx never started, config has an unknown directive: proxy-config-invalid naming file:line")
        func configBrokenNeverStarted() async throws {
            try await withLab("diag-conf-never", directory: labDirectory("config-broken-stopped")) { lab in
                try await lab.startGunicorn(bind: .tcp(8000))
                try lab.writeNginxConfig(NginxSite(upstream: .tcp(8000), serverDirectives: ["proxy_buffering_mode off;"]))
                let test = try await lab.nginxTest()
                #expect(test.stderr.contains("unknown directive \"proxy_buffering_mode\""), "\(test)")
                let location = try #require(nginxErrorLocation(test.stderr), "\(test)")
                #expect(location == "\(lab.nginxConfigPath):\(lab.lineNumber(of: "proxy_buffering_mode", in: lab.nginxConfigPath) ?? -1)")
                // And so nginx cannot start.
                await #expect(throws: LabError.self) { try await lab.startNginx(timeout: .seconds(10)) }

                let (run, report) = try await diagnose(lab)
                #expect(report.status == "critical", "\(run)")
                #expect(run.exitCode == 2)
                #expect(report.verdict.layer == "proxy", "\(run)")
                #expect(report.verdict.check == "proxy-config-invalid", "\(run)")
                let finding = try #require(report.findings.first { $0.check == "proxy-config-invalid" }, "\(run)")
                #expect(finding.evidence.contains { $0.all.contains(location) }, "evidence must name \(location):\n\(run)")
                try await captureIfAsked(lab, "config-broken-stopped")
            }
        }

        @Test("routes: nginx → 127.0.0.1:8000 is served by this lab's gunicorn")
        func routesServedBy() async throws {
            try await withLab("diag-routes") { lab in
                let (gunicorn, _, _) = try await startHealthyStack(lab, bind: .tcp(8000))
                let run = try await lab.routes()
                #expect(run.exitCode == 0, "\(run)")
                let routes = try #require(try? run.decode(RoutesJSON.self), "gwdoctor routes did not print JSON:\n\(run)")
                #expect(routes.routes.count == 1, "\(run)")
                let route = try #require(routes.routes.first)
                #expect(route.proxy == "nginx")
                #expect(route.target == "http://127.0.0.1:8000", "\(run)")
                #expect(route.source.hasPrefix("\(lab.nginxConfigPath):"), "\(run)")
                let servedBy = try #require(route.servedBy, "served_by must not be null:\n\(run)")
                #expect(servedBy.contains("gunicorn"), "\(run)")
                // The pid named is this lab's gunicorn (master or a worker), not another site's.
                let tree = processTree(gunicorn.pid)
                let named = servedBy.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
                #expect(named.contains { tree.contains($0) }, "served_by \(servedBy) vs gunicorn pids \(tree.sorted())")
            }
        }

        @Test("two sites on one host: each diagnosis is scoped by --nginx-conf to its own nginx and gunicorn")
        func scopedByConfig() async throws {
            try await withLab("diag-scope-a") { a in
                try await withLab("diag-scope-b") { b in
                    // Same ports, same programs, different namespaces: like two sites (or a
                    // lab next to the machine's own nginx) in one process table.
                    let (_, _, _) = try await startHealthyStack(a, bind: .tcp(8000))
                    let (gunicornB, _, _) = try await startHealthyStack(b, bind: .tcp(8000))
                    try await a.stopNginx()

                    let (runA, reportA) = try await diagnose(a)
                    #expect(reportA.verdict.check == "proxy-down", "B's running nginx must not count for A:\n\(runA)")
                    #expect(reportA.status == "critical")

                    let (runB, reportB) = try await diagnose(b)
                    #expect(reportB.status == "ok", "A's stopped nginx must not count against B:\n\(runB)")
                    let servedBy = reportB.routes.first?.servedBy ?? ""
                    let named = servedBy.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
                    #expect(named.contains { processTree(gunicornB.pid).contains($0) }, "B's route must name B's gunicorn:\n\(runB)")
                }
            }
        }
    }
}
