import DoctorFacts
@testable import DoctorHost
import DoctorParsers
import Foundation
import Synchronization
import Testing

/// Discovery and engine handling of `ComposeGatherer` on an in-memory host: the places it
/// searches (conventional directories, next to the proxy config, engine labels), and every way
/// the engine can fail to answer. The engine answers are the recorded `docker` outputs of
/// DoctorParsersTests/Fixtures/docker (no engine runs on the build machine) or the real failure
/// text of the docker 28.2.2 client here.
@Suite struct ComposeGathererTests {
    /// Files and directories in memory; `docker` answers from a table; every call is logged.
    final class MemoryHost: DoctorHost.Host, @unchecked Sendable {
        var files: [String: String] = [:]
        var answers: [String: CommandResult] = [:]
        let calls = Mutex<[String]>([])
        var isSnapshot: Bool { false }
        var referenceTime: Date { Date(timeIntervalSince1970: 1_795_246_751) }

        func directories() -> Set<String> {
            var result: Set<String> = ["/"]
            for path in files.keys {
                var directory = NginxGatherer.directory(of: path)
                while directory != "/" { result.insert(directory); directory = NginxGatherer.directory(of: directory) }
            }
            return result
        }

        func readFile(_ path: String, maxBytes: Int) throws(HostError) -> [UInt8] {
            guard let text = files[path] else { throw .notFound(path) }
            guard text.utf8.count <= maxBytes else { throw .tooLarge(path, bytes: text.utf8.count, limit: maxBytes) }
            return Array(text.utf8)
        }

        func readTail(_ path: String, maxBytes: Int) throws(HostError) -> FileTail {
            let bytes = try readFile(path, maxBytes: .max)
            return FileTail(bytes: Array(bytes.suffix(maxBytes)), offset: 0, fileSize: UInt64(bytes.count))
        }

        func status(_ path: String, followLinks: Bool) throws(HostError) -> FileStatus {
            if files[path] != nil { return FileStatus(kind: .regular, mode: 0o644, uid: 0, gid: 0, size: 1, modified: 0) }
            if directories().contains(path) { return FileStatus(kind: .directory, mode: 0o755, uid: 0, gid: 0, size: 0, modified: 0) }
            throw .notFound(path)
        }

        func readLink(_ path: String) throws(HostError) -> String { throw .notFound(path) }

        func list(_ path: String) throws(HostError) -> [String] {
            calls.withLock { $0.append("list \(path)") }
            guard directories().contains(path) else { throw .notFound(path) }
            let prefix = path == "/" ? "/" : path + "/"
            var names = Set<String>()
            for candidate in Array(files.keys) + Array(directories()) where candidate.hasPrefix(prefix) && candidate != path {
                if let name = candidate.dropFirst(prefix.count).split(separator: "/").first { names.insert(String(name)) }
            }
            return names.sorted()
        }

        func processes() throws(HostError) -> [ProcessRecord] { [] }
        func listeners(holders processes: [ProcessRecord]) throws(HostError) -> [Listener] { [] }

        func run(_ command: AllowedCommand, timeout: Duration, outputLimit: Int) async -> CommandResult {
            let key = command.argv.joined(separator: " ")
            calls.withLock { $0.append("run \(key)") }
            return answers[key] ?? CommandResult(argv: command.argv, exitCode: nil, failure: "not in this test's table")
        }

        func probe(_ request: ProbeRequest) async -> ProbeResult {
            ProbeResult(endpoint: request.endpoint, path: request.path, hostHeader: request.hostHeader,
                        outcome: .failed(.refused), elapsedMilliseconds: 0)
        }
    }

    static let psKey = "docker ps -aq --no-trunc --filter label=com.docker.compose.project"
    static let compose = """
        services:
          web:
            image: python:3.12
            command: gunicorn app.wsgi -b 0.0.0.0:8000
          proxy:
            image: nginx:1.27
            volumes:
              - ./conf.d:/etc/nginx/conf.d:ro
        """

    static func fixture(_ relative: String) throws -> String {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("DoctorParsersTests/Fixtures/\(relative)")
        return try String(contentsOf: url, encoding: .utf8)
    }

    static let dockerd = ProcessRecord(pid: 700, ppid: 1, uid: 0, cmdline: ["/usr/bin/dockerd", "-H", "fd://"], comm: "dockerd")

