import DoctorChecks
import DoctorFacts
import DoctorHost
import Foundation
import Testing

/// `proxy-config-not-loaded` on built facts (its grading rules) and on the lab's snapshots
/// (the verdict it takes, and the one it leaves alone).
@Suite struct ProxyConfigNotLoadedTests {
    static let conf = "/etc/nginx/sites-enabled/app"
    static let newTarget = Endpoint.tcp(host: "127.0.0.1", port: 8001)

    func facts(changed: [String] = [conf], direct: ProbeOutcome = .response(status: 200, server: nil),
               viaProxy: ProbeOutcome = .response(status: 502, server: "nginx"), testPassed: Bool? = true) -> Facts {
        let route = Route(proxy: .nginx, listen: ["80"], serverNames: ["app.test"], location: "/", directive: "proxy_pass",
                          target: .endpoint(scheme: "http", Self.newTarget), source: SourceLocation(file: Self.conf, line: 12))
        var proxy = ProxyInstance(kind: .nginx, configPath: "/etc/nginx/nginx.conf", masterPID: 812, workerPIDs: [813])
        proxy.generation = ConfigGeneration(workersStarted: 1_000, oldestWorkerPID: 813, workerPIDs: [813], filesChecked: 2,
                                            changedFiles: changed.map { ChangedConfigFile(path: $0, modified: 1_600) },
                                            gatheredAt: 2_000)
        proxy.configTest = ConfigTest(command: CommandResult(argv: ["nginx", "-t"], exitCode: testPassed == false ? 1 : 0),
                                      passed: testPassed,
                                      messages: testPassed == false
                                          ? [ConfigTestMessage(level: "emerg", text: "unknown directive \"proxy_bogus\"",
                                                               location: SourceLocation(file: Self.conf, line: 14))] : [])
        var facts = Facts(gatheredAt: Date(timeIntervalSince1970: 2_000), proxies: [proxy], routes: [route])
        facts.routeProbes = [RouteProbe(route: "app.test /",
                                        direct: [ProbeResult(endpoint: Self.newTarget, path: "/", hostHeader: "app.test", outcome: direct, elapsedMilliseconds: 1)],
                                        viaProxy: ProbeResult(endpoint: .tcp(host: "127.0.0.1", port: 80), path: "/", hostHeader: "app.test",
                                                              outcome: viaProxy, elapsedMilliseconds: 1))]
        return facts
    }

    let check = ProxyConfigNotLoadedCheck()

    @Test func criticalWhenTheRoutesFileChangedAndOnlyTheProxyFails() throws {
        let finding = try #require(check.run(facts()).first)
        #expect(finding.severity == .critical)
        #expect(finding.layer == .proxy)
        #expect(finding.route == "app.test /")
        #expect(finding.summary.contains(Self.conf) && finding.summary.contains("passes now"))
        #expect(finding.evidence.contains { $0.kind == .file && $0.text.contains("10 min after the workers started") })
        #expect(finding.fix.first?.contains("kill -HUP 812") == true)
    }

    @Test func aFailingTestIsNamedAndNoReloadIsProposedBeforeTheFix() throws {
        let finding = try #require(check.run(facts(testPassed: false)).first)
        #expect(finding.severity == .critical)
        #expect(finding.summary.contains("fails now") && finding.summary.contains("\(Self.conf):14"))
        #expect(finding.fix.first == "Fix \(Self.conf):14 (unknown directive \"proxy_bogus\")")
    }

    @Test func onlyANoteWhenRoutesAnswerTheTargetIsDownOrTheChangeIsElsewhere() throws {
        for facts in [facts(viaProxy: .response(status: 200, server: "nginx")),
                      facts(direct: .failed(.refused)),
                      facts(changed: ["/etc/nginx/mime.types"])] {
            let finding = try #require(check.run(facts).first)
            #expect(finding.severity == .info, "\(finding.summary)")
            #expect(finding.summary.contains("changed on disk since"))
            // An info finding never becomes the verdict.
            #expect(VerdictRanker.rank([finding], facts: facts).verdict.check == nil)
        }
    }

    @Test func silentWithoutAChangeOrAGeneration() {
        #expect(check.run(facts(changed: [])).isEmpty)
        var unknown = facts()
        unknown.proxies[0].generation = nil
        #expect(check.run(unknown).isEmpty)
    }

    static func replay(_ name: String) async throws -> Diagnosis {
        let directory = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/snapshots/\(name)").path
        let scope = SnapshotScope.read(from: directory)
        let options = GatherOptions(nginxConfig: scope?.nginxConfig, nginxPrefix: scope?.nginxPrefix, probe: true,
                                    sinceSeconds: scope?.sinceSeconds ?? 900)
        let facts = await FactGatherer(host: try SnapshotHost(directory: directory), options: options).gather()
        return VerdictRanker.diagnose(facts)
    }

    /// Direct OK, 502 through nginx, config newer than the workers: this is the verdict, not
    /// the generic proxy-generated-502 nor proxy-config-invalid (which rides along as support).
    @Test func takesTheVerdictOnTheLabSnapshots() async throws {
        for name in ["config-not-loaded-port", "config-not-loaded-invalid"] {
            let diagnosis = try await Self.replay(name)
            #expect(diagnosis.status == .critical, "\(name)")
            #expect(diagnosis.verdict.check == "proxy-config-not-loaded", "\(name): \(diagnosis.verdict.summary)")
            #expect(diagnosis.verdict.layer == .proxy)
        }
        let invalid = try await Self.replay("config-not-loaded-invalid")
        #expect(invalid.verdict.evidence.contains { $0.text.hasPrefix("also:") && $0.text.contains("fails `nginx -t`") })
    }

    @Test func healthyAndTouchedSnapshotsStayOk() async throws {
        #expect(try await Self.replay("config-loaded-healthy").status == .ok)
        let touched = try await Self.replay("config-touched")
        #expect(touched.status == .ok)
        let note = try #require(touched.findings.first { $0.check == "proxy-config-not-loaded" })
        #expect(note.severity == .info && note.evidence.contains { $0.text.contains("in the future") })
    }
}
