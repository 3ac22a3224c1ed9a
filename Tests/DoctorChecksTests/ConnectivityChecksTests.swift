import DoctorChecks
import DoctorFacts
import Foundation
import Testing

/// The route-target checks on constructed facts: `target-not-listening`, `target-mismatch`,
/// and the "recovered since" grading they share with the socket, upstream, capacity and
/// network checks (those are in `SocketChecksTests` and `UpstreamCapacityNetworkTests`).
@Suite struct ConnectivityChecksTests {
    typealias S = Site

    // MARK: healthy

    @Test func healthyTCPFiresNothing() {
        let route = S.route(to: S.tcp())
        let app = S.gunicorn(binds: [S.tcp()])
        let facts = Facts(gatheredAt: S.now, proxies: [S.proxy], routes: [route], processes: S.processes(for: app),
                          listeners: [S.listener(S.tcp(), app: app, queue: 0)], appServers: [app],
                          routeProbes: [S.probes(route, direct: [(S.tcp(), S.ok)], viaProxy: S.ok)],
                          errorLogs: [S.errorLog([])])
        #expect(S.findings(facts).isEmpty)
        #expect(VerdictRanker.diagnose(facts).status == .ok)
    }

    @Test func healthyWithoutProbesFiresNothing() {
        // Probing off: the listener table alone says it listens.
        let route = S.route(to: S.tcp())
        let app = S.gunicorn(binds: [S.tcp("0.0.0.0", 8000)])
        let facts = Facts(gatheredAt: S.now, proxies: [S.proxy], routes: [route], processes: S.processes(for: app),
                          listeners: [S.listener(S.tcp("0.0.0.0", 8000), app: app)], appServers: [app])
        #expect(S.findings(facts).isEmpty)
    }

    // MARK: target-not-listening

    private func stoppedAppFacts(probe: ProbeOutcome? = .failed(.refused), logs: [ProxyLogEvent] = [],
                                 unavailable: [Unavailable] = [], target: Endpoint = S.tcp()) -> Facts {
        let route = S.route(to: target)
        return Facts(gatheredAt: S.now, proxies: [S.proxy], routes: [route],
                     routeProbes: probe.map { [S.probes(route, direct: [(target, $0)], viaProxy: S.badGateway)] } ?? [],
                     errorLogs: [S.errorLog(logs)], unavailable: unavailable)
    }

    @Test func notListeningIsCriticalWhenTheProbeIsRefused() throws {
        let facts = stoppedAppFacts(logs: [S.event(.refused, at: S.tcp(), clock: "14:19:58", line: 41)])
        let finding = try #require(S.run("target-not-listening", facts).first)
        #expect(finding.severity == .critical)
        #expect(finding.layer == .upstream)
        #expect(finding.route == "example.com /")
        #expect(finding.summary.contains("Nothing listens at 127.0.0.1:8000"))
        #expect(finding.sources.contains("\(S.site):12"), "pass directive file:line")
        #expect(finding.sources.contains("\(S.errorLog):41"), "log line with its source")
        #expect(finding.sources.contains("ss -ltnp | grep :8000"), "listener table command")
        #expect(finding.texts.contains("direct probe of 127.0.0.1:8000 (GET /health/): connection refused (ECONNREFUSED)"))
        #expect(finding.texts.contains { $0.contains("connect() failed (111: Connection refused)") })
        #expect(finding.fix.contains { $0.contains("systemctl start <your app service>") })
        let diagnosis = VerdictRanker.diagnose(facts)
        #expect(diagnosis.status == .critical)
        #expect(diagnosis.verdict.check == "target-not-listening")
    }

    @Test func notListeningIsCriticalFromTheListenerTableWhenProbingWasOff() throws {
        let facts = stoppedAppFacts(probe: nil)
        let finding = try #require(S.run("target-not-listening", facts).first)
        #expect(finding.severity == .critical)
        #expect(finding.texts.contains("no listening socket on port 8000"))
        #expect(finding.texts.contains { $0.contains("no app server") })
    }

    @Test func notListeningStaysSilentWithoutListenerTableProbesOrLogs() {
        let facts = stoppedAppFacts(probe: nil, unavailable: [S.listenersUnavailable])
        #expect(S.run("target-not-listening", facts).isEmpty)
        #expect(S.findings(facts).isEmpty)
    }

