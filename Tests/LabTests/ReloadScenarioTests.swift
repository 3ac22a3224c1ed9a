import DoctorLab
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// "The config on disk is right but nginx never loaded it": a healthy nginx → Gunicorn on
/// :8000, then the app moves to :8001 and nginx.conf is rewritten to match, without a
/// reload (or with a reload nginx refuses because the new file fails `nginx -t`). The
/// running workers still proxy to :8000 (502) while the disk's target answers directly.
/// Each scenario proves that from outside gwdoctor (nginx's 502, its error-log line naming
/// :8000, the worker pids) before asserting the verdict, and `fix` is checked end to end:
/// the reload happens only when the test passes, and the site answers 200 through nginx.
extension LabTests {
    @Suite("Reload scenarios")
    struct ReloadScenario: FixScenarioSuite {
        func proxyArguments(_ lab: Lab) -> [String] { ["--nginx-conf", lab.nginxConfigPath] }

        /// Healthy stack on :8000, proven ok; then a second Gunicorn on :8001, the first
        /// stopped, and nginx.conf rewritten as `site` (which should point at :8001), with
        /// no reload. Returns the nginx master and the worker pids that served before.
        private func moveApp(_ lab: Lab, to site: NginxSite, captureHealthy: String? = nil) async throws
            -> (nginx: LabProcess, workers: Set<Int>, listen: Bind) {
            let old = try await lab.startGunicorn(bind: .tcp(8000), workers: 1)
            let healthy = NginxSite(upstream: .tcp(8000))
            try lab.writeNginxConfig(healthy)
            let nginx = try await lab.startNginx()
            try await expectProxyTraffic(lab, healthy.listen, through: "nginx", expect: 200)
            // A healthy stack whose config is older than its workers: ok, and the check silent.
            let (run, report) = try await diagnoseReport(lab)
            expectVerdict(run, report, status: "ok", layer: "none", check: nil)
            #expect(report.finding("proxy-config-not-loaded") == nil, "\(run)")
            if let name = captureHealthy { try await captureIfAsked(lab, name) }

            let workers = processTree(nginx.pid).subtracting([Int(nginx.pid)])
            try await lab.startGunicorn(name: "gunicorn-8001", bind: .tcp(8001), workers: 1)
            try await lab.stop(old)
            // The edit lands at least a second after the workers started (the fact's tolerance).
            try await Task.sleep(for: .milliseconds(1200))
            try lab.writeNginxConfig(site)
            return (nginx, workers, healthy.listen)
        }

