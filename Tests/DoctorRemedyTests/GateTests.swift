import DoctorFacts
import DoctorHost
import DoctorParsers
@testable import DoctorRemedy
import Foundation
import Testing

/// The gate's decisions on built values: when the wait for a new release ends (N consecutive
/// 2xx rounds, or the timeout), what counts as a healthy round, whether a failed release may
/// be switched back (the schema guard), which deploy root `--release DIR` belongs to, and the
/// exit codes. The switching, restarting and probing run for real in
/// Tests/LabTests/GateScenarioTests.swift.
@Suite("Gate decisions")
struct GateTests {
    // MARK: Consecutive successes

    @Test("N consecutive healthy rounds pass; a failing round resets the count")
    func consecutiveCounting() {
        var counter = GateHealthCounter(required: 3)
        let timeout = Duration.seconds(60)
        for healthy in [true, true, false, true, true] {
            counter.record(healthy: healthy)
            #expect(counter.decision(elapsed: .seconds(1), timeout: timeout) == .keepWaiting, "\(counter.summary)")
        }
        #expect(counter.consecutive == 2 && counter.longestRun == 2 && counter.healthyRounds == 4 && counter.rounds == 5)
        counter.record(healthy: true)
        #expect(counter.satisfied)
        #expect(counter.decision(elapsed: .seconds(2), timeout: timeout) == .passed)
        #expect(counter.summary.hasPrefix("3 of 3 consecutive 2xx rounds (6 rounds, 5 healthy, longest run 3)"), "\(counter.summary)")
    }

    @Test("answering once and then failing never adds up to a pass: the timeout ends the wait")
    func flappingTimesOut() {
        var counter = GateHealthCounter(required: 2)
        for _ in 0..<10 {
            counter.record(healthy: true)
            counter.record(healthy: false)
        }
        #expect(!counter.satisfied)
        #expect(counter.decision(elapsed: .seconds(9), timeout: .seconds(10)) == .keepWaiting)
        #expect(counter.decision(elapsed: .seconds(10), timeout: .seconds(10)) == .timedOut)
        #expect(counter.longestRun == 1 && counter.healthyRounds == 10)
    }

    @Test("a pass on the deadline's edge still passes; --successes below 1 is taken as 1")
    func edges() {
        var counter = GateHealthCounter(required: 1)
        counter.record(healthy: true)
        #expect(counter.decision(elapsed: .seconds(61), timeout: .seconds(60)) == .passed)
        var zero = GateHealthCounter(required: 0)
        #expect(zero.required == 1)
        #expect(zero.decision(elapsed: .zero, timeout: .seconds(1)) == .keepWaiting, "no round yet is not a pass")
        zero.record(healthy: false)
        #expect(zero.decision(elapsed: .seconds(1), timeout: .seconds(1)) == .timedOut)
    }

    // MARK: A round

    private static let upstream = Endpoint.tcp(host: "127.0.0.1", port: 8000)
    private static let listener = Endpoint.tcp(host: "127.0.0.1", port: 80)

    private static func result(_ endpoint: Endpoint, _ status: Int?, path: String = "/health/") -> ProbeResult {
        ProbeResult(endpoint: endpoint, path: path, hostHeader: "app.test",
                    outcome: status.map { .response(status: $0, server: nil) } ?? .failed(.refused), elapsedMilliseconds: 3)
    }

    private static func probe(viaProxy: Bool = true) -> GateRouteProbe {
        GateRouteProbe(route: "app.test /", direct: [ProbeRequest(endpoint: upstream, path: "/health/")],
                       viaProxy: viaProxy ? ProbeRequest(endpoint: listener, path: "/health/") : nil)
    }