    @Test func notListeningWithoutListenerTableTrustsLogsAsAWarning() throws {
        let facts = stoppedAppFacts(probe: nil, logs: [S.event(.refused, at: S.tcp(), clock: "14:11:30")],
                                    unavailable: [S.listenersUnavailable])
        let finding = try #require(S.run("target-not-listening", facts).first)
        #expect(finding.severity == .warning)
        #expect(finding.summary.contains("last logged 14:11"))
        #expect(finding.summary.contains("listener table unavailable"))
        #expect(!finding.summary.contains("recovered"))
    }

    @Test func notListeningWithoutListenerTableTrustsAProbe() throws {
        let facts = stoppedAppFacts(probe: .failed(.refused), unavailable: [S.listenersUnavailable])
        #expect(try #require(S.run("target-not-listening", facts).first).severity == .critical)
    }

    @Test func recoveredSinceTheLastFailingLogLine() throws {
        let route = S.route(to: S.tcp())
        let app = S.gunicorn(binds: [S.tcp()])
        let facts = Facts(gatheredAt: S.now, proxies: [S.proxy], routes: [route], processes: S.processes(for: app),
                          listeners: [S.listener(S.tcp(), app: app)], appServers: [app],
                          routeProbes: [S.probes(route, direct: [(S.tcp(), S.ok)], viaProxy: S.ok)],
                          errorLogs: [S.errorLog([S.event(.refused, at: S.tcp(), clock: "14:02:11", line: 7),
                                                  S.event(.refused, at: S.tcp(), clock: "14:05:40", line: 9)],
                                                 counts: ["refused 127.0.0.1:8000": 25])])
        let finding = try #require(S.run("target-not-listening", facts).first)
        #expect(finding.severity == .warning)
        #expect(finding.summary.hasSuffix("recovered since 14:05"), "\(finding.summary)")
        #expect(finding.summary.contains("25 times"), "counts cover the whole window: \(finding.summary)")
        #expect(finding.sources.contains("\(S.errorLog):9"))
        let diagnosis = VerdictRanker.diagnose(facts)
        #expect(diagnosis.status == .warning)
        #expect(diagnosis.verdict.summary.contains("recovered since 14:05"))
    }

    @Test func aFailingProxyProbeIsNotRecovered() throws {
        // Direct probe answers, but through nginx it is still a 502: "last logged", not "recovered".
        let route = S.route(to: S.tcp())
        let facts = Facts(gatheredAt: S.now, proxies: [S.proxy], routes: [route],
                          routeProbes: [S.probes(route, direct: [(S.tcp(), S.ok)], viaProxy: S.badGateway)],
                          errorLogs: [S.errorLog([S.event(.refused, at: S.tcp(), clock: "14:05:40")])])
        let finding = try #require(S.run("target-not-listening", facts).first)
        #expect(finding.severity == .warning)
        #expect(!finding.summary.contains("recovered"))
        #expect(finding.summary.contains("last logged 14:05 (the direct probe answers now)"))
    }

    @Test func notListeningIgnoresAnotherRoutesLogLines() {
        let facts = stoppedAppFacts(probe: .response(status: 200, server: nil),
                                    logs: [S.event(.refused, at: S.tcp("127.0.0.1", 8001)), S.event(.refused, at: S.tcp("127.0.0.1", 80))])
        #expect(S.run("target-not-listening", facts).isEmpty)
    }

    @Test func notListeningNeverJudgesARemoteAddressFromTheLocalListenerTable() {
        let target = S.tcp("10.0.0.5", 8000)
        #expect(S.run("target-not-listening", stoppedAppFacts(probe: nil, target: target)).isEmpty)
        #expect(try! #require(S.run("target-not-listening", stoppedAppFacts(probe: .failed(.refused), target: target)).first).severity == .critical)
    }

    @Test func notListeningLeavesABootingAppServerAlone() {
        // gunicorn names 127.0.0.1:8000 but holds no listener yet: booting or crash-looping, not stopped.
        let app = S.gunicorn(binds: [S.tcp()])
        var facts = stoppedAppFacts()
        facts.appServers = [app]
        facts.processes = S.processes(for: app)
        #expect(S.run("target-not-listening", facts).isEmpty)
        #expect(S.run("target-mismatch", facts).isEmpty)
    }