        @Test("config edited to the app's new port, never reloaded: critical, proxy, proxy-config-not-loaded; fix tests, reloads, 200 through nginx")
        func editedNotReloaded() async throws {
            try await withScenarioLab("reload-not-loaded", directory: scenarioDirectory("config-not-loaded-port")) { lab in
                let (nginx, workers, listen) = try await moveApp(lab, to: NginxSite(upstream: .tcp(8001)),
                                                                 captureHealthy: "config-loaded-healthy")
                let test = try await lab.nginxTest()
                #expect(test.exitCode == 0, "the new config is valid:\n\(test)")
                try await expectProxyTraffic(lab, listen, through: "nginx", expect: 502)
                // nginx still connects to the old port: its own error log says so.
                #expect(try await lab.waitForErrorLog(containingAll: ["connect() failed (111", "127.0.0.1:8000"]) != nil, "\(lab.logs())")
                #expect(processTree(nginx.pid).subtracting([Int(nginx.pid)]) == workers, "no reload happened")

                let (run, report) = try await diagnoseReport(lab)
                expectVerdict(run, report, status: "critical", layer: "proxy", check: "proxy-config-not-loaded")
                #expect(report.verdict.summary.contains(lab.nginxConfigPath), "the changed file is named:\n\(run)")
                #expect(report.verdict.summary.contains("nginx -t` passes now"), "\(run)")
                #expect(report.verdictEvidenceText.contains("changed on disk at"), "\(run)")
                #expect(report.verdictEvidenceText.contains("current workers started"), "\(run)")
                #expect(report.verdictEvidenceText.contains("127.0.0.1:8000"), "the old target from nginx's error log:\n\(run)")
                #expect(report.finding("proxy-generated-502")?.severity != "critical", "\(run)")
                try await captureIfAsked(lab, "config-not-loaded-port")

                // The dry run plans test-then-reload and changes nothing.
                let dry = try await fix(lab, [])
                let plan = ((try dry.json())["plan"] as? [[String: Any]]) ?? []
                #expect(plan.contains { $0["kind"] as? String == "validate-then-reload" }, "\(dry)")
                #expect(processTree(nginx.pid).subtracting([Int(nginx.pid)]) == workers, "a dry run reloads nothing")

                let applied = try await fix(lab, ["--apply", "--yes"])
                #expect(applied.exitCode == 0, "\(applied)")
                #expect(result(applied, kind: "validate-then-reload")?["outcome"] as? String == "succeeded", "\(applied)")
                #expect(afterStatus(applied) == "ok", "\(applied)")
                let lines = auditLines(lab)
                #expect(lines.map { $0["step"] as? String } == ["config-test", "reload-proxy"], "\(readText(auditPath(lab)))")
                #expect(lines.last?["argv"] as? [String] == ["kill", "-HUP", String(nginx.pid)])
                #expect(lines.last?["verified"] as? String == "passed")
                // Same master, new workers: a reload, not a restart.
                #expect(isAliveNotZombie(nginx.pid))
                let now = processTree(nginx.pid).subtracting([Int(nginx.pid)])
                #expect(!now.isEmpty && now.isDisjoint(with: workers), "the reload starts new workers: \(workers) → \(now)")
                try await expectProxyTraffic(lab, listen, through: "nginx", expect: 200)

                // Reloaded: the files are older than the new workers again.
                let (after, afterReport) = try await diagnoseReport(lab)
                expectVerdict(after, afterReport, status: "ok", layer: "none", check: nil)
                #expect(afterReport.finding("proxy-config-not-loaded") == nil, "\(after)")
            }
        }

        @Test("unix socket moved (old one removed), config edited to the new path, never reloaded: the verdict is proxy-config-not-loaded, not socket-missing; fix reloads, 200")
        func socketMovedNotReloaded() async throws {
            try await withScenarioLab("reload-socket") { lab in
                let oldSocket = Bind.unix(path: lab.socketPath("old.sock")), newSocket = Bind.unix(path: lab.socketPath("new.sock"))
                let old = try await lab.startGunicorn(bind: oldSocket, workers: 1)
                let site = NginxSite(upstream: oldSocket)
                try lab.writeNginxConfig(site)
                let nginx = try await lab.startNginx()
                try await expectProxyTraffic(lab, site.listen, through: "nginx", expect: 200)
                try await lab.startGunicorn(name: "gunicorn-new", bind: newSocket, workers: 1)
                try await lab.stop(old) // a clean stop: gunicorn removes old.sock
                #expect(!lab.exists(lab.socketPath("old.sock")))
                try await Task.sleep(for: .milliseconds(1200))
                try lab.writeNginxConfig(NginxSite(upstream: newSocket))
                try await expectProxyTraffic(lab, site.listen, through: "nginx", expect: 502)
                #expect(try await lab.waitForErrorLog(containingAll: ["old.sock", "(2: No such file or directory)"]) != nil, "\(lab.logs())")

                let (run, report) = try await diagnoseReport(lab)
                expectVerdict(run, report, status: "critical", layer: "proxy", check: "proxy-config-not-loaded")
                #expect(report.verdictEvidenceText.contains("old.sock"), "nginx's own line naming the old socket:\n\(run)")

                let applied = try await fix(lab, ["--apply", "--yes"])
                #expect(result(applied, kind: "validate-then-reload")?["outcome"] as? String == "succeeded", "\(applied)")
                #expect(isAliveNotZombie(nginx.pid))
                try await expectProxyTraffic(lab, site.listen, through: "nginx", expect: 200)
            }
        }