    func gather(_ host: MemoryHost, composeFiles: [String] = [], processes: [ProcessRecord] = [], proxies: [ProxyInstance] = [],
                routes: [Route] = []) async -> ComposeGatherer.Result {
        var options = GatherOptions()
        options.composeFiles = composeFiles
        return await ComposeGatherer(host: host, options: options, processes: processes, proxies: proxies, routes: routes).gather()
    }

    @Test func conventionalPlaceWithOverrideAndAMountedConfDDirectory() async throws {
        let host = MemoryHost()
        host.files["/srv/shop/docker-compose.yml"] = Self.compose
        host.files["/srv/shop/docker-compose.override.yml"] = "services:\n  web:\n    ports: [\"127.0.0.1:8000:8000\"]\n"
        host.files["/srv/shop/conf.d/app.conf"] = "server {\n  listen 80;\n  location / { proxy_pass http://web:8000; }\n}\n"
        host.files["/srv/shop/conf.d/README"] = "not a config"
        host.files["/home/ann/notes.txt"] = "x"
        host.answers[Self.psKey] = CommandResult(argv: [], exitCode: 1,
                                                 stderr: "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n")
        let result = await gather(host)
        let project = try #require(result.projects.first)
        #expect(result.projects.count == 1)
        #expect(project.discoveredBy == "conventional place /srv/shop")
        #expect(project.files == ["/srv/shop/docker-compose.yml", "/srv/shop/docker-compose.override.yml"])
        #expect(project.name == "shop")
        #expect(project.service("web")?.ports.first?.publishedPort == 8000)
        #expect(project.proxyConfigs.map(\.containerPath) == ["/etc/nginx/conf.d/app.conf"])
        #expect(project.proxyConfigs.first?.routes.first?.target.endpoints == [.tcp(host: "web", port: 8000)])
        #expect(project.containers == nil)
        let engine = try #require(result.unavailable.first { $0.what == "docker engine" })
        #expect(engine.reason.contains("exited 1: Cannot connect to the Docker daemon"))
        // Bounded: one listing per conventional root and per child, nothing deeper.
        let listed = host.calls.withLock { $0.filter { $0.hasPrefix("list ") } }
        #expect(listed.contains("list /srv") && listed.contains("list /opt") && listed.contains("list /home/ann"))
        #expect(!listed.contains("list /srv/shop/conf.d/app.conf"))
    }

    @Test func noProjectAndNoDaemonMeansNoEngineCallAndNoFact() async {
        let host = MemoryHost()
        host.files["/etc/nginx/nginx.conf"] = "events {}\n"
        let result = await gather(host)
        #expect(result.projects.isEmpty && result.unavailable.isEmpty)
        #expect(host.calls.withLock { $0.allSatisfy { !$0.hasPrefix("run ") } })
    }

    @Test func foundNextToTheProxyConfig() async throws {
        let host = MemoryHost()
        host.files["/opt/deploy/nginx/site.conf"] = "server { listen 80; location / { proxy_pass http://127.0.0.1:8001; } }\n"
        host.files["/opt/deploy/compose.yaml"] = Self.compose
        let proxy = ProxyInstance(kind: .nginx, configPath: "/etc/nginx/nginx.conf", prefix: "/etc/nginx")
        let route = Route(proxy: .nginx, listen: ["80"], serverNames: ["_"], location: "/", directive: "proxy_pass",
                          target: .endpoint(scheme: "http", .tcp(host: "127.0.0.1", port: 8001)),
                          source: SourceLocation(file: "/opt/deploy/nginx/site.conf", line: 1))
        let result = await gather(host, proxies: [proxy], routes: [route])
        #expect(result.projects.first?.discoveredBy == "next to the proxy config, in /opt/deploy")
        #expect(result.projects.count == 1)
    }

