import DoctorFacts
import DoctorHost
import Foundation
import Testing

/// The bare-process log gatherer on snapshots captured from the lab's bare-process
/// scenarios (`StartupMoreScenarioTests`): real Gunicorn and Uvicorn processes started with
/// no manager, replayed through `SnapshotHost` and the real `FactGatherer`.
@Suite struct BareProcessLogFixtureTests {
    private func facts(_ snapshot: String) async throws -> Facts {
        let directory = CheckFixtureTests.fixtures.appendingPathComponent("snapshots/\(snapshot)").path
        let host = try SnapshotHost(directory: directory)
        let scope = SnapshotScope.read(from: directory)
        return await FactGatherer(host: host, options: GatherOptions(nginxConfig: scope?.nginxConfig, probe: true,
                                                                     sinceSeconds: scope?.sinceSeconds ?? 900)).gather()
    }

    @Test func aCrashedGunicornIsKnownFromItsLogInVarLogGunicorn() async throws {
        let facts = try await facts("startup-bare-gunicorn-crashed")
        #expect(!facts.appServers.contains { $0.kind == "gunicorn" }, "the crashed gunicorn is not in the process table")
        let service = try #require(facts.services.first { $0.manager == "none" })
        #expect(service.state == "not running")
        #expect(!service.isRunning)
        #expect(service.pid == nil)
        #expect(service.logFiles == ["/var/log/gunicorn/error.log"])
        // The only link to the route: the address its log says it listened on.
        #expect(service.binds.map(\.endpoint) == [.tcp(host: "127.0.0.1", port: 8000)])
        let failure = try #require(service.startupFailures.last)
        #expect(failure.cause == .missingEnvVar)
        #expect(failure.detail == "DJANGO_SECRET_KEY")
        #expect(failure.program == "gunicorn")
        #expect(failure.source.hasPrefix("/var/log/gunicorn/error.log:"))
    }

    @Test func aRunningGunicornsErrorLogfileHoldsTheEarlierFailedBoot() async throws {
        let facts = try await facts("startup-bare-gunicorn-restarted")
        let gunicorn = try #require(facts.appServers.first { $0.kind == "gunicorn" })
        let service = try #require(facts.services.first { $0.manager == "none" })
        #expect(service.pid == gunicorn.masterPID)
        #expect(service.name == "pid \(gunicorn.masterPID)")
        #expect(service.isRunning)
        // From `--error-logfile …/logs/gunicorn.log` in its argv.
        let named = try #require(gunicorn.cmdline.firstIndex(of: "--error-logfile").map { gunicorn.cmdline[$0 + 1] })
        #expect(service.logFiles.first == named)
        #expect(service.startupFailures.last?.cause == .missingEnvVar)
        #expect(service.binds.compactMap(\.endpoint).contains(.tcp(host: "127.0.0.1", port: 8000)))
    }

    @Test func aRunningUvicornsRedirectedStderrIsReadThroughProcFd() async throws {
        let facts = try await facts("startup-bare-uvicorn-redirected")
        let uvicorn = try #require(facts.appServers.first { $0.kind == "uvicorn" })
        let service = try #require(facts.services.first { $0.manager == "none" })
        #expect(service.pid == uvicorn.masterPID)
        // Uvicorn names no log file: they were found as the targets of /proc/PID/fd/2 and
        // fd/1 (the lab redirects stdout and stderr to two files), stderr first.
        #expect(service.logFiles.count == 2)
        #expect(service.logFiles.first?.hasSuffix("/logs/uvicorn.stderr") == true)
        #expect(service.logFiles.last?.hasSuffix("/logs/uvicorn.stdout") == true)
        #expect(service.startupFailures.last?.source.hasPrefix(service.logFiles[0]) == true)
        #expect(service.startupFailures.last?.cause == .missingEnvVar)
        #expect(service.startupFailures.last?.program == "uvicorn")
    }

    @Test func aSupervisedGunicornsErrorLogfileIsReadWithItsCapture() async throws {
        let facts = try await facts("startup-supervised-error-logfile")
        let service = try #require(facts.services.first { $0.manager == "supervisor" })
        #expect(!facts.services.contains { $0.manager == "none" })
        let named = try #require(service.command.firstIndex(of: "--error-logfile").map { service.command[$0 + 1] })
        #expect(service.logFiles.contains(named))
        #expect(service.logFiles.count == 3, "stderr_logfile, stdout_logfile and the named file: \(service.logFiles)")
        let failure = try #require(service.startupFailures.last)
        #expect(failure.cause == .missingEnvVar)
        #expect(failure.source.hasPrefix(named + ":"))
    }

    @Test func aServerStartedByAnAtRebootCrontabLineIsKnownFromThatLine() async throws {
        let facts = try await facts("startup-bare-gunicorn-crontab")
        let service = try #require(facts.services.first { $0.manager == "none" })
        #expect(service.source == "/var/spool/cron/crontabs/root:3")
        #expect(service.state == "not running")
        #expect(service.command.first?.hasSuffix("/bin/gunicorn") == true)
        // Binds from the line's argv; the log from its `>> FILE 2>&1`.
        #expect(service.binds.compactMap(\.endpoint) == [.tcp(host: "127.0.0.1", port: 8000)])
        #expect(service.logFiles.count == 1 && service.logFiles[0].hasSuffix("/logs/app-cron.log"))
        #expect(service.startupFailures.last?.cause == .missingEnvVar)
    }

    @Test func supervisedServersAreNotBare() async throws {
        for snapshot in ["startup-healthy-supervised", "startup-missing-secret-key", "startup-database-unreachable"] {
            let facts = try await facts(snapshot)
            #expect(!facts.services.contains { $0.manager == "none" }, "\(snapshot): \(facts.services.map(\.name))")
            #expect(facts.services.contains { $0.manager == "supervisor" }, "\(snapshot)")
        }
    }
}
