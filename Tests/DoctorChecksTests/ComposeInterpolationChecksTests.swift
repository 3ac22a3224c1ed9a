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

    /// A command or healthcheck written with variables is shown as written: a `.env` value under a
    /// name no redactor recognises (`API`) must not reach the evidence, while the bind it sets is used.
    @Test func commandValuesFromEnvAreUsedNotShown() throws {
        let env = ComposeEnvFile.parse(Array("API=sk_live_fixture0000\nPORT=8000\n".utf8), path: "/p/.env")
        let yaml = """
            services:
              web:
                image: python:3.12
                command: gunicorn app.wsgi -b 127.0.0.1:${PORT} --paste-arg ${API}
                healthcheck:
                  test: ["CMD", "curl", "-f", "-H", "X-Client=${API}", "http://localhost:8080/"]
            """ + "\n"
        let file = ComposeFile.parse(Array(yaml.utf8), path: "/p/compose.yaml", projectDirectory: "/p", variables: .file(env))
        let web = try #require(file.services.first, "\(file.diagnostics)")
        #expect(web.binds.contains { $0.endpoint == .tcp(host: "127.0.0.1", port: 8000) }, "the interpolated bind is read: \(web.binds)")
        let facts = ComposeChecksTests.project([web])
        let findings = ComposeAppLoopbackCheck().run(facts) + ComposeHealthcheckFailingCheck().run(facts)
        #expect(!findings.isEmpty, "loopback bind and wrong healthcheck port both fire")
        let shown = findings.flatMap { [$0.summary] + $0.evidence.map(\.text) + $0.fix }.joined(separator: "\n")
        #expect(!shown.contains("sk_live_fixture0000"), "\(shown)")
        #expect(shown.contains("--paste-arg ${API} (variables: PORT .env:2, API .env:1)"), "\(shown)")

        // Unhealthy with a test that probes the right port: the fix is to run the test by hand, as written.
        let fine = ComposeFile.parse(Array(yaml.replacingOccurrences(of: "8080", with: "8000").utf8), path: "/p/compose.yaml",
                                     projectDirectory: "/p", variables: .file(env))
        let unhealthy = ComposeContainer(id: "abc", name: "p-web-1", service: "web", state: "running", exitCode: 0,
                                         health: "unhealthy", lastHealthOutput: "curl: (22) 403")
        let finding = try #require(ComposeHealthcheckFailingCheck().run(ComposeChecksTests.project(fine.services, containers: [unhealthy])).first)
        let fix = finding.fix.joined(separator: "\n")
        #expect(fix.contains("X-Client=${API}") && fix.contains("with the values /p/.env gives API"), "\(fix)")
        #expect(!(finding.evidence.map(\.text) + finding.fix + [finding.summary]).joined().contains("sk_live_fixture0000"))
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
