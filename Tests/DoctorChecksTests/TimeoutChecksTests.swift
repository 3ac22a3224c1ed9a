@testable import DoctorChecks
import DoctorFacts
import DoctorHost
import Foundation
import Testing

/// App-server limits and the timeout checks on lab-captured snapshots, replayed through
/// `SnapshotHost` and the real gatherer: the argv are those of real Gunicorn processes, the
/// error-log lines nginx's own.
@Suite struct TimeoutChecksTests {
    private func facts(_ snapshot: String) async throws -> Facts {
        let directory = CheckFixtureTests.fixtures.appendingPathComponent("snapshots/\(snapshot)").path
        let host = try SnapshotHost(directory: directory)
        let scope = SnapshotScope.read(from: directory)
        return await FactGatherer(host: host, options: GatherOptions(nginxConfig: scope?.nginxConfig, probe: true,
                                                                     sinceSeconds: scope?.sinceSeconds ?? 900)).gather()
    }

    @Test func gunicornTimeoutFromARealCommandLine() async throws {
        // `--timeout 2` on the argv of the supervised-worker-timeout program.
        let facts = try await facts("supervised-worker-timeout")
        let gunicorn = try #require(facts.appServers.first { $0.kind == "gunicorn" })
        #expect(gunicorn.limits.timeout == AppServerSetting("2", source: "command line"))
        #expect(gunicorn.limits.workers == AppServerSetting("2", source: "command line"))
        #expect(gunicorn.limits.workerClass == AppServerSetting("sync", source: "default"))
        #expect(gunicorn.limits.timeoutEndsSlowRequests)
        #expect(gunicorn.timeoutSeconds == 2)
    }

    @Test func aSupervisedCommandLineIsCitedAtItsProgramLine() async throws {
        let facts = try await facts("supervised-worker-timeout")
        let gunicorn = try #require(facts.appServers.first { $0.kind == "gunicorn" })
        let timeout = try #require(gunicorn.limits.timeout)
        let location = try #require(facts.commandLineLocation(of: gunicorn), "\(facts.services.map(\.name))")
        #expect(location.contains("supervisord.conf:") || location.contains(".conf:"), "\(location)")
        #expect(TimeoutText.settingSource(timeout, app: gunicorn, facts: facts) == "\(location) (its command line)")
        // A bare process (the timeout captures) is cited by ps.
        let bare = try await self.facts("timeout-slow-view")
        let app = try #require(bare.appServers.first)
        #expect(TimeoutText.settingSource(try #require(app.limits.timeout), app: app, facts: bare) == "ps -o args= -p \(app.masterPID)")
    }

    @Test func cpusOnlineIsRecordedWithTheSnapshot() async throws {
        let facts = try await facts("timeout-worker-saturation")
        let gunicorn = try #require(facts.appServers.first { $0.kind == "gunicorn" })
        let cpus = try #require(gunicorn.limits.cpusOnline)
        #expect(cpus >= 1)
        #expect(gunicorn.limits.classicWorkerBaseline == 2 * cpus + 1)
        #expect(gunicorn.limits.concurrency(runningWorkers: gunicorn.workerPIDs.count) == 1)
    }

    @Test func anOlderSnapshotWithoutTheCPUFileIsNotAnUnavailableFact() async throws {
        let facts = try await facts("healthy-tcp")
        #expect(facts.appServers.first?.limits.cpusOnline == nil)
        #expect(!facts.unavailable.contains { $0.what.contains("CPUs online") }, "\(facts.unavailable)")
    }

    @Test func slowViewNamesBothTimeoutsWithTheirLines() async throws {
        let facts = try await facts("timeout-slow-view")
        let finding = try #require(UpstreamTimeoutCheck().run(facts).first)
        #expect(finding.cause == "proxy-gives-up-first")
        #expect(finding.layer == .capacity)
        let readTimeout = try #require(facts.routes.first?.settings.readTimeout)
        #expect(readTimeout.seconds == 1)
        let source = try #require(readTimeout.source?.description)
        #expect(finding.evidence.contains { $0.source == source && $0.text.hasPrefix("proxy_read_timeout 1s") })
        #expect(finding.evidence.contains { $0.kind == .process && $0.text.contains("--timeout 30") })
        #expect(finding.fix.contains { $0.contains("proxy_read_timeout at \(source)") })
        #expect(WorkerSaturationCheck().run(facts).isEmpty)
    }

    @Test func saturationExplainsTheTimeoutsInTheVerdict() async throws {
        let facts = try await facts("timeout-worker-saturation")
        let diagnosis = VerdictRanker.diagnose(facts)
        #expect(diagnosis.verdict.check == "worker-saturation")
        #expect(diagnosis.findings.contains { $0.check == "upstream-timeout" })
        let finding = try #require(WorkerSaturationCheck().run(facts).first)
        #expect(finding.summary.contains("against 1 worker × 1 thread = 1 request at once"), "\(finding.summary)")
    }

    /// The in-flight bound: lines less than the read timeout apart (whole seconds) count together.
    @Test func peakInFlightCountsOnlyLinesWithinTheWindow() {
        func event(_ second: Double) -> ProxyLogEvent {
            ProxyLogEvent(time: Date(timeIntervalSince1970: second), level: "error", kind: .readTimeout, message: "", line: "", source: "e:1")
        }
        let events = [event(0), event(0), event(1), event(5), event(5), event(5), event(6)]
        #expect(WorkerSaturationCheck.peakInFlight(events, window: 1)?.count == 3)
        #expect(WorkerSaturationCheck.peakInFlight(events, window: 2)?.count == 4)
        #expect(WorkerSaturationCheck.peakInFlight(events, window: 60)?.count == 7)
        #expect(WorkerSaturationCheck.peakInFlight([], window: 60) == nil)
    }
}

