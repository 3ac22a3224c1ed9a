import DoctorChecks
import DoctorFacts
import DoctorHost
import Foundation
import Testing

/// `premature-close` on real captures, replayed through `SnapshotHost` and the real gatherer:
/// the supervised Gunicorn worker stuck past `--timeout 2` (WorkerKillScenarioTests), the
/// systemd 252 recordings of a timeout kill and a cgroup OOM kill (Lab/systemd), and a worker
/// `kill -9`ed while idle (no request in flight: nothing to correlate). The lab captures made
/// for this check (WorkerDeathScenarioTests) are replayed by CheckFixtureTests.
@Suite struct PrematureCloseCheckTests {
    private func facts(_ snapshot: String) async throws -> Facts {
        let directory = CheckFixtureTests.fixtures.appendingPathComponent("snapshots/\(snapshot)").path
        let host = try SnapshotHost(directory: directory)
        let scope = SnapshotScope.read(from: directory)
        return await FactGatherer(host: host, options: GatherOptions(nginxConfig: scope?.nginxConfig, nginxPrefix: scope?.nginxPrefix,
                                                                     probe: true, sinceSeconds: scope?.sinceSeconds ?? 900)).gather()
    }

    @Test func supervisedTimeoutKillNamesTheTimeoutAndWhereItIsSet() async throws {
        let facts = try await facts("supervised-worker-timeout")
        let finding = try #require(PrematureCloseCheck().run(facts).first)
        #expect(finding.cause == "worker-timeout" && finding.layer == .capacity && finding.severity == .warning)
        #expect(finding.summary.contains("gunicorn --timeout 2"), "\(finding.summary)")
        #expect(finding.summary.contains("command= at ") && finding.summary.contains("supervisord.conf:"), "\(finding.summary)")
        // Both lines, nginx's first.
        let texts = finding.evidence.map(\.text)
        let nginx = try #require(texts.firstIndex { $0.contains("upstream prematurely closed connection while reading response header") })
        let kill = try #require(texts.firstIndex { $0.contains("was sent SIGKILL! Perhaps out of memory?") })
        #expect(nginx < kill)
        #expect(finding.evidence.contains { $0.kind == .config && $0.text == "gunicorn --timeout 2" })
    }

    @Test func systemdTimeoutKillNamesExecStart() async throws {
        let facts = try await facts("systemd-worker-timeout")
        let finding = try #require(PrematureCloseCheck().run(facts).first)
        #expect(finding.cause == "worker-timeout")
        #expect(finding.summary.contains("--timeout") && finding.summary.contains("ExecStart= at "), "\(finding.summary)")
    }

    @Test func oomKillIsCorrelatedAndOOMKilledStaysTheVerdict() async throws {
        let facts = try await facts("systemd-oom-kill")
        let finding = try #require(PrematureCloseCheck().run(facts).first)
        #expect(finding.cause == "out-of-memory", "\(finding.summary)")
        #expect(finding.evidence.contains { $0.text.contains("GET /eat") })
        let diagnosis = VerdictRanker.diagnose(facts)
        #expect(diagnosis.verdict.check == "oom-killed", "oom-killed names the cause; premature-close supports it")
        #expect(diagnosis.verdict.evidence.contains { $0.text.hasPrefix("also: ") && $0.text.contains("killed by the kernel's OOM killer") })
    }

    @Test func killWithNoRequestInFlightIsSilent() async throws {
        let facts = try await facts("supervised-worker-sigkill")
        #expect(facts.services.contains { !$0.kills.isEmpty }, "the kill is gathered")
        #expect(PrematureCloseCheck().run(facts).isEmpty)
    }