    @Test func appServersListeningInAnotherNetworkNamespaceAreNotOurs() throws {
        // A parallel lab's (or container's) gunicorn binds 127.0.0.1:8000 too: it holds a
        // socket that is not in this namespace's listener table.
        let foreign = S.gunicorn(pid: 900, binds: [S.tcp()], workers: [901])
        var facts = stoppedAppFacts(logs: [S.event(.refused, at: S.tcp())])
        facts.appServers = [foreign]
        facts.processes = S.processes(for: foreign).map { var record = $0; record.socketInodes = [5555]; return record }
        let finding = try #require(S.run("target-not-listening", facts).first)
        #expect(finding.severity == .critical)
        #expect(finding.summary.contains("no app server is running"))
        #expect(finding.texts.contains { $0.contains("1 more listen in another network namespace") && $0.contains("gunicorn pid 900") })
        #expect(S.run("target-mismatch", facts).isEmpty)
        // The same process without any socket (booting, or fds unreadable) is taken as ours.
        facts.processes = S.processes(for: foreign)
        #expect(S.run("target-not-listening", facts).isEmpty)
    }

    // MARK: target-mismatch

    private func mismatchFacts(target: Endpoint, bind: Endpoint, probe: ProbeOutcome? = .failed(.refused),
                               socketFiles: [String: FileKind] = [:]) -> Facts {
        let route = S.route(to: target)
        let app = S.gunicorn(binds: [bind])
        return Facts(gatheredAt: S.now, proxies: [S.proxy], routes: [route], processes: S.processes(for: app),
                     listeners: [S.listener(bind, app: app)], appServers: [app],
                     routeProbes: probe.map { [S.probes(route, direct: [(target, $0)], viaProxy: S.badGateway)] } ?? [],
                     socketFiles: socketFiles,
                     errorLogs: [S.errorLog([S.event(.refused, at: target.description.hasPrefix("unix") ? nil : target)])])
    }

    @Test func mismatchIPv4RouteIPv6Bind() throws {
        let facts = mismatchFacts(target: S.tcp(), bind: S.tcp("::1", 8000))
        let finding = try #require(S.run("target-mismatch", facts).first)
        #expect(finding.severity == .critical)
        #expect(finding.layer == .route)
        #expect(finding.summary.contains("the other address family (IPv6 instead of IPv4)"), "\(finding.summary)")
        #expect(finding.fix.first == "proxy_pass at \(S.site):12 points to 127.0.0.1:8000; gunicorn pid 412 (app) binds [::1]:8000; change one to match")
        #expect(finding.fix.contains { $0.contains("`proxy_pass http://[::1]:8000;`") })
        #expect(finding.fix.contains { $0.contains("--bind 127.0.0.1:8000") })
        #expect(finding.sources.contains("ps -o args= -p 412"))
        #expect(S.run("target-not-listening", facts).isEmpty, "a mismatch is not 'nothing runs'")
        let diagnosis = VerdictRanker.diagnose(facts)
        #expect(diagnosis.verdict.check == "target-mismatch")
        #expect(diagnosis.verdict.layer == .route)
    }

    @Test func mismatchOtherPortWithoutProbes() throws {
        let facts = mismatchFacts(target: S.tcp("127.0.0.1", 8001), bind: S.tcp("127.0.0.1", 8000), probe: nil)
        let finding = try #require(S.run("target-mismatch", facts).first)
        #expect(finding.severity == .critical)
        #expect(finding.summary.contains("another port"))
        #expect(finding.texts.contains { $0.contains("port 8001") })
    }

    @Test func mismatchUnixPathsPreferredOverSocketMissing() throws {
        let facts = mismatchFacts(target: S.unixTarget, bind: .unix(path: "/run/app/app.sock"), probe: .failed(.noSuchFile),
                                  socketFiles: [S.socket: .missing])
        let finding = try #require(S.run("target-mismatch", facts).first)
        #expect(finding.summary.contains("another socket path"))
        #expect(finding.fix.contains { $0.contains("`proxy_pass http://unix:/run/app/app.sock:;`") })
        #expect(finding.sources.contains("ls -l \(S.socket)"))
        #expect(S.run("socket-missing", facts).isEmpty)
        #expect(S.run("socket-stale", facts).isEmpty)
        #expect(VerdictRanker.diagnose(facts).verdict.check == "target-mismatch")
    }

