import DoctorChecks
import DoctorFacts
import DoctorHost
import Foundation
import Testing

/// `upstream-group-down`, `backlog-full`, `target-unresolvable` on constructed facts, and
/// every connectivity check on the lab snapshots that exist so far (all healthy or
/// proxy-level faults: they must stay silent).
@Suite struct UpstreamCapacityNetworkTests {
    typealias S = Site

    // MARK: upstream-group-down

    private let s1 = S.tcp("127.0.0.1", 8001), s2 = S.tcp("127.0.0.1", 8002)

    private func groupFacts(_ outcomes: [ProbeOutcome?], servers: [UpstreamServer]? = nil, apps: [AppServer] = [],
                            logs: [ProxyLogEvent] = [], viaProxy: ProbeOutcome? = S.badGateway) -> Facts {
        let servers = servers ?? [S.server(s1, line: 3), S.server(s2, line: 4)]
        let route = S.route(.upstream(scheme: "http", name: "backend", servers: servers))
        let direct = zip(servers, outcomes).compactMap { server, outcome in outcome.map { (server.endpoint, $0) } }
        var listeners: [Listener] = []
        for app in apps { for bind in app.endpoints { listeners.append(S.listener(bind, app: app)) } }
        return Facts(gatheredAt: S.now, proxies: [S.proxy], routes: [route], processes: apps.flatMap(S.processes(for:)),
                     listeners: listeners, appServers: apps,
                     routeProbes: [S.probes(route, direct: direct, viaProxy: viaProxy)], errorLogs: [S.errorLog(logs)])
    }

    @Test func groupDownWhenEveryServerIsRefused() throws {
        let facts = groupFacts([.failed(.refused), .failed(.refused)],
                               logs: [S.event(.noLiveUpstreams, at: nil, clock: "14:19:40", line: 30, upstream: "http://backend/")])
        let finding = try #require(S.run("upstream-group-down", facts).first)
        #expect(finding.severity == .critical)
        #expect(finding.layer == .upstream)
        #expect(finding.summary.hasPrefix("All 2 servers of upstream backend fail"))
        #expect(finding.sources.contains("\(S.site):3") && finding.sources.contains("\(S.site):4"), "each server line")
        #expect(finding.sources.contains("\(S.errorLog):30"))
        #expect(finding.texts.contains { $0.contains("no live upstreams") })
        #expect(finding.fix.contains { $0.contains("fail_timeout") })
        #expect(S.run("target-not-listening", facts).isEmpty, "groups are this check's")
    }

    @Test func groupWithOneLiveServerIsDegradedNotDown() throws {
        let app = S.gunicorn(binds: [s1])
        let facts = groupFacts([S.ok, .failed(.refused)], apps: [app], viaProxy: S.ok)
        let finding = try #require(S.run("upstream-group-down", facts).first)
        #expect(finding.severity == .warning)
        #expect(finding.summary.hasPrefix("1 of 2 servers of upstream backend do not answer (127.0.0.1:8002"))
    }

    @Test func groupBoundElsewhereIsARouteProblem() throws {
        let app = S.gunicorn(binds: [S.tcp("127.0.0.1", 8000)])
        let facts = groupFacts([.failed(.refused)], servers: [S.server(s1, line: 3)], apps: [app])
        let finding = try #require(S.run("upstream-group-down", facts).first)
        #expect(finding.severity == .critical)
        #expect(finding.layer == .route)
        #expect(finding.summary.contains("The only server of upstream backend, 127.0.0.1:8001 (at \(S.site):3)"))
        #expect(finding.fix.first == "server at \(S.site):3 points to 127.0.0.1:8001; gunicorn pid 412 (app) binds 127.0.0.1:8000; change one to match")
        #expect(finding.fix.contains { $0.contains("`server 127.0.0.1:8000;`") })
    }