    @Test func engineLabelsNameTheFilesAndStateComesFromInspect() async throws {
        let host = MemoryHost()
        host.files["/tmp/gwdoctor-compose-container-down/compose.yaml"] = Self.compose
        let ids = try Self.fixture("docker/ps-aq-compose.txt")
        host.answers[Self.psKey] = CommandResult(argv: [], exitCode: 0, stdout: ids)
        host.answers["docker inspect " + ids.split(separator: "\n").joined(separator: " ")] =
            CommandResult(argv: [], exitCode: 0, stdout: try Self.fixture("docker/inspect-shop-web-oomkilled.json"))
        host.answers["docker logs --tail 200 a81c4e0f2d9b"] =
            CommandResult(argv: [], exitCode: 0, stderr: try Self.fixture("docker/logs-shop-web-oomkilled.txt"))
        let result = await gather(host, processes: [Self.dockerd])
        let project = try #require(result.projects.first)
        #expect(project.discoveredBy == "engine labels of project shop")
        #expect(project.name == "shop")
        #expect(project.containers?.first { $0.service == "web" }?.oomKilled == true)
        #expect(project.containers?.first { $0.service == "web" }?.logTail.last?.hasSuffix("Booting worker with pid: 9") == true)
        // Only the container in trouble has its logs read.
        #expect(project.containers?.first { $0.service == "db" }?.logTail.isEmpty == true)
        #expect(result.unavailable.isEmpty)
    }

    @Test func logsOfARestartingContainerAreReadForItsBootFailure() async throws {
        let host = MemoryHost()
        host.files["/srv/shop/compose.yaml"] = Self.compose
        let inspect = try Self.fixture("docker/inspect-shop-web-restarting.json")
            .replacingOccurrences(of: "/tmp/gwdoctor-compose-container-down", with: "/srv/shop")
        host.answers[Self.psKey] = CommandResult(argv: [], exitCode: 0, stdout: "a81c4e0f2d9b7c6a5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a29\n")
        host.answers["docker inspect a81c4e0f2d9b7c6a5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a29"] =
            CommandResult(argv: [], exitCode: 0, stdout: inspect)
        // A real Gunicorn boot failure (captured from the lab, see applogs/CAPTURE.md): what the container printed.
        host.answers["docker logs --tail 200 a81c4e0f2d9b"] =
            CommandResult(argv: [], exitCode: 0, stderr: try Self.fixture("applogs/gunicorn-postgres-refused.log"))
        let result = await gather(host)
        let container = try #require(result.projects.first?.containers?.first)
        #expect(container.state == "restarting")
        #expect(container.bootFailures.first?.cause == .databaseUnreachable)
        #expect(container.logTail.count == 20)
        #expect(result.unavailable.isEmpty)
        let calls = host.calls.withLock { $0.filter { $0.hasPrefix("run docker logs") } }
        #expect(calls == ["run docker logs --tail 200 a81c4e0f2d9b"])
    }

    @Test(arguments: [
        (CommandResult(argv: ["docker"], exitCode: nil, failure: "timed out after 5 s"), "timed out"),
        (CommandResult(argv: ["docker"], exitCode: nil, failure: "executable not found: docker"), "not found"),
        (CommandResult(argv: ["docker"], exitCode: 1, stderr: "permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock\n"), "permission denied"),
    ])
    func engineThatDoesNotAnswer(_ answer: CommandResult, _ expected: String) async throws {
        let host = MemoryHost()
        host.files["/srv/app/compose.yaml"] = Self.compose
        host.answers[Self.psKey] = answer
        let result = await gather(host, processes: [Self.dockerd])
        #expect(result.projects.count == 1)
        #expect(result.projects.first?.containers == nil)
        let engine = try #require(result.unavailable.first { $0.what == "docker engine" })
        #expect(engine.reason.contains(expected))
    }

    @Test func inspectThatIsNotJSON() async throws {
        let host = MemoryHost()
        host.files["/srv/app/compose.yaml"] = Self.compose
        host.answers[Self.psKey] = CommandResult(argv: [], exitCode: 0, stdout: "abc123\n")
        host.answers["docker inspect abc123"] = CommandResult(argv: [], exitCode: 0, stdout: "[{\"Id\": \"abc", truncated: true)
        let result = await gather(host)
        #expect(result.unavailable.first { $0.what == "docker engine" }?.reason.contains("cut at its limit") == true)
    }