        @Test("config edited but invalid, a reload refused by nginx: the verdict names the failing test and fix does not reload")
        func editedInvalidReloadRefused() async throws {
            try await withScenarioLab("reload-invalid", directory: scenarioDirectory("config-not-loaded-invalid")) { lab in
                // The new port, and a directive nginx does not know: `nginx -t` fails, our parser still reads the route.
                let site = NginxSite(upstream: .tcp(8001), locationDirectives: ["proxy_bogus_setting on;"])
                let (nginx, workers, listen) = try await moveApp(lab, to: site)
                let test = try await lab.nginxTest()
                let location = try #require(nginxErrorLocation(test.stderr), "nginx -t must fail:\n\(test)")
                // Someone tried to reload: nginx refuses, logs [emerg] and keeps the old workers.
                try lab.reloadNginx()
                #expect(try await lab.waitForErrorLog(containingAll: ["[emerg]", "proxy_bogus_setting"], timeout: .seconds(10)) != nil,
                        "\(lab.logs())")
                #expect(processTree(nginx.pid).subtracting([Int(nginx.pid)]) == workers, "a refused reload keeps the old workers")
                try await expectProxyTraffic(lab, listen, through: "nginx", expect: 502)

                let (run, report) = try await diagnoseReport(lab)
                expectVerdict(run, report, status: "critical", layer: "proxy", check: "proxy-config-not-loaded")
                #expect(report.verdict.summary.contains("nginx -t` fails now"), "\(run)")
                #expect(report.verdict.summary.contains(location), "the test's file:line:\n\(run)")
                #expect(report.finding("proxy-config-invalid") != nil, "\(run)")
                try await captureIfAsked(lab, "config-not-loaded-invalid")

                // The plan shows the test's error as a person's step; applying reloads nothing.
                let dry = try await fix(lab, [])
                let plan = ((try dry.json())["plan"] as? [[String: Any]]) ?? []
                let manual = plan.filter { $0["kind"] as? String == "manual" }
                #expect(manual.contains { (($0["commands"] as? [String]) ?? []).joined(separator: "\n").contains(location) }, "\(dry)")
                let (applied, detail) = try await applyWithBrokenProxyConfigNoRestart(lab)
                #expect(detail.contains("[emerg]") && detail.contains(location), "\(applied)")
                #expect(!auditLines(lab).contains { $0["step"] as? String == "reload-proxy" }, "\(readText(auditPath(lab)))")
                #expect(processTree(nginx.pid).subtracting([Int(nginx.pid)]) == workers, "nginx must not have been reloaded")
                try await expectProxyTraffic(lab, listen, through: "nginx", expect: 502)
            }
        }

        @Test("config touched (no edit), and an mtime in the future: ok; only an info note that says 'changed on disk since'")
        func touchedOnly() async throws {
            try await withScenarioLab("reload-touched", directory: scenarioDirectory("config-touched")) { lab in
                let (_, nginx, site) = try await startHealthyStack(lab, bind: .tcp(8000), workers: 1)
                try await Task.sleep(for: .milliseconds(1200))
                let before = readText(lab.nginxConfigPath)
                // touch -d: an hour ahead of the clock, the content unchanged.
                var times = [timespec(tv_sec: time(nil) + 3600, tv_nsec: 0), timespec(tv_sec: time(nil) + 3600, tv_nsec: 0)]
                #expect(utimensat(AT_FDCWD, lab.nginxConfigPath, &times, 0) == 0)
                #expect(readText(lab.nginxConfigPath) == before)
                try await expectProxyTraffic(lab, site.listen, through: "nginx", expect: 200)

                let (run, report) = try await diagnoseReport(lab)
                expectVerdict(run, report, status: "ok", layer: "none", check: nil)
                let note = try #require(report.finding("proxy-config-not-loaded"), "\(run)")
                #expect(note.severity == "info", "\(run)")
                #expect(note.summary.contains("changed on disk since") && note.summary.contains("cannot tell an edit from a touch"), "\(run)")
                #expect(!note.summary.contains("read its config before the one on disk changed"), "\(run)")
                #expect(note.evidence.contains { $0.text.contains("in the future") }, "\(run)")
                #expect(isAliveNotZombie(nginx.pid))
                try await captureIfAsked(lab, "config-touched")
            }
        }