    @Test func aForeignAppServerDoesNotMakeAGroupARouteProblem() throws {
        let foreign = S.gunicorn(pid: 900, binds: [S.tcp("127.0.0.1", 8000)], workers: [])
        var facts = groupFacts([.failed(.refused), .failed(.refused)])
        facts.appServers = [foreign]
        facts.processes = S.processes(for: foreign).map { var record = $0; record.socketInodes = [5555]; return record }
        let finding = try #require(S.run("upstream-group-down", facts).first)
        #expect(finding.layer == .upstream)
        #expect(!finding.fix.contains { $0.contains("change one to match") })
    }

    @Test func groupDownWithoutProbesFromTheListenerTable() {
        var facts = groupFacts([nil, nil])
        facts.routeProbes = []
        #expect(S.run("upstream-group-down", facts).first?.severity == .critical)
        facts.unavailable = [S.listenersUnavailable]
        #expect(S.run("upstream-group-down", facts).isEmpty)
    }

    @Test func noLiveUpstreamsInTheLogOnlyRecovered() throws {
        let app = AppServer(kind: "gunicorn", masterPID: 412, workerPIDs: [413],
                            binds: [s1, s2].map { AppServerBind(endpoint: $0, raw: $0.description, source: "command line") })
        var facts = groupFacts([S.ok, S.ok], apps: [app], viaProxy: S.ok)
        // The parser counts events without an address by `kind scheme://peer`.
        facts.errorLogs = [S.errorLog([S.event(.noLiveUpstreams, at: nil, clock: "14:09:10", upstream: "http://backend/health/")],
                                      counts: ["no-live-upstreams http://backend": 40, "no-live-upstreams http://backend2": 7])]
        let finding = try #require(S.run("upstream-group-down", facts).first)
        #expect(finding.severity == .warning)
        #expect(finding.summary.contains("40 times"), "\(finding.summary)")
        #expect(finding.summary.hasSuffix("recovered since 14:09"))
    }

    @Test func noLiveUpstreamsOfAnotherGroupDoesNotCount() {
        let app = AppServer(kind: "gunicorn", masterPID: 412, binds: [s1, s2].map { AppServerBind(endpoint: $0, raw: $0.description, source: "command line") })
        let facts = groupFacts([S.ok, S.ok], apps: [app], logs: [S.event(.noLiveUpstreams, at: nil, upstream: "http://backend2/")], viaProxy: S.ok)
        #expect(S.run("upstream-group-down", facts).isEmpty)
        #expect(S.findings(facts).isEmpty)
    }

    @Test func everyServerMarkedDown() throws {
        let facts = groupFacts([nil], servers: [S.server(s1, line: 3, parameters: ["down"])])
        let finding = try #require(S.run("upstream-group-down", facts).first)
        #expect(finding.summary.contains("is marked `down`"))
    }

    // MARK: backlog-full

    private func backlogFacts(probe: ProbeOutcome, viaProxy: ProbeOutcome = S.ok, logs: [ProxyLogEvent] = [],
                              target: Endpoint = S.unixTarget, queue: Int? = nil) -> Facts {
        let route = S.route(to: target)
        let app = S.gunicorn(binds: [target], workers: [413],
                             cmdline: ["gunicorn", "--workers", "1", "--backlog", "4", "--bind", "\(target)", "mysite.wsgi"])
        return Facts(gatheredAt: S.now, proxies: [S.proxy], routes: [route], processes: S.processes(for: app),
                     listeners: [S.listener(target, app: app, queue: queue)], appServers: [app],
                     routeProbes: [S.probes(route, direct: [(target, probe)], viaProxy: viaProxy)],
                     socketFiles: [S.socket: .socket], errorLogs: [S.errorLog(logs)])
    }