    @Test("healthy = every direct probe 2xx and the proxy 2xx; 404, a redirect, 502 or a refused connect are not")
    func judgeRound() {
        let ok = GateProbePlanner.judge(Self.probe(), direct: [Self.result(Self.upstream, 200)], viaProxy: Self.result(Self.listener, 204))
        #expect(ok.healthy && ok.directHealthy)
        #expect(ok.evidence == "app.test /: direct 127.0.0.1:8000 /health/ → 200; via proxy 127.0.0.1:80 /health/ → 204", "\(ok.evidence)")
        for status in [404, 302, 502] {
            let proxyFails = GateProbePlanner.judge(Self.probe(), direct: [Self.result(Self.upstream, 200)], viaProxy: Self.result(Self.listener, status))
            #expect(!proxyFails.healthy && proxyFails.directHealthy, "proxy \(status)")
            let directFails = GateProbePlanner.judge(Self.probe(), direct: [Self.result(Self.upstream, status)], viaProxy: nil)
            #expect(!directFails.healthy && !directFails.directHealthy, "direct \(status)")
        }
        let refused = GateProbePlanner.judge(Self.probe(), direct: [Self.result(Self.upstream, nil)], viaProxy: nil)
        #expect(!refused.healthy)
        #expect(refused.evidence.hasSuffix("via proxy not probed (the upstream failed first)"), "\(refused.evidence)")
        // The proxy was to be probed but was not (the round skipped it): not healthy.
        #expect(!GateProbePlanner.judge(Self.probe(), direct: [Self.result(Self.upstream, 200)], viaProxy: nil).healthy)
        // No plain path through the proxy: judged on the direct probe.
        #expect(GateProbePlanner.judge(Self.probe(viaProxy: false), direct: [Self.result(Self.upstream, 200)], viaProxy: nil).healthy)
    }

    @Test("probes: --path to the root's own binds, the proxy's listener and Host header from the diagnosis's probes")
    func probePlan() {
        var route = Build.route(Self.upstream)
        let source = DoctorFacts.SourceLocation(file: "/etc/nginx/sites-enabled/app", line: 2)
        route.target = .upstream(scheme: "http", name: "app", servers: [UpstreamServer(endpoint: Self.upstream, source: source),
                                                                        UpstreamServer(endpoint: .tcp(host: "10.0.0.9", port: 8000), source: source)])
        var facts = Facts(routes: [route, Build.route(.tcp(host: "127.0.0.1", port: 9000), server: "other.test")])
        facts.routeProbes = [RouteProbe(route: route.label, direct: [], viaProxy: Self.result(Self.listener, 502))]
        let probes = GateProbePlanner.plan(facts: facts, routes: [route.label], binds: [.tcp(host: "127.0.0.1", port: 8000)], path: "/healthz")
        #expect(probes.count == 1, "only the routes served from the root")
        let probe = probes.first
        #expect(probe?.direct.map(\.endpoint) == [Self.upstream], "the group's other member is not the release's: \(String(describing: probe))")
        #expect(probe?.direct.first?.path == "/healthz")
        #expect(probe?.viaProxy?.endpoint == Self.listener && probe?.viaProxy?.path == "/healthz" && probe?.viaProxy?.hostHeader == "app.test")

        var api = Build.route(Self.upstream, location: "/api/")
        api.directive = "proxy_pass"
        var apiFacts = Facts(routes: [api])
        apiFacts.routeProbes = [RouteProbe(route: api.label, direct: [], viaProxy: Self.result(Self.listener, 200, path: "/api/"))]
        let apiProbe = GateProbePlanner.plan(facts: apiFacts, routes: [api.label], binds: [], path: "/health/").first
        #expect(apiProbe?.viaProxy?.path == "/api/", "a path outside the location is not sent through the proxy")
        #expect(apiProbe?.notes.contains { $0.contains("not in location /api/") } == true, "\(String(describing: apiProbe?.notes))")
    }

    @Test("lands: prefix, exact and ^~ locations; never a regex or named location")
    func lands() {
        #expect(GateProbePlanner.lands("/health/", in: "/"))
        #expect(GateProbePlanner.lands("/app/health/", in: "^~ /app/"))
        #expect(GateProbePlanner.lands("/health/", in: "= /health/"))
        #expect(!GateProbePlanner.lands("/health/x", in: "= /health/"))
        #expect(!GateProbePlanner.lands("/health/", in: "/api/"))
        #expect(!GateProbePlanner.lands("/health/", in: "~ ^/health"))
        #expect(!GateProbePlanner.lands("/health/", in: "@backend"))
    }

    // MARK: Switching back

    private static func unknown(_ name: String, reversible: Bool?) -> UnknownMigration {
        UnknownMigration(migration: AppliedMigration(app: "probe", name: name), file: "/srv/app/releases/2/probe/migrations/\(name).py",
                         reversible: reversible, how: reversible == false ? "RunPython without reverse_code at line 18" : "AddField")
    }