/// The race on the slow-view capture with the app server's limits changed, as other stacks have them.
@Suite struct TimeoutRaceTests {
    private func slowView(snapshot: String = "timeout-slow-view", _ change: (inout AppServer) -> Void) async throws -> Finding {
        let directory = CheckFixtureTests.fixtures.appendingPathComponent("snapshots/\(snapshot)").path
        let scope = SnapshotScope.read(from: directory)
        var facts = await FactGatherer(host: try SnapshotHost(directory: directory),
                                       options: GatherOptions(nginxConfig: scope?.nginxConfig, probe: true,
                                                              sinceSeconds: scope?.sinceSeconds ?? 900)).gather()
        let index = try #require(facts.appServers.firstIndex { $0.kind == "gunicorn" })
        change(&facts.appServers[index])
        return try #require(UpstreamTimeoutCheck().run(facts).first)
    }

    @Test func gunicornTimeoutShorterThanNginxKillsTheWorkerFirst() async throws {
        // The saturation capture has proxy_read_timeout 2s: with --timeout 1 a slow request kills the
        // worker first, so a 504 means the request never reached a worker in time.
        let finding = try await slowView(snapshot: "timeout-worker-saturation") {
            $0.limits.timeout = AppServerSetting("1", source: "/etc/app/gunicorn.conf.py:3")
        }
        #expect(finding.cause == "app-server-kills-first", "\(finding.summary)")
        #expect(finding.fix.contains { $0.contains("worker-saturation") })
        let tie = try await slowView { $0.limits.timeout = AppServerSetting("1", source: "/etc/app/gunicorn.conf.py:3") }
        #expect(tie.cause == "proxy-gives-up-first", "a tie (1s and 1): nginx answers first")
        let off = try await slowView { $0.limits.timeout = AppServerSetting("0", source: "command line") }
        #expect(off.cause == "no-app-timeout", "--timeout 0 turns gunicorn's timeout off")
    }

    @Test func uvicornHasNoTimeoutSoNginxIsTheOnlyLimit() async throws {
        let finding = try await slowView { app in
            app.kind = "uvicorn"
            app.limits = AppServerLimits(workers: AppServerSetting("1", source: "default"), workerClass: AppServerSetting("asyncio", source: "default"),
                                         notes: ["uvicorn has no request timeout: a slow request runs until it ends or the proxy gives up"])
        }
        #expect(finding.cause == "no-app-timeout")
        #expect(finding.evidence.contains { $0.text.contains("uvicorn has no request timeout") })
        #expect(finding.fix.contains { $0.contains("is the only limit") })
    }

    @Test func gthreadTimeoutIsOnlyAHeartbeat() async throws {
        let finding = try await slowView { $0.limits.workerClass = AppServerSetting("gthread", source: "command line") }
        #expect(finding.cause == "no-app-timeout")
        #expect(finding.evidence.contains { $0.text.contains("never ends a slow request") })
    }

    @Test func computedTimeoutIsUnknown() async throws {
        let finding = try await slowView { $0.limits.timeout = AppServerSetting("int(os.environ['T'])", source: "/etc/app/gunicorn.conf.py:3") }
        #expect(finding.cause == "app-server-unknown")
    }
}

/// `worker-saturation` from a single 504 when the app server's own timeout proves the request
/// never reached a worker: the slow-view capture with nginx's timeout raised to 60s.
@Suite struct QueuedPastWorkerKillTests {
    private func slowView(nginx: String, gunicorn: String) async throws -> Facts {
        let directory = CheckFixtureTests.fixtures.appendingPathComponent("snapshots/timeout-slow-view").path
        let scope = SnapshotScope.read(from: directory)
        var facts = await FactGatherer(host: try SnapshotHost(directory: directory),
                                       options: GatherOptions(nginxConfig: scope?.nginxConfig, probe: true,
                                                              sinceSeconds: scope?.sinceSeconds ?? 900)).gather()
        let route = try #require(facts.routes.indices.first)
        let written = try #require(facts.routes[route].settings.readTimeout)
        facts.routes[route].settings.values["proxy_read_timeout"] = [RouteSetting(name: "proxy_read_timeout", args: [nginx], source: written.source)]
        let app = try #require(facts.appServers.indices.first)
        facts.appServers[app].limits.timeout = AppServerSetting(gunicorn, source: "command line")
        return facts
    }

    @Test func aReadTimeoutLongerThanASyncWorkersTimeoutMeansTheRequestQueued() async throws {
        let facts = try await slowView(nginx: "60s", gunicorn: "30")
        let finding = try #require(WorkerSaturationCheck().run(facts).first)
        #expect(finding.cause == "queued-behind-busy-workers")
        #expect(finding.summary.contains("killed by its --timeout 30 s first"), "\(finding.summary)")
        #expect(UpstreamTimeoutCheck().run(facts).first?.cause == "app-server-kills-first")
        #expect(VerdictRanker.diagnose(facts).verdict.check == "worker-saturation")
    }

    @Test func withinTheMarginOrWithNginxShorterItIsNotProof() async throws {
        #expect(WorkerSaturationCheck().run(try await slowView(nginx: "31s", gunicorn: "30")).isEmpty)
        #expect(WorkerSaturationCheck().run(try await slowView(nginx: "1s", gunicorn: "30")).isEmpty)
    }
}
