@testable import DoctorChecks
import DoctorFacts
import DoctorHost
import DoctorParsers
import Foundation
import Testing

/// The compose checks on ports and mounts written with variables: the `compose-port-env` and
/// `compose-port-default` snapshots (recorded with the real `gwdoctor snapshot` from projects
/// publishing `127.0.0.1:${APP_PORT:-8000}:8000`, with `APP_PORT=8001` in `.env` or not set;
/// see Fixtures/README.md), and the same facts with a field made unresolvable, where the checks
/// must conclude nothing.
@Suite struct ComposeInterpolationChecksTests {
    static func snapshotFile(_ snapshot: String, _ path: String) throws -> String {
        let url = CheckFixtureTests.fixtures.appendingPathComponent("snapshots/\(snapshot)/fs\(path)")
        return try String(contentsOf: url, encoding: .utf8)
    }

    @Test func portFromEnvFileMatchesTheProxy() async throws {
        let facts = try await ComposeChecksTests.facts("compose-port-env")
        let web = try #require(facts.composeProjects.first?.service("web"))
        let port = try #require(web.ports.first)
        #expect(port.publishedPort == 8001 && port.containerPort == 8000 && port.hostIP == "127.0.0.1")
        #expect(port.raw == "127.0.0.1:${APP_PORT:-8000}:8000")
        #expect(port.interpolation?.envFile == "/tmp/gwdoctor-compose-port-env/.env")
        #expect(port.evidenceText == "\"127.0.0.1:${APP_PORT:-8000}:8000\" = 127.0.0.1:8001:8000 (.env:4)")
        #expect(ComposePublishedPortMismatchCheck().run(facts).isEmpty)
        // The snapshot keeps the value the port used and masks the rest of .env; no fact holds a secret.
        let env = try Self.snapshotFile("compose-port-env", "/tmp/gwdoctor-compose-port-env/.env")
        #expect(env.contains("APP_PORT=8001"))
        #expect(env.contains("DJANGO_SECRET_KEY=[REDACTED]"))
        #expect(!env.contains("fixture-not-a-real-key") && !env.contains("fixture-password"))
        let encoded = String(decoding: try JSONEncoder().encode(facts), as: UTF8.self)
        #expect(!encoded.contains("fixture-not-a-real-key") && !encoded.contains("shop.settings.production"))
    }

    @Test func defaultPortIsNamedWithItsText() async throws {
        let facts = try await ComposeChecksTests.facts("compose-port-default")
        let finding = try #require(ComposePublishedPortMismatchCheck().run(facts).first)
        #expect(finding.summary.contains("127.0.0.1:8001") && finding.summary.contains("host port 8000"))
        #expect(finding.evidence.contains { $0.text.contains("\"127.0.0.1:${APP_PORT:-8000}:8000\" = 127.0.0.1:8000:8000 (default)") })
        #expect(finding.fix.last?.contains("set APP_PORT in /tmp/gwdoctor-compose-port-default/.env") == true)
        let diagnosis = VerdictRanker.diagnose(facts)
        #expect(diagnosis.status == .critical)
        #expect(diagnosis.verdict.check == "compose-published-port-mismatch")
    }

    @Test func socketDirectoryFromEnvFileGivesTheHostPath() async throws {
        let facts = try await ComposeChecksTests.facts("compose-socket-host-env")
        let finding = try #require(ComposeSocketMountMismatchCheck().run(facts).first)
        let root = "/tmp/gwdoctor-compose-socket-host-env"
        #expect(finding.summary.contains("on the host that socket is \(root)/sockets/gunicorn.sock"))
        #expect(finding.evidence.contains { $0.text.contains("(\"${RUN_DIR:-./run}:/run/gunicorn\" = \(root)/sockets:/run/gunicorn (.env:4))") })
        let env = try Self.snapshotFile("compose-socket-host-env", "\(root)/.env")
        #expect(env.contains("RUN_DIR=./sockets") && !env.contains("fixture-not-a-real-key"))
    }

    /// A `ports:` entry whose variable is not known may publish the proxy's port: no mismatch is claimed.
    @Test func unresolvedPortsClaimNoMismatch() async throws {
        var facts = try await ComposeChecksTests.facts("compose-port-default")
        #expect(!ComposePublishedPortMismatchCheck().run(facts).isEmpty)
        let index = try #require(facts.composeProjects[0].services.firstIndex { $0.name == "web" })
        facts.composeProjects[0].services[index].unresolved.insert("ports")
        #expect(ComposePublishedPortMismatchCheck().run(facts).isEmpty)
    }

    /// A `container_name` not known may be the name the proxy uses.
    @Test func unresolvedContainerNameClaimsNoUnknownUpstream() async throws {
        var facts = try await ComposeChecksTests.facts("compose-renamed-service")
        #expect(!ComposeUpstreamUnknownCheck().run(facts).isEmpty)
        let index = try #require(facts.composeProjects[0].services.firstIndex { $0.name == "app" })
        facts.composeProjects[0].services[index].unresolved.insert("container_name")
        #expect(ComposeUpstreamUnknownCheck().run(facts).isEmpty)
    }

    /// Mounts not known may be the shared socket volume.
    @Test func unresolvedVolumesClaimNoSocketMismatch() async throws {
        var facts = try await ComposeChecksTests.facts("compose-socket-mount")
        #expect(!ComposeSocketMountMismatchCheck().run(facts).isEmpty)
        let index = try #require(facts.composeProjects[0].services.firstIndex { $0.name == "nginx" })
        facts.composeProjects[0].services[index].unresolved.insert("volumes")
        #expect(ComposeSocketMountMismatchCheck().run(facts).isEmpty)
    }

    /// A test whose variables are not known is not read for problems.
    @Test func unresolvedHealthcheckIsNotJudged() async throws {
        var facts = try await ComposeChecksTests.facts("compose-healthcheck-failing")
        #expect(!ComposeHealthcheckFailingCheck().run(facts).isEmpty)
        let index = try #require(facts.composeProjects[0].services.firstIndex { $0.name == "web" })
        facts.composeProjects[0].services[index].unresolved.insert("healthcheck")
        #expect(ComposeHealthcheckFailingCheck().run(facts).isEmpty)
    }
}
