import DoctorLab
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Worker kills under a real supervisord: Gunicorn's master writes `Worker (pid:N) was sent
/// SIGKILL! Perhaps out of memory?` for any SIGKILLed worker. Neither of these is an OOM kill,
/// and `oom-killed` must stay silent: a worker `kill -9`ed by hand (the kernel log, read because
/// of that bare SIGKILL, has no OOM line for the pid) and a worker Gunicorn killed itself after
/// `WORKER TIMEOUT (pid:N)`. (A real OOM kill needs a memory cgroup limit the lab cannot set
/// per program; it is recorded under systemd: Lab/systemd, fixture `systemd-oom-kill`.)
extension LabTests {
    @Suite("Worker kill scenarios")
    struct WorkerKillScenario {
        private let app = "app"
        private let bind = Bind.tcp(8000)

        private func startNginx(_ lab: Lab) async throws -> NginxSite {
            let site = NginxSite(upstream: bind)
            try lab.writeNginxConfig(site)
            try await lab.startNginx()
            return site
        }

        private func workers(_ lab: Lab) async throws -> (master: Int, workers: [Int]) {
            let master = try #require(try await lab.programPID(app), "supervisorctl pid \(app)")
            return (Int(master), processTree(pid_t(master)).subtracting([Int(master)]).sorted())
        }

        @Test("a gunicorn worker killed with kill -9: the kernel log shows no OOM kill, so not oom-killed; ok")
        func workerSigkilledByHand() async throws {
            try await withScenarioLab("kill-sigkill", directory: scenarioDirectory("supervised-worker-sigkill")) { lab in
                try await lab.startSupervisord(programs: [lab.gunicornProgram(name: app, bind: bind)])
                try await lab.waitForProgramState(app, states: ["RUNNING"])
                try await lab.waitUntilHealthy(bind)
                let site = try await startNginx(lab)
                let (_, workers) = try await workers(lab)
                let victim = try #require(workers.first, "gunicorn has no worker")
                #expect(kill(pid_t(victim), SIGKILL) == 0)
                let line = try await lab.waitForLogLine(lab.programStderrLog(app), containingAll: ["Worker (pid:\(victim)) was sent SIGKILL!"])
                #expect(line != nil, "\(lab.tail(lab.programStderrLog(app), lines: 40))")
                try await lab.waitUntilHealthy(bind)
                let results = try await lab.generateTraffic(site.listen, path: "/health/", count: 3)
                #expect(results.allSatisfy { $0.status == 200 }, "\(results)")

                let (run, report) = try await diagnoseReport(lab)
                expectVerdict(run, report, status: "ok", layer: "none", check: nil)
                #expect(report.finding("oom-killed") == nil, "\(run)")
                // The bare SIGKILL made gwdoctor read the kernel log (root may: no Unavailable for it).
                #expect(!report.unavailable.contains { $0.what.contains("kernel log") }, "\(run)")
                try await captureIfAsked(lab, "supervised-worker-sigkill")
            }
        }

        @Test("a gunicorn worker past --timeout: WORKER TIMEOUT then SIGKILL for the same pid is not oom-killed")
        func workerTimeoutKill() async throws {
            try await withScenarioLab("kill-timeout", directory: scenarioDirectory("supervised-worker-timeout")) { lab in
                // stuckapp's /stuck blocks SIGABRT and sleeps: Gunicorn's abort cannot end it, its SIGKILL does.
                let program = lab.gunicornProgram(name: app, bind: bind, app: "stuckapp:application",
                                                  extraArgs: ["--timeout", "2", "--pythonpath", "\(lab.repositoryRoot)/Lab/systemd"])
                try await lab.startSupervisord(programs: [program])
                try await lab.waitForProgramState(app, states: ["RUNNING"])
                let site = try await startNginx(lab)
                let stuck = try await lab.httpGet(site.listen, path: "/stuck", timeout: .seconds(30))
                #expect(stuck.status == 502, "through nginx: \(stuck)")
                let log = lab.programStderrLog(app)
                let timeout = try await lab.waitForLogLine(log, containingAll: ["WORKER TIMEOUT (pid:"])
                let killed = try await lab.waitForLogLine(log, containingAll: ["was sent SIGKILL!"])
                #expect(timeout != nil && killed != nil, "\(lab.tail(log, lines: 40))")

                let (run, report) = try await diagnoseReport(lab)
                #expect(report.finding("oom-killed") == nil, "\(run)")
                #expect(report.finding("crash-loop") == nil, "\(run)")
                // The 502 is the worker Gunicorn killed for its own --timeout: premature-close names it.
                expectVerdict(run, report, status: "warning", layer: "capacity", check: "premature-close")
                #expect(report.verdict.summary.contains("gunicorn --timeout 2"), "\(run)")
                try await captureIfAsked(lab, "supervised-worker-timeout")
            }
        }
    }
}
