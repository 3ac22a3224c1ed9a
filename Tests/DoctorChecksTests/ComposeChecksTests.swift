@testable import DoctorChecks
import DoctorFacts
import DoctorHost
import DoctorParsers
import Foundation
import Testing

/// The compose gatherer replayed on the compose fixture snapshots (hand-assembled projects
/// recorded with `gwdoctor snapshot`; see Fixtures/README.md), and the compose checks on built
/// facts for the cases the fixtures do not hold.
@Suite struct ComposeChecksTests {
    static func facts(_ snapshot: String) async throws -> Facts {
        let directory = CheckFixtureTests.fixtures.appendingPathComponent("snapshots/\(snapshot)").path
        let host = try SnapshotHost(directory: directory)
        let scope = SnapshotScope.read(from: directory)
        var options = GatherOptions(nginxConfig: scope?.nginxConfig, nginxPrefix: scope?.nginxPrefix, probe: true,
                                    sinceSeconds: scope?.sinceSeconds ?? 900)
        options.composeFiles = scope?.composeFiles ?? []
        return await FactGatherer(host: host, options: options).gather()
    }

    @Test func staticProjectWithoutAnEngine() async throws {
        let facts = try await Self.facts("compose-healthy")
        let project = try #require(facts.composeProjects.first)
        #expect(facts.composeProjects.count == 1)
        #expect(project.name == "shop")
        #expect(project.discoveredBy == "--compose-file")
        #expect(project.services.map(\.name) == ["db", "web", "nginx"])
        #expect(project.diagnostics.isEmpty)
        #expect(project.containers == nil)
        // The real answer of the docker client on the build machine, kept in the snapshot.
        let engine = try #require(facts.unavailable.first { $0.what == "docker engine" })
        #expect(engine.reason.contains("Cannot connect to the Docker daemon"))
        let proxy = try #require(project.proxyConfigs.first)
        #expect(proxy.service == "nginx")
        #expect(proxy.containerPath == "/etc/nginx/conf.d/default.conf")
        #expect(proxy.routes.flatMap(\.target.endpoints).contains(.tcp(host: "web", port: 8000)))
        #expect(CheckCatalog.runAll(facts).filter { $0.check.hasPrefix("compose-") }.isEmpty)
        // The only proxy runs in a container: a clean result is `ok`, saying what it could not see.
        let diagnosis = VerdictRanker.diagnose(facts)
        #expect(diagnosis.status == .ok, "\(diagnosis.verdict.summary)")
        #expect(diagnosis.verdict.summary.contains("shop") && diagnosis.verdict.summary.contains("no Docker engine answered"))
    }

    @Test func composeFileFoundNextToTheHostNginxConfig() async throws {
        let facts = try await Self.facts("compose-port-mismatch")
        let project = try #require(facts.composeProjects.first)
        #expect(project.discoveredBy.hasPrefix("next to the proxy config"))
        #expect(project.files == ["/tmp/gwdoctor-compose-port-mismatch/compose.yaml"])
        let finding = try #require(ComposePublishedPortMismatchCheck().run(facts).first)
        #expect(finding.summary.contains("127.0.0.1:8001") && finding.summary.contains("host port 8000"))
        #expect(finding.fix.first?.contains("http://127.0.0.1:8000") == true)
    }

    @Test func recordedEngineOutputsGiveContainerState() async throws {
        let facts = try await Self.facts("compose-container-down")
        let project = try #require(facts.composeProjects.first)
        let containers = try #require(project.containers)
        #expect(containers.map(\.service) == ["db", "web", "nginx"])
        #expect(!facts.unavailable.contains { $0.what == "docker engine" })
        let finding = try #require(ComposeContainerDownCheck().run(facts).first)
        #expect(finding.cause == "oom-killed")
        #expect(finding.layer == .capacity)
        #expect(finding.severity == .critical)
        #expect(finding.summary.contains("shop-web-1"))
        // Its recorded `docker logs`: boot lines, then nothing (the kernel killed the container).
        #expect(finding.evidence.contains { $0.kind == .log && $0.text.contains("Booting worker with pid: 9") })
        #expect(!facts.unavailable.contains { $0.what.hasPrefix("docker logs") })
        // The exited container's stale `unhealthy` is not a healthcheck problem: it is down.
        #expect(ComposeHealthcheckFailingCheck().run(facts).isEmpty)
    }

    @Test func renamedServiceNamesTheLikelyOne() async throws {
        let facts = try await Self.facts("compose-renamed-service")
        let finding = try #require(ComposeUpstreamUnknownCheck().run(facts).first)
        #expect(finding.cause == "unknown-service")
        #expect(finding.summary.contains("no service named web"))
        #expect(finding.summary.contains("did you mean app?"))
    }

    @Test func socketPathInTheProxyContainer() async throws {
        let facts = try await Self.facts("compose-socket-mount")
        let finding = try #require(ComposeSocketMountMismatchCheck().run(facts).first)
        #expect(finding.summary.contains("/var/run/app/gunicorn.sock"))
    }

    // MARK: Built facts

    static func project(_ services: [ComposeService], proxy: [Route] = [], containers: [ComposeContainer]? = nil) -> Facts {
        var facts = Facts()
        var project = ComposeProject(name: "p", files: ["/p/compose.yaml"], workingDirectory: "/p", discoveredBy: "test",
                                     services: services, containers: containers)
        if !proxy.isEmpty {
            project.proxyConfigs = [ComposeProxyConfig(service: "nginx", hostPath: "/p/nginx.conf",
                                                       containerPath: "/etc/nginx/conf.d/default.conf", routes: proxy)]
        }
        facts.composeProjects = [project]
        return facts
    }

