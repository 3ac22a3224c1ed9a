import DoctorFacts
@testable import DoctorParsers
import Foundation
import Testing

/// `ComposeFile.parse` on the real-looking projects of the check fixtures (written by
/// Lab/compose/make_fixtures.py and checked there with PyYAML; no compose plugin or engine
/// runs on the build machine), on the long syntax, and on hostile input.
@Suite("ComposeFile")
struct ComposeFileTests {
    static func parse(_ name: String, directory: String = "/srv/shop") throws -> ComposeFile {
        let text = try Fixtures.text("compose/\(name)")
        return ComposeFile.parse(Array(text.utf8), path: "\(directory)/compose.yaml", projectDirectory: directory)
    }

    @Test func djangoPostgresNginxProject() throws {
        let file = try Self.parse("healthy.yaml")
        #expect(file.diagnostics.isEmpty)
        #expect(file.name == "shop")
        #expect(file.services.map(\.name) == ["db", "web", "nginx"])
        #expect(file.volumes == ["pgdata", "static"])
        let web = try #require(file.services.first { $0.name == "web" })
        #expect(web.source == SourceLocation(file: "/srv/shop/compose.yaml", line: 26))
        #expect(web.appServer == "gunicorn")
        #expect(web.binds.compactMap(\.endpoint) == [.tcp(host: "0.0.0.0", port: 8000)])
        #expect(web.command?.first == "gunicorn")
        #expect(web.commandSource?.line == 30)
        // From the `<<: *django` merge key: restart, env_file, environment keys.
        #expect(web.restart == "unless-stopped")
        #expect(web.envFiles == ["/srv/shop/.env"])
        #expect(web.environmentKeys == ["DJANGO_SETTINGS_MODULE", "POSTGRES_HOST"])
        #expect(web.expose == ["8000"])
        #expect(web.dependsOn == ["db"])
        #expect(web.build == ".")
        let health = try #require(web.healthcheck)
        #expect(health.test.first == "CMD")
        #expect(health.intervalSeconds == 10)
        #expect(health.retries == 3)
        #expect(health.startPeriodSeconds == 20)
        #expect(!health.disabled)
        let nginx = try #require(file.services.first { $0.name == "nginx" })
        #expect(nginx.imageName == "nginx")
        #expect(nginx.ports.map(\.publishedPort) == [80])
        #expect(nginx.volumes.map(\.type) == ["bind", "volume"])
        #expect(nginx.volumes.first?.source == "/srv/shop/nginx/default.conf")
        #expect(nginx.volumes.first?.target == "/etc/nginx/conf.d/default.conf")
        #expect(nginx.volumes.allSatisfy { $0.readOnly })
        #expect(nginx.appServer == nil)
    }

    @Test func environmentValuesAreNeverKept() throws {
        let text = try Fixtures.text("compose/healthy.yaml")
        let file = try Self.parse("healthy.yaml")
        let db = try #require(file.services.first { $0.name == "db" })
        #expect(db.environmentKeys == ["POSTGRES_DB", "POSTGRES_USER", "POSTGRES_PASSWORD"])
        #expect(!"\(file)".contains("fixture-password"))
        #expect(text.contains("fixture-password"))
        // The list entries with values are offered for masking in a snapshot.
        #expect(file.environmentValueLines == [7, 8, 15, 16, 17])
    }

    @Test func loopbackBindAndRenamedService() throws {
        let loopback = try Self.parse("app-loopback.yaml")
        #expect(loopback.services.first { $0.name == "web" }?.binds.compactMap(\.endpoint) == [.tcp(host: "127.0.0.1", port: 8000)])
        let renamed = try Self.parse("renamed-service.yaml")
        #expect(renamed.services.map(\.name) == ["db", "app", "nginx"])
        #expect(renamed.services[2].dependsOn == ["app"])
    }

