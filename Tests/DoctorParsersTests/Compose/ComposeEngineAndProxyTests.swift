import DoctorFacts
@testable import DoctorParsers
import Foundation
import Testing

/// `DockerInspect` on recorded engine outputs, and `ComposeNginxConfig` on the nginx configs
/// the fixture projects mount into their nginx containers.
///
/// No Docker engine runs on the build machine: the JSON under Fixtures/docker is recorded
/// output, not live. It follows real `docker inspect` output as Docker prints it (field names,
/// nesting, 4-space indentation, `/name`, nanosecond times, `Health.Log`), with the values of
/// the fixture project (see Fixtures/docker/README.md).
@Suite("Compose engine outputs and mounted nginx configs")
struct ComposeEngineAndProxyTests {
    @Test func inspectOfAnOOMKilledWebContainer() throws {
        let text = try Fixtures.text("docker/inspect-shop-web-oomkilled.json")
        let entries = try #require(DockerInspect.parse(text))
        #expect(entries.map(\.container.service) == ["db", "web", "nginx"])
        #expect(entries.allSatisfy { $0.project == "shop" })
        #expect(entries.first?.configFiles == ["/tmp/gwdoctor-compose-container-down/compose.yaml"])
        #expect(entries.first?.workingDirectory == "/tmp/gwdoctor-compose-container-down")
        let web = entries[1].container
        #expect(web.name == "shop-web-1")
        #expect(web.id == "a81c4e0f2d9b")
        #expect(web.state == "exited")
        #expect(web.exitCode == 137)
        #expect(web.oomKilled)
        #expect(web.restartCount == 4)
        #expect(web.health == "unhealthy")
        #expect(web.lastHealthOutput == "Health check exceeded timeout (3s)")
        #expect(web.finishedAt == "2026-11-21T07:44:37.018275463Z")
        let db = entries[0].container
        #expect(db.state == "running" && db.exitCode == 0 && !db.oomKilled && db.health == "healthy")
        #expect(entries[2].container.health == nil)
        // Config.Env holds values; nothing of it is kept.
        #expect(!"\(entries)".contains("GPG_KEY") && !"\(entries)".contains("PYTHON_VERSION"))
    }

    @Test func restartingAndUnhealthyContainers() throws {
        let restarting = try #require(DockerInspect.parse(try Fixtures.text("docker/inspect-shop-web-restarting.json")))
        #expect(restarting.first?.container.state == "restarting")
        #expect(restarting.first?.container.exitCode == 3)
        #expect(restarting.first?.container.restartCount == 17)
        #expect(restarting.first?.container.health == nil)
        let unhealthy = try #require(DockerInspect.parse(try Fixtures.text("docker/inspect-shop-web-unhealthy.json")))
        #expect(unhealthy.first?.container.state == "running")
        #expect(unhealthy.first?.container.health == "unhealthy")
        #expect(unhealthy.first?.container.lastHealthOutput == "/bin/sh: 1: curl: not found")
    }

    @Test func containerIDsAndNonJSON() throws {
        let ids = DockerInspect.containerIDs(try Fixtures.text("docker/ps-aq-compose.txt"))
        #expect(ids.count == 3 && ids.allSatisfy { $0.count == 64 })
        #expect(DockerInspect.containerIDs("Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n").isEmpty)
        #expect(DockerInspect.parse("Error: No such object: abc") == nil)
        #expect(DockerInspect.parse("[{\"Id\": \"1\", \"Config\": {\"Labels\": {}}}]") == [])
        #expect(DockerInspect.parse("[\n    {\n        \"Id\": \"ab") == nil)
    }

    @Test func mountedConfDFileIsReadAsInsideHTTP() throws {
        let path = try Fixtures.root("compose/renamed-service.nginx.conf")
        let loaded = ComposeNginxConfig.load(hostPath: path, reader: DirectoryConfigReader())
        #expect(loaded.routes.count == 1)
        let route = try #require(loaded.routes.first { $0.location == "/" })
        #expect(route.target.endpoints == [.tcp(host: "web", port: 8000)])
        #expect(route.serverNames == ["shop.example.com"])
        #expect(route.source.line == 15)
        let socket = ComposeNginxConfig.load(hostPath: try Fixtures.root("compose/socket-mount.nginx.conf"), reader: DirectoryConfigReader())
        #expect(socket.routes.first?.target.endpoints == [.unix(path: "/run/gunicorn/gunicorn.sock")])
        #expect(ComposeNginxConfig.isConfigPath("/etc/nginx/conf.d/default.conf"))
        #expect(!ComposeNginxConfig.isConfigPath("/srv/static"))
    }
}