    @Test func backlogOverflowInTheLogThenRecovered() throws {
        let facts = backlogFacts(probe: S.ok, logs: [S.event(.backlogFull, at: S.unixTarget, clock: "14:12:03", line: 50),
                                                     S.event(.backlogFull, at: S.unixTarget, clock: "14:12:04", line: 51)])
        let finding = try #require(S.run("backlog-full", facts).first)
        #expect(finding.severity == .warning)
        #expect(finding.layer == .capacity)
        #expect(finding.summary.contains("2 connects failed with (11: Resource temporarily unavailable)"), "\(finding.summary)")
        #expect(finding.summary.hasSuffix("recovered since 14:12"))
        #expect(finding.sources.contains("\(S.errorLog):51"))
        #expect(finding.texts.contains("gunicorn pid 412 (app): 1 worker running, --workers 1, --backlog 4"))
        #expect(finding.fix.contains { $0.contains("(2 × cores) + 1") && $0.contains("a hint not a law") })
        #expect(finding.fix.contains { $0.contains("net.core.somaxconn") && $0.contains("2048") })
    }

    @Test func backlogFullNowIsCritical() throws {
        let facts = backlogFacts(probe: .failed(.backlogFull), viaProxy: S.badGateway)
        let finding = try #require(S.run("backlog-full", facts).first)
        #expect(finding.severity == .critical)
        #expect(VerdictRanker.diagnose(facts).verdict.check == "backlog-full")
        #expect(S.run("socket-stale", facts).isEmpty && S.run("socket-missing", facts).isEmpty)
    }

    @Test func tcpConnectTimeoutsOnLoopbackCountAsAFullAcceptQueue() throws {
        let facts = backlogFacts(probe: .failed(.timedOut(phase: "connecting")), viaProxy: .response(status: 504, server: "nginx"),
                                 logs: [S.event(.connectTimeout, at: S.tcp())], target: S.tcp())
        #expect(try #require(S.run("backlog-full", facts).first).severity == .critical)
        // To another host the same line is a firewall or a dead host, not a backlog.
        let remote = S.tcp("10.0.0.9", 8000)
        let far = backlogFacts(probe: .failed(.timedOut(phase: "connecting")), logs: [S.event(.connectTimeout, at: remote)], target: remote)
        var farFacts = far
        farFacts.listeners = []
        #expect(S.run("backlog-full", farFacts).isEmpty)
    }

    @Test func aDeepAcceptQueueWarnsBeforeAnythingFails() throws {
        let deep = backlogFacts(probe: S.ok, target: S.tcp(), queue: 40)
        let finding = try #require(S.run("backlog-full", deep).first)
        #expect(finding.severity == .warning)
        #expect(finding.summary.hasPrefix("40 connections wait in the accept queue of 127.0.0.1:8000"))
        #expect(S.run("backlog-full", backlogFacts(probe: S.ok, target: S.tcp(), queue: 3)).isEmpty)
    }

    // MARK: target-unresolvable

    @Test func unresolvableNameIsCriticalFromTheProbe() throws {
        let target = S.tcp("app.internal", 8000)
        let route = S.route(to: target)
        let facts = Facts(gatheredAt: S.now, proxies: [S.proxy], routes: [route],
                          routeProbes: [S.probes(route, direct: [(target, .failed(.unresolvable(host: "app.internal", message: "Name or service not known")))],
                                                 viaProxy: S.badGateway)])
        let finding = try #require(S.run("target-unresolvable", facts).first)
        #expect(finding.severity == .critical)
        #expect(finding.layer == .network)
        #expect(finding.sources.contains("getent hosts app.internal"))
        #expect(S.run("target-not-listening", facts).isEmpty)
    }

    @Test func unresolvableNameFromTheConfigTestWhileRunning() throws {
        let target = S.tcp("app.internal", 8000)
        var proxy = S.proxy
        proxy.configTest = ConfigTest(command: CommandResult(argv: ["nginx", "-t"], exitCode: 1), passed: false,
                                      messages: [ConfigTestMessage(level: "emerg", text: "host not found in upstream \"app.internal:8000\"",
                                                                   location: DoctorFacts.SourceLocation(file: S.site, line: 12))])
        let facts = Facts(gatheredAt: S.now, proxies: [proxy], routes: [S.route(to: target)])
        let finding = try #require(S.run("target-unresolvable", facts).first)
        #expect(finding.severity == .warning, "the running master keeps its address; the next reload fails")
        #expect(finding.sources.contains("\(S.site):12"))
        proxy.masterPID = nil
        let stopped = Facts(gatheredAt: S.now, proxies: [proxy], routes: [S.route(to: target)])
        #expect(S.run("target-unresolvable", stopped).first?.severity == .critical)
    }

