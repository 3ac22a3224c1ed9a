import DoctorLab
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Worker deaths mid-request, under a real supervisord (so the app server's log is its
/// program's stderr_logfile, gathered like a host's): nginx on 127.0.0.1:8080 → one worker
/// on 127.0.0.1:8000, ONE request that dies, then `gwdoctor diagnose`.
///
/// What Gunicorn 27.0.1's sync-worker timeout (`--timeout 2`) really gives, measured here and
/// by hand (Lab/labsite/probe/deaths.py): the master logs `WORKER TIMEOUT (pid:N)` and sends
/// SIGABRT. A view sleeping in Python (`time.sleep`), or in C that a signal interrupts
/// (`ctypes` `libc.sleep`), runs the handler: `SystemExit` in the view, and Gunicorn answers
/// **500** itself (`Error handling request GET /slow/`); nginx logs nothing in error.log. A
/// worker that cannot get back to Python (a C mutex deadlock, `hashlib.pbkdf2_hmac` with a
/// huge count) is SIGKILLed about a second later (`was sent SIGKILL! Perhaps out of
/// memory?`) and nginx logs `upstream prematurely closed connection while reading response
/// header from upstream`: **502**. uWSGI's harakiri SIGKILLs the worker whatever it runs:
/// 502 for a plain `time.sleep`.
///
/// Each test proves its fault (the client's status, nginx's error.log line or its absence,
/// the app server's own line) before asserting status, layer, check and `cause`.
extension LabTests {
    @Suite("Worker death scenarios")
    struct WorkerDeathScenario {
        private let app = "app"
        private let bind = Bind.tcp(8000)
        private let prematureClose = "upstream prematurely closed connection while reading response header from upstream"

        private func startNginx(_ lab: Lab) async throws -> NginxSite {
            let site = NginxSite(upstream: bind)
            try lab.writeNginxConfig(site)
            try await lab.startNginx()
            return site
        }

        /// One supervised program, RUNNING and answering /health/, behind nginx.
        private func start(_ lab: Lab, _ program: SupervisedProgram) async throws -> NginxSite {
            try await lab.startSupervisord(programs: [program])
            try await lab.waitForProgramState(app, states: ["RUNNING"])
            try await lab.waitUntilHealthy(bind)
            return try await startNginx(lab)
        }

        /// The finding's `cause`, from the raw JSON (`ReportJSON` does not decode it).
        private func cause(_ run: DoctorRun, check: String) -> String? {
            guard let json = try? run.json(), let findings = json["findings"] as? [[String: Any]] else { return nil }
            return findings.first { $0["check"] as? String == check }?["cause"] as? String
        }

        private func workers(_ lab: Lab) async throws -> [Int] {
            let master = try #require(try await lab.programPID(app), "supervisorctl pid \(app)")
            return processTree(pid_t(master)).subtracting([Int(master)]).sorted()
        }

        /// After the death the stack serves again: a new worker answers through nginx.
        private func expectRecovered(_ lab: Lab, _ site: NginxSite, sourceLocation: SourceLocation = #_sourceLocation) async throws {
            try await lab.waitUntilHealthy(bind)
            let results = try await lab.generateTraffic(site.listen, path: "/health/", count: 3)
            #expect(results.allSatisfy { $0.status == 200 }, "\(results)", sourceLocation: sourceLocation)
        }

        // MARK: Gunicorn

        @Test("a gunicorn worker stuck in C past --timeout 2: WORKER TIMEOUT, SIGKILL, 502 premature close; warning, capacity, premature-close (worker-timeout)")
        func stuckInC() async throws {
            try await withScenarioLab("deaths-stuck-c", directory: scenarioDirectory("deaths-stuck-in-c")) { lab in
                let site = try await start(lab, lab.gunicornProgram(name: app, bind: bind, workers: 1, extraArgs: ["--timeout", "2"]))
                let stuck = try await lab.httpGet(site.listen, path: "/stuck-c/", timeout: .seconds(30))
                #expect(stuck.status == 502 && stuck.body.contains("nginx"), "nginx's own 502: \(stuck)")
                let log = lab.programStderrLog(app)
                let timeout = try await lab.waitForLogLine(log, containingAll: ["WORKER TIMEOUT (pid:"])
                let killed = try await lab.waitForLogLine(log, containingAll: ["was sent SIGKILL!"])
                #expect(timeout != nil && killed != nil, "\(lab.tail(log, lines: 40))")
                let closed = try await lab.waitForErrorLog(containingAll: [prematureClose, "GET /stuck-c/"])
                #expect(closed != nil, "error.log:\n\(lab.tail(lab.nginxErrorLog))")
                try await expectRecovered(lab, site)

                let (run, report) = try await diagnoseReport(lab)
                expectVerdict(run, report, status: "warning", layer: "capacity", check: "premature-close")
                #expect(cause(run, check: "premature-close") == "worker-timeout", "\(run)")
                #expect(report.verdict.summary.contains("gunicorn --timeout 2") && report.verdict.summary.contains("command= at "), "\(run)")
                // Both lines: nginx's and Gunicorn's.
                let evidence = report.verdictEvidenceText
                #expect(evidence.contains(prematureClose) && evidence.contains("was sent SIGKILL!"), "\(run)")
                #expect(report.verdict.summary.contains("recovered since"), "the probes pass again: \(run)")
                #expect(report.finding("oom-killed") == nil, "\(run)")
                try await captureIfAsked(lab, "deaths-stuck-in-c")
            }
        }

        @Test("a gunicorn sync worker past --timeout 2 in Python code: gunicorn answers 500 itself, nginx logs nothing; warning, app, premature-close (worker-timeout-500)")
        func pythonTimeoutIs500() async throws {
            try await withScenarioLab("deaths-py-timeout", directory: scenarioDirectory("deaths-python-timeout-500")) { lab in
                let site = try await start(lab, lab.gunicornProgram(name: app, bind: bind, workers: 1, extraArgs: ["--timeout", "2"]))
                let slow = try await lab.httpGet(site.listen, path: "/slow/?s=10", timeout: .seconds(30))
                #expect(slow.status == 500 && !slow.body.contains("nginx"), "Gunicorn's own 500, passed on: \(slow)")
                let log = lab.programStderrLog(app)
                let timeout = try await lab.waitForLogLine(log, containingAll: ["WORKER TIMEOUT (pid:"])
                let handled = try await lab.waitForLogLine(log, containingAll: ["Error handling request GET /slow/"])
                #expect(timeout != nil && handled != nil, "\(lab.tail(log, lines: 40))")
                #expect(!((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("was sent SIGKILL"), "the abort ended it: \(lab.tail(log, lines: 40))")
                #expect(lab.errorLogLines(containingAll: ["upstream"]).isEmpty, "nginx logs nothing: \(lab.tail(lab.nginxErrorLog))")
                try await expectRecovered(lab, site)

                let (run, report) = try await diagnoseReport(lab)
                // Not a gateway failure: layer app. The timeout lines are this finding's evidence.
                expectVerdict(run, report, status: "warning", layer: "app", check: "premature-close")
                #expect(cause(run, check: "premature-close") == "worker-timeout-500", "\(run)")
                let finding = try #require(report.finding("premature-close"), "\(run)")
                #expect(finding.layer == "app" && finding.summary.contains("answered 500 itself"), "\(run)")
                #expect(finding.evidence.contains { $0.text.contains("WORKER TIMEOUT (pid:") }, "\(run)")
                #expect(finding.summary.contains("gunicorn --timeout 2"), "\(run)")
                // The access log's view of the same request: app-returned-5xx (layer app) counts the 500,
                // and joins the verdict's evidence; premature-close, the deeper cause, stays the verdict.
                let counted = try #require(report.finding("app-returned-5xx"), "\(run)")
                #expect(counted.layer == "app" && counted.summary.contains("500"), "\(run)")
                #expect(report.verdictEvidenceText.contains("also: The app answered"), "\(run)")
                try await captureIfAsked(lab, "deaths-python-timeout-500")
            }
        }

        @Test("a gunicorn worker kill -9'd mid-request: 502 premature close; warning, capacity, premature-close (killed-by-signal)")
        func killNineMidRequest() async throws {
            try await withScenarioLab("deaths-kill-9", directory: scenarioDirectory("deaths-kill-9-mid-request")) { lab in
                let site = try await start(lab, lab.gunicornProgram(name: app, bind: bind, workers: 1))
                let victim = try #require(try await workers(lab).first, "gunicorn has no worker")
                let listen = site.listen
                let request = Task { try await lab.httpGet(listen, path: "/slow/?s=10", timeout: .seconds(30)) }
                // The request reaches the only worker at once; it sleeps 10 s there.
                try await Task.sleep(for: .seconds(2))
                #expect(kill(pid_t(victim), SIGKILL) == 0)
                let answer = try await request.value
                #expect(answer.status == 502 && answer.body.contains("nginx"), "\(answer)")
                let log = lab.programStderrLog(app)
                let killed = try await lab.waitForLogLine(log, containingAll: ["Worker (pid:\(victim)) was sent SIGKILL!"])
                #expect(killed != nil, "\(lab.tail(log, lines: 40))")
                #expect(!((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("WORKER TIMEOUT"), "no timeout explains it: \(lab.tail(log, lines: 40))")
                let closed = try await lab.waitForErrorLog(containingAll: [prematureClose, "GET /slow/"])
                #expect(closed != nil, "error.log:\n\(lab.tail(lab.nginxErrorLog))")
                try await expectRecovered(lab, site)

                let (run, report) = try await diagnoseReport(lab)
                expectVerdict(run, report, status: "warning", layer: "capacity", check: "premature-close")
                #expect(cause(run, check: "premature-close") == "killed-by-signal", "\(run)")
                #expect(report.verdict.summary.contains("killed by a signal nobody explains"), "\(run)")
                // The bare SIGKILL made gwdoctor read the kernel log (root may), which has no OOM kill for it.
                #expect(!report.unavailable.contains { $0.what.contains("kernel log") }, "\(run)")
                #expect(report.finding("oom-killed") == nil, "\(run)")
                try await captureIfAsked(lab, "deaths-kill-9-mid-request")
            }
        }

        // MARK: The app server's own --error-logfile

        @Test("bare gunicorn (no manager, --error-logfile) with a worker kill -9'd mid-request: the kill is read from that file; warning, capacity, premature-close (killed-by-signal)")
        func bareKillNineMidRequest() async throws {
            try await withScenarioLab("deaths-bare-kill-9", directory: scenarioDirectory("deaths-bare-kill-9")) { lab in
                let gunicorn = try await lab.startGunicorn(name: "gunicorn", bind: bind, workers: 1)
                let site = try await startNginx(lab)
                let victim = try #require(processTree(gunicorn.pid).subtracting([Int(gunicorn.pid)]).sorted().first, "gunicorn has no worker")
                let listen = site.listen
                let request = Task { try await lab.httpGet(listen, path: "/slow/?s=10", timeout: .seconds(30)) }
                try await Task.sleep(for: .seconds(2))
                #expect(kill(pid_t(victim), SIGKILL) == 0)
                let answer = try await request.value
                #expect(answer.status == 502, "\(answer)")
                let log = "\(lab.logsDirectory)/gunicorn.log" // its --error-logfile
                let killed = try await lab.waitForLogLine(log, containingAll: ["Worker (pid:\(victim)) was sent SIGKILL!"])
                #expect(killed != nil, "\(lab.tail(log, lines: 40))")
                let closed = try await lab.waitForErrorLog(containingAll: [prematureClose, "GET /slow/"])
                #expect(closed != nil, "error.log:\n\(lab.tail(lab.nginxErrorLog))")
                try await expectRecovered(lab, site)

                let (run, report) = try await diagnoseReport(lab)
                expectVerdict(run, report, status: "warning", layer: "capacity", check: "premature-close")
                #expect(cause(run, check: "premature-close") == "killed-by-signal", "\(run)")
                #expect(report.verdict.summary.contains("killed by a signal nobody explains"), "\(run)")
                #expect(report.verdictEvidenceText.contains("gunicorn.log:"), "the kill line, sourced from the --error-logfile: \(run)")
                // Read after the bare server's log too: the kernel log was read, and it has no OOM kill.
                #expect(!report.unavailable.contains { $0.what.contains("kernel log") }, "\(run)")
                #expect(report.finding("oom-killed") == nil, "\(run)")
                try await captureIfAsked(lab, "deaths-bare-kill-9")
            }
        }

        @Test("supervised gunicorn with --error-logfile, a worker stuck in C past --timeout 2: the kill lines are only in that file; warning, capacity, premature-close (worker-timeout)")
        func supervisedErrorLogfileStuckInC() async throws {
            try await withScenarioLab("deaths-errlog", directory: scenarioDirectory("deaths-supervised-error-logfile")) { lab in
                let errorLog = "\(lab.logsDirectory)/gunicorn-error.log"
                let site = try await start(lab, lab.gunicornProgram(name: app, bind: bind, workers: 1,
                                                                    extraArgs: ["--timeout", "2", "--error-logfile", errorLog]))
                let stuck = try await lab.httpGet(site.listen, path: "/stuck-c/", timeout: .seconds(30))
                #expect(stuck.status == 502, "\(stuck)")
                let killed = try await lab.waitForLogLine(errorLog, containingAll: ["was sent SIGKILL!"])
                #expect(killed != nil, "\(lab.tail(errorLog, lines: 40))")
                #expect(!lab.tail(lab.programStderrLog(app), lines: 200).contains("SIGKILL"), "only the --error-logfile has it")
                try await expectRecovered(lab, site)

                let (run, report) = try await diagnoseReport(lab)
                expectVerdict(run, report, status: "warning", layer: "capacity", check: "premature-close")
                #expect(cause(run, check: "premature-close") == "worker-timeout", "\(run)")
                #expect(report.verdictEvidenceText.contains("gunicorn-error.log:"), "\(run)")
                try await captureIfAsked(lab, "deaths-supervised-error-logfile")
            }
        }

        // MARK: uWSGI

        @Test("healthy nginx → uWSGI (--http-socket, harakiri 2) under supervisord: ok, layer none")
        func healthyUWSGI() async throws {
            try await withScenarioLab("deaths-uwsgi-ok", directory: scenarioDirectory("deaths-uwsgi-healthy")) { lab in
                let site = try await start(lab, try lab.uwsgiProgram(name: app, bind: bind, harakiri: 2))
                let results = try await lab.generateTraffic(site.listen, path: "/health/", count: 3)
                #expect(results.allSatisfy { $0.status == 200 }, "\(results)\n\(lab.logs())")
                let (run, report) = try await diagnoseReport(lab)
                expectVerdict(run, report, status: "ok", layer: "none", check: nil)
                #expect(report.routes.first?.servedBy?.contains("uwsgi") == true, "\(run)")
                try await captureIfAsked(lab, "deaths-uwsgi-healthy")
            }
        }

        @Test("uWSGI harakiri 2 kills a worker sleeping 10 s: HARAKIRI, 502 premature close; warning, capacity, premature-close (worker-timeout)")
        func uwsgiHarakiri() async throws {
            try await withScenarioLab("deaths-harakiri", directory: scenarioDirectory("deaths-uwsgi-harakiri")) { lab in
                let site = try await start(lab, try lab.uwsgiProgram(name: app, bind: bind, harakiri: 2))
                let slow = try await lab.httpGet(site.listen, path: "/slow/?s=10", timeout: .seconds(30))
                #expect(slow.status == 502 && slow.body.contains("nginx"), "\(slow)")
                let log = lab.programStderrLog(app)
                let harakiri = try await lab.waitForLogLine(log, containingAll: ["HARAKIRI ON WORKER 1 (pid:"])
                let died = try await lab.waitForLogLine(log, containingAll: ["DAMN ! worker 1", "killed by signal 9"])
                #expect(harakiri != nil && died != nil, "\(lab.tail(log, lines: 40))")
                let closed = try await lab.waitForErrorLog(containingAll: [prematureClose, "GET /slow/"])
                #expect(closed != nil, "error.log:\n\(lab.tail(lab.nginxErrorLog))")
                try await expectRecovered(lab, site)

                let (run, report) = try await diagnoseReport(lab)
                expectVerdict(run, report, status: "warning", layer: "capacity", check: "premature-close")
                #expect(cause(run, check: "premature-close") == "worker-timeout", "\(run)")
                #expect(report.verdict.summary.contains("harakiri") && report.verdict.summary.contains("--harakiri 2"), "\(run)")
                let evidence = report.verdictEvidenceText
                #expect(evidence.contains(prematureClose) && evidence.contains("HARAKIRI ON WORKER 1"), "\(run)")
                #expect(report.finding("oom-killed") == nil, "\(run)")
                try await captureIfAsked(lab, "deaths-uwsgi-harakiri")
            }
        }
    }
}