        @Test("edited, then reloaded while a slow request holds an old worker ('is shutting down'): the new workers are the generation, ok")
        func reloadedBesideAShuttingDownWorker() async throws {
            try await withScenarioLab("reload-shutting-down") { lab in
                try await lab.startGunicorn(bind: .tcp(8000), workers: 2)
                let site = NginxSite(upstream: .tcp(8000))
                // worker_shutdown_timeout (main context): an old worker finishes its request beside the new ones.
                let text = "worker_shutdown_timeout 30s;\n" + lab.nginxConfig(site)
                try lab.writeNginxConfig(text: text)
                let nginx = try await lab.startNginx()
                try await expectProxyTraffic(lab, site.listen, through: "nginx", expect: 200)
                let oldWorkers = processTree(nginx.pid).subtracting([Int(nginx.pid)])

                // An edit after the first workers started, then a reload that passes while a slow request is in flight.
                try await Task.sleep(for: .milliseconds(1200))
                try lab.writeNginxConfig(text: text + "# edited\n")
                let slow = Task { try await lab.httpBurst(site.listen, path: "/slow/?s=8", count: 1, timeout: .seconds(30)) }
                try await Task.sleep(for: .seconds(1))
                try lab.reloadNginx()
                var shuttingDown: Int?
                for _ in 0..<200 where shuttingDown == nil { // bounded: 10 s
                    shuttingDown = oldWorkers.first { readText("/proc/\($0)/cmdline").contains("worker process is shutting down") }
                    if shuttingDown == nil { try await Task.sleep(for: .milliseconds(50)) }
                }
                let old = try #require(shuttingDown, "an old worker must still be shutting down:\n\(lab.logs())")
                let newWorkers = processTree(nginx.pid).subtracting([Int(nginx.pid)]).subtracting(oldWorkers)
                #expect(!newWorkers.isEmpty, "the reload started new workers")

                let (run, report) = try await diagnoseReport(lab)
                expectVerdict(run, report, status: "ok", layer: "none", check: nil)
                #expect(report.finding("proxy-config-not-loaded") == nil,
                        "the edit predates the new workers; the shutting-down worker \(old) is not the generation:\n\(run)")
                #expect(readText("/proc/\(old)/cmdline").contains("shutting down"), "the diagnosis ran beside the old worker")
                let burst = try await slow.value
                #expect(burst.count(status: 200) == 1, "the old worker finished its request: \(burst)")
            }
        }

        /// `fix --apply --yes` when the only automatic step is the reload and its test fails:
        /// refused ("NOT reloaded"), non-zero exit, the audit's config-test refused.
        private func applyWithBrokenProxyConfigNoRestart(_ lab: Lab) async throws -> (run: DoctorRun, detail: String) {
            let applied = try await fix(lab, ["--apply", "--yes"])
            #expect(applied.exitCode != 0, "\(applied)")
            let reload = try #require(result(applied, kind: "validate-then-reload"), "\(applied)")
            #expect(reload["outcome"] as? String == "refused", "\(applied)")
            let detail = reload["detail"] as? String ?? ""
            #expect(detail.contains("NOT reloaded"), "\(applied)")
            let lines = auditLines(lab)
            #expect(lines.map { $0["step"] as? String } == ["config-test"], "\(readText(auditPath(lab)))")
            #expect(lines.first?["outcome"] as? String == "refused")
            return (applied, detail)
        }
    }
}
