import DoctorChecks
import DoctorFacts
import DoctorHost
import Foundation
import Testing

/// The `curl` a fix suggests sends the route's server name as Host, as gwdoctor's own probe
/// did (an app behind `ALLOWED_HOSTS` or a name-based vhost answers 400/404 to `localhost`).
@Suite struct ProbeCommandHostTests {
    typealias S = Site

    @Test(arguments: [
        (["example.com", "www.example.com"], "example.com"),
        (["_"], "localhost"),
        ([""], "localhost"),
        ([], "localhost"),
        (["*.example.com", "~^api\\.(?<sub>.+)$", ".example.org", "_", "shop.example.com"], "shop.example.com"),
        (["*.example.com"], "localhost"),
        (["lab.test"], "lab.test"),
    ] as [([String], String)])
    func firstConcreteServerName(names: [String], host: String) {
        #expect(Route.requestHostName(names) == host)
    }

    private func stoppedApp(_ route: Route) -> Facts {
        Facts(gatheredAt: S.now, proxies: [S.proxy], routes: [route],
              routeProbes: [S.probes(route, direct: [(S.tcp(), .failed(.refused))], viaProxy: S.badGateway)],
              errorLogs: [S.errorLog([S.event(.refused, at: S.tcp(), clock: "14:19:58", line: 41)])])
    }

    private func curl(_ finding: Finding) -> String? {
        finding.fix.first { $0.contains("curl ") }
    }

    @Test func targetNotListeningCurlsWithTheRoutesServerName() throws {
        let finding = try #require(S.run("target-not-listening", stoppedApp(S.route(to: S.tcp()))).first)
        let command = try #require(curl(finding), "\(finding.fix)")
        #expect(command.contains("-H 'Host: example.com' http://127.0.0.1:8000/"), "\(command)")
        #expect(!command.contains("Host: localhost"))
    }

    @Test func targetNotListeningFallsBackToLocalhostWithoutAConcreteName() throws {
        var route = S.route(to: S.tcp())
        route.serverNames = ["_", "*.example.com", "~^(?<app>.+)\\.example\\.com$"]
        let finding = try #require(S.run("target-not-listening", stoppedApp(route)).first)
        #expect(try #require(curl(finding)).contains("-H 'Host: localhost' http://127.0.0.1:8000/"))
    }

    @Test func targetNotListeningOnACaddyRouteUsesItsSiteHost() throws {
        var route = S.route(to: S.tcp())
        route.proxy = .caddy
        route.directive = "reverse_proxy"
        route.serverNames = ["shop.example.com"]
        let finding = try #require(S.run("target-not-listening", stoppedApp(route)).first)
        #expect(try #require(curl(finding)).contains("-H 'Host: shop.example.com' http://127.0.0.1:8000/"))
    }

    @Test func socketMissingFromLogLinesCurlsWithTheServerName() throws {
        let route = S.route(to: S.unixTarget)
        let facts = Facts(gatheredAt: S.now, proxies: [S.proxy], routes: [route],
                          errorLogs: [S.errorLog([S.event(.noSuchFile, at: S.unixTarget, clock: "14:08:12")])])
        let finding = try #require(S.run("socket-missing", facts).first)
        let command = try #require(curl(finding), "\(finding.fix)")
        #expect(command.contains("--unix-socket \(S.socket) -H 'Host: example.com' http://localhost/"), "\(command)")
    }

    /// The lab's recorded scenarios (nginx `server_name lab.test;`, Caddy `http://lab.test:…`):
    /// the fix's curl names the same Host the recorded probe sent.
    @Test(arguments: ["gunicorn-stopped-tcp", "caddy-upstream-stopped"])
    func recordedScenariosCurlWithTheProbesHost(snapshot: String) async throws {
        let directory = CheckFixtureTests.fixtures.appendingPathComponent("snapshots/\(snapshot)").path
        let scope = SnapshotScope.read(from: directory)
        var options = GatherOptions(nginxConfig: scope?.nginxConfig, nginxPrefix: scope?.nginxPrefix, probe: true,
                                    sinceSeconds: scope?.sinceSeconds ?? 900)
        options.caddyfile = scope?.caddyfile
        let facts = await FactGatherer(host: try SnapshotHost(directory: directory), options: options).gather()
        let finding = try #require(TargetNotListeningCheck().run(facts).first)
        let command = try #require(curl(finding), "\(finding.fix)")
        #expect(command.contains("-H 'Host: lab.test' "), "\(command)")
        let probed = facts.routeProbes.flatMap(\.direct).map(\.hostHeader)
        #expect(probed.contains("lab.test"), "the probe sent the same Host: \(probed)")
    }
}