    @Test func variableTargetWithoutResolver() throws {
        let route = S.route(.variable(raw: "http://app.internal$request_uri"))
        let event = S.event(.unresolvable, at: nil, clock: "14:19:01", line: 70, message: "no resolver defined to resolve app.internal")
        var facts = Facts(gatheredAt: S.now, proxies: [S.proxy], routes: [route], errorLogs: [S.errorLog([event])])
        let finding = try #require(S.run("target-unresolvable", facts).first)
        #expect(finding.severity == .warning)
        #expect(finding.summary.contains("has no `resolver` to look up app.internal"))
        #expect(finding.fix.first?.contains("resolver <DNS server IP> valid=30s;") == true)
        #expect(finding.sources.contains("\(S.errorLog):70"))
        facts.routeProbes = [S.probes(route, direct: [], viaProxy: S.badGateway)]
        #expect(S.run("target-unresolvable", facts).first?.severity == .critical)
    }

    @Test func ipAndLocalhostTargetsNeverNeedResolving() {
        let routes = [S.route(to: S.tcp("127.0.0.1", 8000)), S.route(to: S.tcp("localhost", 8001), location: "/b/"),
                      S.route(to: S.tcp("::1", 8002), location: "/c/")]
        let facts = Facts(gatheredAt: S.now, proxies: [S.proxy], routes: routes,
                          errorLogs: [S.errorLog([S.event(.unresolvable, at: nil, message: "other.example could not be resolved (3: Host not found)")])])
        #expect(S.run("target-unresolvable", facts).isEmpty)
    }

    @Test func hostNameMatchingIsWholeName() {
        #expect(TargetUnresolvableCheck.mentions("app.internal could not be resolved", "app.internal"))
        #expect(TargetUnresolvableCheck.mentions("host not found in upstream \"app.internal:8000\"", "app.internal"))
        #expect(!TargetUnresolvableCheck.mentions("myapp.internal could not be resolved", "app.internal"))
        #expect(!TargetUnresolvableCheck.mentions("app.internal.example could not be resolved", "app.internal"))
        #expect(TargetUnresolvableCheck.unresolvedName("no resolver defined to resolve app.internal") == "app.internal")
        #expect(TargetUnresolvableCheck.unresolvedName("app.internal could not be resolved (3: Host not found)") == "app.internal")
    }

    // MARK: lab snapshots

    static let snapshots = ["healthy-tcp", "healthy-unix", "nginx-stopped", "config-broken-running", "config-broken-stopped"]

    /// The lab snapshots captured so far are healthy stacks or proxy-level faults with a
    /// running app server: no connectivity check may fire on them.
    @Test(arguments: snapshots)
    func silentOnLabSnapshot(_ name: String) async throws {
        let directory = CheckFixtureTests.fixtures.appendingPathComponent("snapshots/\(name)").path
        try #require(FileManager.default.fileExists(atPath: directory), "snapshot \(name) is gone")
        let host = try SnapshotHost(directory: directory)
        let scope = SnapshotScope.read(from: directory)
        let facts = await FactGatherer(host: host, options: GatherOptions(nginxConfig: scope?.nginxConfig, nginxPrefix: scope?.nginxPrefix)).gather()
        #expect(!facts.routes.isEmpty, "\(name) has routes to judge")
        let findings = S.findings(facts).filter { $0.severity != .info }
        #expect(findings.isEmpty, "\(name): \(findings.map { "\($0.check): \($0.summary)" })")
    }
}