    @Test func socketInASharedVolumeAndAShellWrappedCommand() throws {
        let socket = try Self.parse("socket-mount.yaml")
        let web = try #require(socket.services.first { $0.name == "web" })
        #expect(web.binds.compactMap(\.endpoint) == [.unix(path: "/run/gunicorn/gunicorn.sock")])
        #expect(web.volumes.map(\.target) == ["/app/staticfiles", "/run/gunicorn"])
        #expect(web.healthcheck?.disabled == true)
        #expect(socket.services.first { $0.name == "nginx" }?.volumes.last?.target == "/var/run/app")

        let wrapped = try Self.parse("healthcheck-failing.yaml")
        let app = try #require(wrapped.services.first { $0.name == "web" })
        #expect(app.command == ["sh", "-c", "python manage.py migrate --noinput && gunicorn shop.wsgi:application --bind 0.0.0.0:8000"])
        #expect(app.appServer == "gunicorn")
        #expect(app.binds.compactMap(\.endpoint) == [.tcp(host: "0.0.0.0", port: 8000)])
        #expect(app.healthcheck?.test == ["CMD-SHELL", "curl -fsS http://localhost:8000/health/ || exit 1"])
        #expect(app.image == "python:3.12-slim")
    }

    @Test func longSyntaxAndRareForms() throws {
        let file = try Self.parse("long-syntax.yaml", directory: "/opt/api")
        #expect(file.includes == ["../shared/observability.yaml", "../shared/redis.yaml"])
        #expect(file.networks == ["backend", "frontend"])
        #expect(file.volumes == ["sockets"])
        let api = try #require(file.services.first { $0.name == "api" })
        #expect(api.build == "./api")
        #expect(api.entrypoint == ["/usr/local/bin/docker-entrypoint.sh"])
        #expect(api.appServer == "uvicorn")
        #expect(api.binds.compactMap(\.endpoint) == [.tcp(host: "0.0.0.0", port: 9000)])
        #expect(api.ports.count == 6)
        let long = api.ports[0]
        #expect(long.containerPort == 9000 && long.publishedPort == 9000 && long.hostIP == "127.0.0.1")
        #expect(api.ports[1].containerPort == 8080 && api.ports[1].containerPortEnd == 8081)
        #expect(api.ports[1].containerPort(forPublished: 9091) == 8081)
        #expect(api.ports[2].hostIP == "::1" && api.ports[2].protocolName == "udp" && api.ports[2].publishedPort == 6060)
        #expect(api.ports[3].hostIP == "127.0.0.1" && api.ports[3].publishedPort == nil && api.ports[3].containerPort == 5000)
        #expect(api.ports[4].publishedPort == nil && api.ports[4].containerPort == 3000)
        #expect(api.containerTCPPorts.isSuperset(of: [9000, 9100, 9101, 9102, 8080, 8081, 5000, 3000]))
        #expect(api.networks == [ComposeServiceNetwork(name: "backend", aliases: ["api-internal", "legacy-web"]),
                                 ComposeServiceNetwork(name: "frontend")])
        #expect(api.volumes.map(\.type) == ["volume", "bind", "volume", "bind"])
        #expect(api.volumes[0].source == "sockets" && api.volumes[0].target == "/run/api")
        #expect(api.volumes[1].source == "/opt/api/config" && api.volumes[1].readOnly)
        #expect(api.volumes[2].source == nil && api.volumes[2].target == "/var/cache/api")
        #expect(api.volumes[3].source == "~/secrets")
        #expect(api.environmentKeys == ["API_TOKEN", "LOG_LEVEL", "EMPTY"])
        #expect(!"\(file)".contains("s3cr3t"))
        #expect(api.envFiles == ["/opt/api/.env", "/opt/api/api.env"])
        #expect(api.profiles == ["web", "debug"])
        #expect(api.restart == "on-failure")
        #expect(api.dependsOn == ["cache"])
        let worker = try #require(file.services.first { $0.name == "worker" })
        #expect(worker.networkMode == "service:api")
        #expect(worker.command == ["celery", "-A", "api", "worker", "--loglevel=info"])
        #expect(worker.appServer == nil)
        let cache = try #require(file.services.first { $0.name == "cache" })
        #expect(cache.containerName == "shop-cache")
        #expect(cache.healthcheck?.disabled == true)
        #expect(cache.networks.map(\.name) == ["backend"])
        // `${API_PORT:-8000}:8000` with no .env: Compose's default applies, and the text stays for evidence.
        #expect(api.ports[5].publishedPort == 8000 && api.ports[5].containerPort == 8000)
        #expect(api.ports[5].raw == "${API_PORT:-8000}:8000")
        #expect(api.ports[5].evidenceText == "\"${API_PORT:-8000}:8000\" = 8000:8000 (default)")
        #expect(api.unresolved.isEmpty)
        // include and extends are reported with their lines.
        let messages = file.diagnostics.map(\.description)
        #expect(file.diagnostics.contains { $0.kind == .missingInclude && $0.location?.line == 2 })
        #expect(file.diagnostics.contains { $0.kind == .missingInclude && $0.message.contains("extends: api") && $0.message.contains("common.yaml") })
        #expect(!messages.contains { $0.contains("API_PORT") })
    }

    @Test func portSyntax() {
        let at = SourceLocation(file: "c", line: 1)
        #expect(ComposePortSyntax.parse("8000:8000", source: at)?.publishedPort == 8000)
        #expect(ComposePortSyntax.parse("127.0.0.1:8080:80", source: at)?.hostIP == "127.0.0.1")
        #expect(ComposePortSyntax.parse("127.0.0.1:8080:80", source: at)?.containerPort == 80)
        #expect(ComposePortSyntax.parse("::1:8080:80", source: at)?.hostIP == "::1")
        #expect(ComposePortSyntax.parse("6060:6060/udp", source: at)?.protocolName == "udp")
        #expect(ComposePortSyntax.parse("8000-8001:9000", source: at)?.publishedPortEnd == 8001)
        #expect(ComposePortSyntax.parse("80:http", source: at) == nil)
        #expect(ComposePortSyntax.parse("70000:80", source: at) == nil)
        #expect(ComposePortSyntax.parse("9000-8000:80", source: at) == nil)
        #expect(ComposePortSyntax.parse("80/sctpx", source: at) == nil)
    }

    @Test func durations() {
        #expect(ComposeDuration.seconds("30s") == 30)
        #expect(ComposeDuration.seconds("1m30s") == 90)
        #expect(ComposeDuration.seconds("1h") == 3600)
        #expect(ComposeDuration.seconds("500ms") == 0.5)
        #expect(ComposeDuration.seconds("2.5s") == 2.5)
        #expect(ComposeDuration.seconds("15") == 15)
        #expect(ComposeDuration.seconds("soon") == nil)
        #expect(ComposeDuration.seconds("10x") == nil)
    }

    @Test func badYAMLIsADiagnosticWithItsLine() {
        let text = "services:\n  web:\n    image: python\n   ports: [\"8000:8000\"\n"
        let file = ComposeFile.parse(Array(text.utf8), path: "/p/compose.yaml", projectDirectory: "/p")
        #expect(file.services.isEmpty)
        #expect(file.diagnostics.count == 1)
        #expect(file.diagnostics.first?.kind == .syntax)
        #expect((file.diagnostics.first?.location?.line ?? 0) >= 3)
        #expect(file.diagnostics.first?.message.hasPrefix("YAML error") == true)
    }

    @Test func secretsInBadYAMLAreNotQuoted() {
        let text = "services:\n  web:\n    environment:\n      SECRET: hunter2-value\n    ports: [\n"
        let file = ComposeFile.parse(Array(text.utf8), path: "/p/compose.yaml", projectDirectory: "/p")
        #expect(!file.diagnostics.isEmpty)
        #expect(!file.diagnostics.map(\.description).joined().contains("hunter2"))
    }

    @Test func binaryGarbageAndHugeFilesAndNonMappings() {
        var garbage: [UInt8] = Array("services:\n".utf8)
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<4096 { garbage.append(UInt8.random(in: 0...255, using: &generator)) }
        garbage.append(0)
        let binary = ComposeFile.parse(garbage, path: "/p/compose.yaml", projectDirectory: "/p")
        #expect(binary.services.isEmpty && binary.diagnostics.first?.kind == .binary)

        let huge = [UInt8](repeating: UInt8(ascii: "#"), count: ComposeFile.maxBytes + 1)
        let large = ComposeFile.parse(huge, path: "/p/compose.yaml", projectDirectory: "/p")
        #expect(large.services.isEmpty && large.diagnostics.first?.kind == .tooLarge)

        for text in ["- just\n- a list\n", "plain scalar", "", "services: 12\n", "services:\n  web: [1, 2]\n  db:\n"] {
            let file = ComposeFile.parse(Array(text.utf8), path: "/p/compose.yaml", projectDirectory: "/p")
            #expect(file.services.allSatisfy { $0.command == nil && $0.ports.isEmpty }, "\(text)")
        }
    }

    @Test func deepNestingIsRefusedByTheYAMLReaderNotTheStack() async {
        // libyaml stops at 1000 levels; just under and far over it, in a task (a smaller stack than main's).
        for depth in [990, 200_000] {
            let text = "services:\n  web:\n    command: " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "\n"
            let file = await Task.detached { ComposeFile.parse(Array(text.utf8), path: "/p/compose.yaml", projectDirectory: "/p") }.value
            #expect(file.services.count <= 1, "depth \(depth)")
            if depth > 1000 { #expect(file.diagnostics.first?.kind == .syntax) }
        }
        let dashes = "services:\n  web:\n    command:\n      " + String(repeating: "- ", count: 100_000) + "x\n"
        let file = await Task.detached { ComposeFile.parse(Array(dashes.utf8), path: "/p/compose.yaml", projectDirectory: "/p") }.value
        #expect(file.diagnostics.first?.kind == .syntax)
    }

    @Test func aliasBombDoesNotExplode() {
        // Billion laughs: aliases are shared nodes, and only known keys are walked.
        var text = "x-a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
        var previous = "a"
        for level in ["b", "c", "d", "e", "f", "g", "h", "i"] {
            text += "x-\(level): &\(level) [" + Array(repeating: "*\(previous)", count: 9).joined(separator: ",") + "]\n"
            previous = level
        }
        text += "services:\n  web:\n    image: python\n    command: *i\n    ports: *i\n    expose: *i\n"
        let file = ComposeFile.parse(Array(text.utf8), path: "/p/compose.yaml", projectDirectory: "/p")
        #expect(file.services.map(\.name) == ["web"])
        #expect(file.services.first?.command?.isEmpty == true)
    }

    @Test func manyFilesMergeLikeComposeOverrides() throws {
        let base = try Self.parse("healthy.yaml")
        let overrideText = """
        services:
          web:
            command: gunicorn shop.wsgi:application --bind 0.0.0.0:8001
            ports:
              - "127.0.0.1:8001:8001"
            environment:
              - EXTRA_FLAG=1
        """
        let override = ComposeFile.parse(Array(overrideText.utf8), path: "/srv/shop/compose.override.yaml", projectDirectory: "/srv/shop")
        let merged = ComposeFile.merge([base, override])
        let web = try #require(merged.services.first { $0.name == "web" })
        #expect(web.binds.compactMap(\.endpoint) == [.tcp(host: "0.0.0.0", port: 8001)])
        #expect(web.commandSource?.file == "/srv/shop/compose.override.yaml")
        #expect(web.ports.map(\.publishedPort) == [8001])
        #expect(web.environmentKeys == ["DJANGO_SETTINGS_MODULE", "POSTGRES_HOST", "EXTRA_FLAG"])
        #expect(web.healthcheck != nil)
        #expect(merged.services.count == 3)
    }

    @Test func gunicornWithoutBindIsItsLoopbackDefault() {
        let text = "services:\n  web:\n    image: python:3.12\n    command: [\"gunicorn\", \"app.wsgi\"]\n  asgi:\n    image: python:3.12\n    command: uvicorn app.asgi:application\n"
        let file = ComposeFile.parse(Array(text.utf8), path: "/p/compose.yaml", projectDirectory: "/p")
        for service in file.services {
            #expect(service.binds.compactMap(\.endpoint) == [.tcp(host: "127.0.0.1", port: 8000)], "\(service.name)")
            #expect(service.binds.allSatisfy { $0.source == "default" }, "\(service.name)")
        }
    }
}