    @Test func mismatchTCPRouteToTheOnlyAppServerOnAUnixSocket() throws {
        let facts = mismatchFacts(target: S.tcp(), bind: S.unixTarget)
        let finding = try #require(S.run("target-mismatch", facts).first)
        #expect(finding.summary.contains("a unix socket, not TCP"))
        #expect(finding.fix.contains { $0.contains("`proxy_pass http://unix:\(S.socket):;`") })
    }

    @Test func anAppServerServingAnotherRouteIsNotTheOneMeant() throws {
        // Route A → 8000 works; route B → 8001 has no app server: not a mismatch with A's gunicorn.
        let a = S.route(to: S.tcp("127.0.0.1", 8000), location: "/", line: 12)
        let b = S.route(to: S.tcp("127.0.0.1", 8001), location: "/api/", line: 20)
        let app = S.gunicorn(binds: [S.tcp("127.0.0.1", 8000)])
        let facts = Facts(gatheredAt: S.now, proxies: [S.proxy], routes: [a, b], processes: S.processes(for: app),
                          listeners: [S.listener(S.tcp("127.0.0.1", 8000), app: app)], appServers: [app])
        #expect(S.run("target-mismatch", facts).isEmpty)
        let finding = try #require(S.run("target-not-listening", facts).first)
        #expect(finding.route == "example.com /api/")
        #expect(finding.summary.contains("no running app server binds it"))
    }

    @Test func localhostRouteServedOnOneFamilyIsInfoNotFailure() throws {
        let target = S.tcp("localhost", 8000)
        let route = S.route(to: target)
        let app = S.gunicorn(binds: [S.tcp("::1", 8000)])
        let facts = Facts(gatheredAt: S.now, proxies: [S.proxy], routes: [route], processes: S.processes(for: app),
                          listeners: [S.listener(S.tcp("::1", 8000), app: app)], appServers: [app],
                          routeProbes: [S.probes(route, direct: [(target, S.ok)], viaProxy: S.ok)],
                          errorLogs: [S.errorLog([S.event(.refused, at: S.tcp("127.0.0.1", 8000), clock: "14:19:00")])])
        let findings = S.findings(facts)
        #expect(findings.count == 1)
        let finding = try #require(findings.first)
        #expect(finding.check == "target-mismatch")
        #expect(finding.severity == .info)
        #expect(finding.summary.contains("only [::1]:8000 listens"))
        #expect(VerdictRanker.diagnose(facts).status == .ok)
    }

    @Test func mismatchWithUnknownNowNeedsLogLines() {
        var facts = mismatchFacts(target: S.tcp("127.0.0.1", 8001), bind: S.tcp("127.0.0.1", 8000), probe: nil)
        facts.unavailable = [S.listenersUnavailable]
        facts.listeners = []
        facts.errorLogs = []
        #expect(S.run("target-mismatch", facts).isEmpty, "binds alone, with nothing known about now, stay silent")
        facts.errorLogs = [S.errorLog([S.event(.refused, at: S.tcp("127.0.0.1", 8001), clock: "14:10:00")])]
        #expect(S.run("target-mismatch", facts).first?.severity == .warning)
        #expect(S.run("target-not-listening", facts).isEmpty)
    }

    // MARK: catalog

    @Test func everyConnectivityCheckIsRegisteredDocumentedAndOnItsLayer() throws {
        let layers: [String: Layer] = [
            "target-not-listening": .upstream, "target-mismatch": .route, "socket-missing": .socket, "socket-stale": .socket,
            "socket-permission": .socket, "upstream-group-down": .upstream, "target-unresolvable": .network, "backlog-full": .capacity,
        ]
        let catalog = try String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("docs/CHECKS.md"), encoding: .utf8)
        for (id, layer) in layers {
            let check = try #require(CheckCatalog.check(id: id))
            #expect(check.layer == layer)
            #expect(catalog.contains("### `\(id)`"))
            for text in [check.fixText, check.rationale] {
                #expect(!text.contains("777") && !text.contains("o+w") && !text.contains("a+w"), "\(id)")
            }
        }
        // Deeper causes first within a layer; the proxy's own checks stay ahead.
        let precedence = { (id: String) in CheckCatalog.check(id: id)!.precedence }
        #expect(precedence("proxy-down") < precedence("target-mismatch"))
        #expect(precedence("socket-missing") < precedence("socket-stale"))
        #expect(precedence("target-not-listening") < precedence("upstream-group-down"))
    }
}