    @Test func killsComeFromTheErrorLogfileOfManagedAndBareServers() async throws {
        // Supervised gunicorn with --error-logfile: the SIGKILL line is only in that file.
        let supervised = try await facts("deaths-supervised-error-logfile")
        let program = try #require(supervised.services.first { $0.manager == "supervisor" })
        #expect(program.kills.map(\.reason) == [.workerTimeout])
        #expect(program.kills.first?.source.contains("/logs/gunicorn-error.log:") == true, "\(program.kills)")
        #expect(PrematureCloseCheck().run(supervised).first?.cause == "worker-timeout")
        // Bare gunicorn: its --error-logfile holds the kill, and the kernel log is read for it
        // (after the bare servers' logs): a kill -9, not a probable OOM kill.
        let bare = try await facts("deaths-bare-kill-9")
        let server = try #require(bare.services.first { $0.manager == "none" })
        #expect(server.kills.map(\.reason) == [.signal])
        #expect(server.kills.first?.source.contains("/logs/gunicorn.log:") == true, "\(server.kills)")
        #expect(bare.kernelOOMKills != nil, "dmesg was read for the bare server's SIGKILL")
        #expect(OOMKilledCheck().run(bare).isEmpty)
        #expect(PrematureCloseCheck().run(bare).first?.cause == "killed-by-signal")
    }

    // MARK: Built facts, for what no capture here shows

    private let target = Endpoint.tcp(host: "127.0.0.1", port: 8000)
    private let base = Date(timeIntervalSince1970: 1_795_258_000)

    private func built(closeAt offset: TimeInterval, kills: [WorkerKill], kernel: [WorkerKill]? = []) -> Facts {
        var facts = Facts(gatheredAt: base.addingTimeInterval(60),
                          routes: [Route(proxy: .nginx, listen: ["127.0.0.1:80"], serverNames: ["app.example"], location: "/",
                                         directive: "proxy_pass", target: .endpoint(scheme: "http", target),
                                         source: SourceLocation(file: "/etc/nginx/nginx.conf", line: 9))])
        let event = ProxyLogEvent(time: base.addingTimeInterval(offset), level: "error", kind: .prematureClose,
                                  message: "upstream prematurely closed connection while reading response header from upstream",
                                  upstream: "http://127.0.0.1:8000/report/", endpoint: target, request: "GET /report/ HTTP/1.1",
                                  line: "2026/11/21 10:46:40 [error] 7#7: *3 upstream prematurely closed connection while reading response header from upstream",
                                  source: "/var/log/nginx/error.log:3")
        facts.errorLogs = [ErrorLogWindow(path: "/var/log/nginx/error.log", windowStart: base.addingTimeInterval(-900), events: [event],
                                          counts: ["premature-close 127.0.0.1:8000": 1], cutShort: false)]
        var service = ManagedService(manager: "supervisor", name: "app", state: "RUNNING", pid: 40,
                                     command: ["/srv/venv/bin/gunicorn", "--bind", "127.0.0.1:8000", "app.wsgi"],
                                     binds: [AppServerBind(endpoint: target, raw: "127.0.0.1:8000", source: "command line")],
                                     logFiles: ["/var/log/app.err.log"], source: "/etc/supervisor/conf.d/app.conf:1")
        service.kills = kills
        facts.services = [service]
        facts.kernelOOMKills = kernel
        return facts
    }

    private func kill(_ reason: WorkerKill.Reason, at offset: TimeInterval?, line: String = "Worker (pid:41) was sent SIGKILL! Perhaps out of memory?") -> WorkerKill {
        WorkerKill(reason: reason, pid: 41, line: line, source: "/var/log/app.err.log:9", time: offset.map { base.addingTimeInterval($0) })
    }

    @Test func aKillTooFarFromTheCloseDoesNotExplainIt() throws {
        let far = PrematureCloseCheck().run(built(closeAt: 0, kills: [kill(.signal, at: 6)]))
        #expect(far.first?.cause == "unexplained", "\(far.map(\.summary))")
        #expect(far.first?.evidence.contains { $0.text.contains("app-server logs read: /var/log/app.err.log") } == true)
        let near = PrematureCloseCheck().run(built(closeAt: 0, kills: [kill(.signal, at: 1)]))
        #expect(near.first?.cause == "killed-by-signal")
        #expect(near.first?.summary.contains("killed by a signal nobody explains") == true)
        #expect(near.first?.summary.contains("gunicorn's default --timeout") == false)
    }

