import DoctorChecks
import DoctorFacts
import DoctorHost
import Foundation
import Testing

/// Worker kills read from a supervisord program's stderr log, on lab captures
/// (Tests/LabTests/WorkerKillScenarioTests.swift): a worker `kill -9`ed by hand and one
/// Gunicorn killed after `WORKER TIMEOUT`.
@Suite struct WorkerKillGatheringTests {
    private func facts(_ snapshot: String) async throws -> Facts {
        let directory = CheckFixtureTests.fixtures.appendingPathComponent("snapshots/\(snapshot)").path
        let host = try SnapshotHost(directory: directory)
        let scope = SnapshotScope.read(from: directory)
        return await FactGatherer(host: host, options: GatherOptions(nginxConfig: scope?.nginxConfig, probe: true,
                                                                     sinceSeconds: scope?.sinceSeconds ?? 900)).gather()
    }

    @Test func killNineIsASignalTheKernelDoesNotExplain() async throws {
        let facts = try await facts("supervised-worker-sigkill")
        let app = try #require(facts.services.first { $0.manager == "supervisor" })
        let kill = try #require(app.kills.first)
        #expect(app.kills.count == 1 && kill.reason == .signal)
        #expect(kill.line.contains("was sent SIGKILL! Perhaps out of memory?") && kill.source.hasSuffix(".err.log:\(kill.source.split(separator: ":").last ?? "")"))
        let kernel = try #require(facts.kernelOOMKills, "the bare SIGKILL made the gatherer read dmesg")
        #expect(!kernel.contains { $0.pid == kill.pid })
        #expect(OOMKilledCheck().run(facts).isEmpty)
    }

    @Test func timeoutKillNeedsNoKernelLog() async throws {
        let facts = try await facts("supervised-worker-timeout")
        let app = try #require(facts.services.first { $0.manager == "supervisor" })
        #expect(app.kills.map(\.reason) == [.workerTimeout])
        #expect(facts.kernelOOMKills == nil)
        #expect(OOMKilledCheck().run(facts).isEmpty)
    }
}