    @Test func explicitFilesDirectoriesAndBadOnes() async throws {
        let host = MemoryHost()
        host.files["/work/a/compose.yml"] = Self.compose
        host.files["/work/b/compose.yaml"] = "services: [\n"
        host.files["/work/c/other.txt"] = "x"
        host.answers[Self.psKey] = CommandResult(argv: [], exitCode: 0, stdout: "")
        let result = await gather(host, composeFiles: ["/work/a", "/work/b/compose.yaml", "/work/c", "/work/missing.yaml"])
        #expect(result.projects.map(\.files) == [["/work/a/compose.yml"], ["/work/b/compose.yaml"], ["/work/missing.yaml"]])
        #expect(result.projects.allSatisfy { $0.discoveredBy == "--compose-file" })
        #expect(result.projects[1].diagnostics.first?.kind == .syntax)
        #expect(result.unavailable.contains { $0.what == "compose file in /work/c" })
        #expect(result.unavailable.contains { $0.what == "compose file /work/missing.yaml" && $0.reason.contains("no such file") })
        // An engine that answers with no containers: known to be none, not unknown.
        #expect(result.projects[0].containers == [])
        // --compose-file given: no search elsewhere.
        #expect(host.calls.withLock { !$0.contains("list /srv") })
    }

    @Test func explicitFilesOfOneDirectoryAreOneMergedProject() async throws {
        let host = MemoryHost()
        host.files["/srv/shop/compose.yaml"] = Self.compose
        host.files["/srv/shop/compose.prod.yaml"] = "services:\n  web:\n    command: gunicorn app.wsgi -b 0.0.0.0:9000\n"
        host.files["/srv/other/compose.yaml"] = Self.compose
        host.answers[Self.psKey] = CommandResult(argv: [], exitCode: 0, stdout: "")
        let result = await gather(host, composeFiles: ["/srv/shop/compose.yaml", "/srv/shop/compose.prod.yaml", "/srv/other/compose.yaml"])
        #expect(result.projects.map(\.files) == [["/srv/shop/compose.yaml", "/srv/shop/compose.prod.yaml"], ["/srv/other/compose.yaml"]])
        #expect(result.projects.first?.service("web")?.binds.compactMap(\.endpoint) == [.tcp(host: "0.0.0.0", port: 9000)])
    }

    @Test func snapshotCopiesMaskEnvironmentValuesAndStillParse() async throws {
        let directory = try TemporaryDirectory()
        let compose = try directory.write("compose.yaml", """
            services:
              web:
                image: python:3.12
                command: gunicorn app.wsgi -b 0.0.0.0:8000
                environment:
                  STRIPE_KEY: sk_live_51HvQzGz8AbCdEf
                  DATABASE_URL: postgres://shop@db/shop?sslmode=require&options=x
                  QUOTED: "two words"
                  EMPTY:
              worker:
                image: python:3.12
                environment:
                  - CELERY_BROKER=redis://:s3cret@redis:6379/0
                  - PLAIN_FLAG=on
            """ + "\n")
        let recorder = SnapshotRecorder(wrapping: LiveHost(), gwdoctorVersion: "test")
        var options = GatherOptions()
        options.composeFiles = [compose]
        let live = await ComposeGatherer(host: recorder, options: options, processes: [], proxies: [], routes: []).gather()
        let snapshot = directory.file("snap")
        try recorder.write(to: snapshot)
        let copy = try String(contentsOfFile: snapshot + "/fs" + compose, encoding: .utf8)
        for secret in ["sk_live_51HvQzGz8AbCdEf", "sslmode=require", "two words", "s3cret", "PLAIN_FLAG=on"] {
            #expect(!copy.contains(secret), "\(secret) kept in the snapshot copy")
        }
        #expect(copy.contains("STRIPE_KEY: [REDACTED]") && copy.contains("- PLAIN_FLAG=[REDACTED]"))
        // The masked copy parses to the same services and keys on replay.
        let replayed = await ComposeGatherer(host: try SnapshotHost(directory: snapshot), options: options,
                                             processes: [], proxies: [], routes: []).gather()
        #expect(replayed.projects.first?.services == live.projects.first?.services)
        #expect(replayed.projects.first?.service("web")?.environmentKeys == ["STRIPE_KEY", "DATABASE_URL", "QUOTED", "EMPTY"])
        #expect(replayed.projects.first?.diagnostics.isEmpty == true)
    }

    @Test func daemonWithoutAnyProjectSaysWhereItLooked() async throws {
        let host = MemoryHost()
        host.files["/srv/static/index.html"] = "hi"
        host.answers[Self.psKey] = CommandResult(argv: [], exitCode: 0, stdout: "")
        let result = await gather(host, processes: [Self.dockerd])
        let note = try #require(result.unavailable.first { $0.what == "docker compose files" })
        #expect(note.reason.contains("/srv/*") && note.reason.contains("/home/*/*") && note.reason.contains("--compose-file"))
    }
}