    @Test("the schema guard blocks the switch back when the old release does not know applied migrations, or cannot tell")
    func schemaBlocksSwitchBack() {
        let incompatible = SchemaVerdict(decision: .incompatible,
                                         unknownToTarget: [Self.unknown("0002_visit_status", reversible: true), Self.unknown("0003_backfill_status", reversible: false)],
                                         reason: "the database has 2 migrations applied that the target release does not have (1 irreversible)",
                                         undo: ["manage.py migrate probe 0001_initial"])
        guard case let .blocked(reason) = GateFallback.decide(schema: incompatible, planRefusal: nil) else {
            Issue.record("an incompatible schema must block the switch back")
            return
        }
        #expect(reason.contains("schema guard forbids switching back"), "\(reason)")
        #expect(reason.contains("probe.0003_backfill_status (irreversible: RunPython without reverse_code at line 18)"), "\(reason)")

        let unreadable = SchemaVerdict(decision: .unknown, reason: "the applied migrations could not be read (database down)")
        guard case let .blocked(why) = GateFallback.decide(schema: unreadable, planRefusal: nil) else {
            Issue.record("an unknown schema is not a compatible one")
            return
        }
        #expect(why.contains("database down"))

        #expect(GateFallback.decide(schema: SchemaVerdict(decision: .compatible, reason: "all known"), planRefusal: nil) == .switchBack)
        #expect(GateFallback.decide(schema: SchemaVerdict(decision: .notApplicable, reason: "not Django"), planRefusal: nil) == .switchBack)
        #expect(GateFallback.decide(schema: SchemaVerdict(decision: .compatible, reason: "all known"),
                                    planRefusal: "release 1 cannot be the target: marked bad") ==
                .blocked("switching back is not possible: release 1 cannot be the target: marked bad"))
    }

    // MARK: Which root

    @Test("--release DIR must be ROOT/releases/ID of a known root: trailing slash, a symlinked root, --root-dir; nothing else")
    func locate() throws {
        let base = try Build.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: base) }
        let real = base + "/data/app"
        try FileManager.default.createDirectory(atPath: real + "/releases/2", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: base + "/srv", withDestinationPath: base + "/data")
        let layout = ReleaseLayout(root: base + "/srv/app", current: ReleaseLink(path: base + "/srv/app/current", state: .release,
                                                                                 target: "releases/1", release: "1"))
        let other = ReleaseLayout(root: base + "/other", current: ReleaseLink(path: base + "/other/current", state: .release))

        #expect(GatePlanner.locate(base + "/srv/app/releases/2", in: [other, layout], rootDirectory: nil).map { $0.1 } == "2")
        #expect(GatePlanner.locate(GatePlanner.normalise(base + "/srv/app/releases/2//"), in: [layout], rootDirectory: nil)?.1 == "2")
        // The same release through the link's target.
        #expect(GatePlanner.locate(real + "/releases/2", in: [layout], rootDirectory: nil)?.0.root == layout.root)
        #expect(GatePlanner.locate(base + "/srv/app/releases/2", in: [layout, other], rootDirectory: base + "/other") == nil,
                "--root-dir names another root")
        for stray in [base + "/srv/app", base + "/srv/app/releases", base + "/srv/app/releases/2/sub", base + "/elsewhere/releases/2",
                      base + "/srv/app/releases/.."] {
            #expect(GatePlanner.locate(stray, in: [layout, other], rootDirectory: nil) == nil, "\(stray)")
        }
    }

    // MARK: Exit codes

    @Test("exit codes: 0 deployed, 1 refused, 2 rolled back, 4 schema-blocked, 5 failed; JSON names result and diagnosis")
    func exitCodes() throws {
        let codes = [GateOutcome.Result.deployed, .dryRun, .refused, .rolledBack, .schemaBlocked, .failed].map {
            GateOutcome(result: $0, entries: [], message: "").exitCode
        }
        #expect(codes == [0, 0, 1, 2, 4, 5])
        let diagnosis = GateDiagnosis(status: "critical", layer: "startup", check: "app-startup-crash", cause: "missing-env-var",
                                      summary: "supervisor program app exits on boot: KeyError 'API_TOKEN'", others: ["crash-loop (missing-env-var)"])
        #expect(diagnosis.line == "critical: app-startup-crash (missing-env-var) — supervisor program app exits on boot: KeyError 'API_TOKEN'")
        let outcome = GateOutcome(result: .rolledBack, release: "2", previous: "1", diagnosis: diagnosis, entries: [], message: "m")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(outcome.json(auditLog: "/x/audit.jsonl").utf8)) as? [String: Any])
        #expect(object["result"] as? String == "rolled-back" && object["exit_code"] as? Int == 2 && object["command"] as? String == "gate")
        let item = object["diagnosis"] as? [String: Any]
        #expect(item?["check"] as? String == "app-startup-crash" && item?["cause"] as? String == "missing-env-var", "\(object)")
    }
}