    static func service(_ name: String, yaml: String) throws -> ComposeService {
        let file = ComposeFile.parse(Array("services:\n  \(name):\n\(yaml)".utf8), path: "/p/compose.yaml", projectDirectory: "/p")
        return try #require(file.services.first)
    }

    static func route(to endpoint: Endpoint) -> Route {
        Route(proxy: .nginx, listen: ["80"], serverNames: ["_"], location: "/", directive: "proxy_pass",
              target: .endpoint(scheme: "http", endpoint), source: SourceLocation(file: "/p/nginx.conf", line: 4))
    }

    @Test func defaultLoopbackBindIsAWarningAndHostNetworkIsSilent() throws {
        let uvicorn = try Self.service("api", yaml: "    image: python:3.12\n    command: uvicorn app.asgi:application\n    ports: [\"8000:8000\"]\n")
        let finding = try #require(ComposeAppLoopbackCheck().run(Self.project([uvicorn])).first)
        #expect(finding.severity == .warning)
        #expect(finding.fix.first?.contains("--host 0.0.0.0") == true)
        let host = try Self.service("api", yaml: "    image: python:3.12\n    network_mode: host\n    command: gunicorn app.wsgi -b 127.0.0.1:8000\n    ports: [\"8000:8000\"]\n")
        #expect(ComposeAppLoopbackCheck().run(Self.project([host])).isEmpty)
        // Not reached by anything: no port published, no proxy names it.
        let unreached = try Self.service("api", yaml: "    image: python:3.12\n    command: gunicorn app.wsgi -b 127.0.0.1:8000\n")
        #expect(ComposeAppLoopbackCheck().run(Self.project([unreached])).isEmpty)
    }

    @Test func wrongPortOfAnExistingService() throws {
        let web = try Self.service("web", yaml: "    image: python:3.12\n    command: gunicorn app.wsgi -b 0.0.0.0:8000\n")
        let wrong = ComposeUpstreamUnknownCheck().run(Self.project([web], proxy: [Self.route(to: .tcp(host: "web", port: 8080))]))
        #expect(wrong.first?.cause == "wrong-port")
        let right = ComposeUpstreamUnknownCheck().run(Self.project([web], proxy: [Self.route(to: .tcp(host: "web", port: 8000))]))
        #expect(right.isEmpty)
        // Outside hosts and aliases are not the compose file's business / are names it has.
        let outside = ComposeUpstreamUnknownCheck().run(Self.project([web], proxy: [Self.route(to: .tcp(host: "api.example.com", port: 443))]))
        #expect(outside.isEmpty)
        let aliased = try Self.service("web", yaml: "    image: python:3.12\n    networks:\n      default:\n        aliases: [legacy]\n")
        #expect(ComposeUpstreamUnknownCheck().run(Self.project([aliased], proxy: [Self.route(to: .tcp(host: "legacy", port: 8000))])).isEmpty)
    }

    @Test func healthcheckOnAWrongPortAndEngineUnhealthy() throws {
        let web = try Self.service("web", yaml: """
                image: python:3.12
                command: gunicorn app.wsgi -b 0.0.0.0:8000
                healthcheck:
                  test: ["CMD", "python", "-c", "import urllib.request; urllib.request.urlopen('http://localhost:8080/')"]
            """ + "\n")
        let finding = try #require(ComposeHealthcheckFailingCheck().run(Self.project([web])).first)
        #expect(finding.cause == "wrong-port" && finding.severity == .warning)
        let fine = try Self.service("web", yaml: "    image: python:3.12\n    command: gunicorn app.wsgi -b 0.0.0.0:8000\n    healthcheck:\n      test: curl -f http://localhost:8000/\n")
        #expect(ComposeHealthcheckFailingCheck().run(Self.project([fine])).isEmpty)
        let unhealthy = ComposeContainer(id: "abc", name: "p-web-1", service: "web", state: "running", exitCode: 0,
                                         health: "unhealthy", lastHealthOutput: "curl: (7) Failed to connect")
        let confirmed = try #require(ComposeHealthcheckFailingCheck().run(Self.project([fine], containers: [unhealthy])).first)
        #expect(confirmed.severity == .critical && confirmed.cause == "unhealthy")
        #expect(confirmed.evidence.contains { $0.text.contains("curl: (7)") })
        #expect(ComposeHealthcheckFailingCheck.imageLacks("curl", image: "python:3.12-alpine") != nil)
        #expect(ComposeHealthcheckFailingCheck.imageLacks("wget", image: "python:3.12-alpine") == nil)
        #expect(ComposeHealthcheckFailingCheck.imageLacks("curl", image: "python:3.12") == nil)
    }

    @Test func restartingAndCleanlyExitedContainers() throws {
        let web = try Self.service("web", yaml: "    image: python:3.12\n    command: gunicorn app.wsgi -b 0.0.0.0:8000\n")
        let migrate = try Self.service("migrate", yaml: "    image: python:3.12\n    command: python manage.py migrate\n")
        let containers = [
            ComposeContainer(id: "1", name: "p-web-1", service: "web", state: "restarting", exitCode: 3, restartCount: 17),
            ComposeContainer(id: "2", name: "p-migrate-1", service: "migrate", state: "exited", exitCode: 0),
        ]
        let findings = ComposeContainerDownCheck().run(Self.project([web, migrate], containers: containers))
        #expect(findings.count == 1)
        #expect(findings.first?.cause == "restarting")
        #expect(findings.first?.summary.contains("17 restarts") == true)
    }
}
