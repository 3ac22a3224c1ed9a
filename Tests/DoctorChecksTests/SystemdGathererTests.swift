import DoctorChecks
import DoctorFacts
import DoctorHost
import Foundation
import Testing

/// The systemd gatherer replayed through `SnapshotHost` on REAL captures: each `systemd-*`
/// snapshot was written by `gwdoctor snapshot` run inside a PID + mount namespace whose PID 1
/// was systemd 252 with the scenario's units (Lab/systemd/README.md); `systemd-cannot-operate`
/// on this host itself, where systemd is not PID 1.
@Suite struct SystemdGathererTests {
    private func facts(_ snapshot: String) async throws -> Facts {
        let directory = CheckFixtureTests.fixtures.appendingPathComponent("snapshots/\(snapshot)").path
        let host = try SnapshotHost(directory: directory)
        let scope = SnapshotScope.read(from: directory)
        return await FactGatherer(host: host, options: GatherOptions(nginxConfig: scope?.nginxConfig, probe: true,
                                                                     sinceSeconds: scope?.sinceSeconds ?? 900)).gather()
    }

    private func unit(_ facts: Facts) throws -> ManagedService {
        let units = facts.services.filter { $0.manager == "systemd" }
        #expect(units.map(\.name) == ["myapp.service"], "only the app-server unit, not nginx.service or the distribution's units")
        return try #require(units.first)
    }

    @Test func healthyUnitWithDropInAndEnvironmentFile() async throws {
        let facts = try await facts("systemd-healthy")
        let app = try unit(facts)
        #expect(app.state == "active" && app.stateDetail == "running" && app.result == "success" && app.restarts == 0)
        #expect(app.pid == 30)
        #expect(app.binds.compactMap(\.endpoint) == [.tcp(host: "127.0.0.1", port: 8101)])
        #expect(app.source == "/etc/systemd/system/myapp.service:8", "the ExecStart= line")
        #expect(app.startupFailures.isEmpty && app.kills.isEmpty)
        let definition = try #require(app.definition)
        #expect(definition.workingDirectory?.path == "/srv/app/src" && definition.workingDirectory?.kind == .directory)
        #expect(definition.environmentFiles.first?.keys?.map(\.name) == ["DJANGO_SECRET_KEY"])
        // From the drop-in /etc/systemd/system/myapp.service.d/override.conf.
        #expect(definition.environment.map(\.name) == ["LAB_DATA_DIR"])
        #expect(definition.environment.first?.location == "/etc/systemd/system/myapp.service.d/override.conf:2")
        #expect(definition.restart?.value == "on-failure")
        #expect(facts.kernelOOMKills == nil, "nothing to explain: the kernel log is not read")
        #expect(!facts.unavailable.contains { $0.what.contains("systemd") })
        #expect(VerdictRanker.diagnose(facts).status == .ok)
    }

    @Test func restartLimitKeepsExitCodeAndTheJournalNamesTheCause() async throws {
        let facts = try await facts("systemd-restart-limit")
        let app = try unit(facts)
        // Real systemd 252: the start limit ends the auto-restart loop but Result stays exit-code.
        #expect(app.state == "failed" && app.result == "exit-code" && app.restarts == 4 && app.exitStatus == 3)
        let failure = try #require(app.startupFailures.last)
        #expect(failure.cause == .missingEnvVar && failure.detail == "DJANGO_SECRET_KEY" && failure.source == "journal")
        #expect(failure.occurrences == 8, "4 starts × 2 workers")
        let diagnosis = VerdictRanker.diagnose(facts)
        #expect(diagnosis.status == .critical)
        #expect(diagnosis.verdict.check == "app-startup-crash" && diagnosis.verdict.layer == .startup)
        #expect(diagnosis.verdict.cause == "missing-env-var")
        #expect(diagnosis.findings.contains { $0.check == "crash-loop" && $0.cause == "missing-env-var" })
    }

    @Test func autoRestartIsALoopInProgress() async throws {
        let facts = try await facts("systemd-auto-restart")
        let app = try unit(facts)
        #expect(app.state == "activating" && app.stateDetail == "auto-restart" && (app.restarts ?? 0) >= 1)
        let loop = try #require(CrashLoopCheck().run(facts).first)
        #expect(loop.severity == .critical && loop.route != nil)
        #expect(loop.evidence.first?.text.contains("activating (auto-restart)") == true)
        #expect(VerdictRanker.diagnose(facts).verdict.check == "app-startup-crash")
    }

    @Test func startLimitHitWithoutATracebackIsTheVerdict() async throws {
        let facts = try await facts("systemd-start-limit-hit")
        let app = try unit(facts)
        #expect(app.result == "start-limit-hit" && app.restarts == 5 && app.startupFailures.isEmpty)
        let diagnosis = VerdictRanker.diagnose(facts)
        #expect(diagnosis.status == .critical)
        #expect(diagnosis.verdict.check == "crash-loop" && diagnosis.verdict.layer == .upstream)
        #expect(diagnosis.verdict.cause == "daemonizes")
        #expect(diagnosis.verdict.evidence.first?.text.contains("Result=start-limit-hit, NRestarts=5") == true)
    }

    @Test func workerOOMKillConfirmedByTheKernel() async throws {
        let facts = try await facts("systemd-oom-kill")
        let app = try unit(facts)
        #expect(app.isRunning)
        let kill = try #require(app.kills.first)
        #expect(app.kills.count == 1)
        // Gunicorn's pid 35 is namespace-local; the kernel's is 17459: matched by the unit's cgroup and time.
        #expect(kill.reason == .outOfMemory && kill.pid == 35 && kill.line.contains("was sent SIGKILL"))
        let kernel = try #require(facts.kernelOOMKills)
        #expect(kernel.contains { $0.pid == 17459 && $0.line.contains("Memory cgroup out of memory: Killed process 17459 (gunicorn)") })
        let finding = try #require(OOMKilledCheck().run(facts).first)
        #expect(finding.severity == .warning, "the worker died, the service runs")
        #expect(finding.evidence.contains { $0.source == "dmesg" && $0.text.contains("Killed process 17459") })
        let diagnosis = VerdictRanker.diagnose(facts)
        #expect(diagnosis.status == .warning && diagnosis.verdict.check == "oom-killed" && diagnosis.verdict.layer == .capacity)
    }

    @Test func workerTimeoutKillIsNotAnOOMKill() async throws {
        let facts = try await facts("systemd-worker-timeout")
        let app = try unit(facts)
        #expect(app.kills.map(\.reason) == [.workerTimeout])
        #expect(app.kills.first?.line.contains("was sent SIGKILL! Perhaps out of memory?") == true)
        #expect(facts.kernelOOMKills == nil, "a timeout kill needs no kernel log")
        #expect(OOMKilledCheck().run(facts).isEmpty)
    }

    @Test func cannotOperateIsOneUnavailableAndKeepsTheUnitFile() async throws {
        let facts = try await facts("systemd-cannot-operate")
        let app = try unit(facts)
        #expect(app.state == nil && app.result == nil)
        #expect(app.binds.compactMap(\.endpoint) == [.tcp(host: "127.0.0.1", port: 8101)])
        #expect(app.definition?.environmentFiles.first?.file.kind == .regular)
        let systemd = facts.unavailable.filter { $0.what.contains("systemctl") || $0.what.contains("journal") }
        #expect(systemd.count == 1)
        #expect(systemd.first?.reason.contains("has not been booted with systemd") == true)
        #expect(VerdictRanker.diagnose(facts).status == .ok)
    }
}