    @Test func oneDeathExplainsEveryCloseNearIt() throws {
        // A gthread worker killed with two requests in flight: two closes, one SIGKILL line.
        var facts = built(closeAt: 0, kills: [kill(.workerTimeout, at: 1)])
        var second = facts.errorLogs[0].events[0]
        second.time = base.addingTimeInterval(0.5)
        second.source = "/var/log/nginx/error.log:4"
        facts.errorLogs[0].events.append(second)
        facts.errorLogs[0].counts = ["premature-close 127.0.0.1:8000": 2]
        let finding = try #require(PrematureCloseCheck().run(facts).first)
        #expect(finding.cause == "worker-timeout")
        #expect(finding.summary.hasPrefix("2 requests") && !finding.summary.contains("no worker death near them"), "\(finding.summary)")
        // Far from it, a close stays unexplained.
        second.time = base.addingTimeInterval(30)
        facts.errorLogs[0].events[1] = second
        let apart = try #require(PrematureCloseCheck().run(facts).first)
        #expect(apart.summary.contains("1 of the closes have no worker death near them"), "\(apart.summary)")
    }

    @Test func theKernelExplainsABareSigkillAndAnUnreadKernelLogIsSaid() throws {
        let kernel = WorkerKill(reason: .outOfMemory, pid: 9041, line: "Out of memory: Killed process 9041 (gunicorn) total-vm:900000kB",
                                source: "dmesg", time: base.addingTimeInterval(0.5))
        let oom = PrematureCloseCheck().run(built(closeAt: 0, kills: [kill(.signal, at: 1)], kernel: [kernel]))
        #expect(oom.first?.cause == "out-of-memory")
        #expect(oom.first?.evidence.contains { $0.source == "dmesg" } == true)
        let unread = PrematureCloseCheck().run(built(closeAt: 0, kills: [kill(.signal, at: 1)], kernel: nil))
        #expect(unread.first?.cause == "killed-by-signal")
        #expect(unread.first?.summary.contains("the kernel log could not be read") == true)
    }

    @Test func timeoutKillWithoutASettingNamesGunicornsDefault() throws {
        let findings = PrematureCloseCheck().run(built(closeAt: 0, kills: [kill(.workerTimeout, at: 0)]))
        let finding = try #require(findings.first)
        #expect(finding.cause == "worker-timeout")
        #expect(finding.summary.contains("at gunicorn's default --timeout 30"), "\(finding.summary)")
    }

    @Test func abortedTimeoutIsGunicornsOwn500InLayerApp() throws {
        let timeoutLine = "[2026-11-21 10:58:04 +0000] [6540] [CRITICAL] WORKER TIMEOUT (pid:41)"
        var facts = built(closeAt: 0, kills: [kill(.workerTimeout, at: 30, line: timeoutLine)])
        facts.errorLogs = []
        let findings = PrematureCloseCheck().run(facts)
        #expect(findings.count == 1)
        let finding = try #require(findings.first)
        #expect(finding.layer == .app && finding.cause == "worker-timeout-500" && finding.route == "app.example /")
        #expect(finding.summary.contains("answered 500 itself") && finding.summary.contains("not a gateway failure"))
        #expect(finding.evidence.first?.text == timeoutLine)
        // With a premature close beside it the aborted worker still does not explain the close.
        let both = PrematureCloseCheck().run(built(closeAt: 30, kills: [kill(.workerTimeout, at: 30, line: timeoutLine)]))
        #expect(Set(both.compactMap(\.cause)) == ["unexplained", "worker-timeout-500"])
    }

    @Test func healthyCapturesAreSilent() async throws {
        for snapshot in ["healthy-tcp", "startup-healthy-supervised", "systemd-healthy"] {
            #expect(PrematureCloseCheck().run(try await facts(snapshot)).isEmpty, "\(snapshot)")
        }
    }
}
