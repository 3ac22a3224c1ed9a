import DoctorFacts
import DoctorHost
import Foundation
import Testing

/// The gatherer on lab-captured snapshots: the facts the checks rely on are really there.
@Suite struct GathererOnFixturesTests {
    private func facts(_ snapshot: String) async throws -> Facts {
        let directory = CheckFixtureTests.fixtures.appendingPathComponent("snapshots/\(snapshot)").path
        let host = try SnapshotHost(directory: directory)
        let scope = SnapshotScope.read(from: directory)
        return await FactGatherer(host: host, options: GatherOptions(nginxConfig: scope?.nginxConfig, probe: true,
                                                                     sinceSeconds: scope?.sinceSeconds ?? 900)).gather()
    }

    @Test func gunicornMasterWorkersAndBindOverTCP() async throws {
        let facts = try await facts("healthy-tcp")
        let gunicorn = try #require(facts.appServers.first { $0.kind == "gunicorn" })
        #expect(gunicorn.endpoints.contains(.tcp(host: "127.0.0.1", port: 8000)))
        #expect(gunicorn.workerPIDs.count == 2, "two sync workers under one master")
        #expect(facts.appServers.filter { $0.kind == "gunicorn" }.count == 1)
    }

    @Test func unixSocketTargetIsASocketTheWorkerCanReach() async throws {
        let facts = try await facts("healthy-unix")
        let path = try #require(facts.routes.first?.target.endpoints.first.flatMap { endpoint -> String? in
            if case let .unix(path) = endpoint { return path }
            return nil
        })
        #expect(facts.socketFiles[path] == .socket)
        let access = try #require(facts.socketAccess.first { $0.socketPath == path })
        #expect(access.user == "www-data")
        #expect(access.allowed, "\(access.steps.map(\.nameiLine))")
        #expect(access.steps.first?.path == "/")
        #expect(access.steps.last?.kind == "socket")
    }
}
