import DoctorFacts
@testable import DoctorParsers
import Foundation
import Testing
import Yams

/// Interpolation checked against a real Compose: `docker-compose config` (docker-compose 1.29.2,
/// Debian 12's `docker-compose` package, which `scripts/test` installs) resolves variables from
/// the project's `.env` without any engine. Each case writes a compose file and a `.env` into a
/// temporary project, runs `docker-compose config` with an empty environment (gwdoctor never
/// reads its own process environment, so the reference must not either), reads its YAML with
/// Yams, and compares the ports and volumes with what `ComposeFile.parse` resolved.
///
/// 1.29 predates parts of the current specification: it rejects `${VAR:+alt}` and misreads
/// nested defaults (`${A:-${B:-9000}}`), and rejects `host_ip` in the long port syntax; those
/// are tested against the specification's text in `ComposeInterpolatorTests`.
@Suite("ComposeInterpolationReference", .serialized)
struct ComposeInterpolationReferenceTests {
    struct Reference {
        var exitCode: Int32
        var stdout: String
        var stderr: String
    }

    struct Port: Hashable, CustomStringConvertible {
        var hostIP: String?
        var published: Int?
        var container: Int
        var description: String { "\(hostIP ?? "*"):\(published.map(String.init) ?? "-"):\(container)" }
    }

    struct Mount: Hashable, CustomStringConvertible {
        var source: String?
        var target: String
        var description: String { "\(source ?? "-"):\(target)" }
    }

    static func dockerCompose() -> String? {
        ["/usr/bin/docker-compose", "/usr/local/bin/docker-compose"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Writes the project and runs the reference on it.
    static func reference(compose: String, env: String?, in directory: URL) throws -> Reference {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try compose.write(to: directory.appendingPathComponent("docker-compose.yml"), atomically: true, encoding: .utf8)
        if let env { try env.write(to: directory.appendingPathComponent(".env"), atomically: true, encoding: .utf8) }
        let binary = try #require(dockerCompose(), "docker-compose is not installed: run scripts/test (it installs Debian's docker-compose)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["--project-directory", directory.path, "-f", directory.appendingPathComponent("docker-compose.yml").path, "config"]
        process.environment = ["PATH": "/usr/bin:/bin", "HOME": directory.path]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Reference(exitCode: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                         stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// What gwdoctor reads from the same files.
    static func ours(compose: String, env: String?, in directory: URL) -> ComposeFile {
        let path = directory.appendingPathComponent("docker-compose.yml").path
        let variables: ComposeVariables = env.map { .file(ComposeEnvFile.parse(Array($0.utf8), path: directory.appendingPathComponent(".env").path)) } ?? .none
        return ComposeFile.parse(Array(compose.utf8), path: path, projectDirectory: directory.path, variables: variables)
    }

    /// 1.29 writes a literal `$` back as `$$` in its output.
    static func unescape(_ text: String) -> String { text.replacingOccurrences(of: "$$", with: "$") }

    static func service(_ reference: Reference, _ name: String) throws -> Node {
        let root = try #require(try Yams.compose(yaml: reference.stdout), "no YAML from docker-compose config: \(reference.stderr)")
        return try #require(root["services"]?[name], "no service \(name) in docker-compose config output")
    }

    static func referencePorts(_ service: Node) -> [Port] {
        (service["ports"]?.sequence.map(Array.init) ?? []).compactMap { item in
            if item.mapping != nil {
                guard let target = item["target"]?.int else { return nil }
                return Port(hostIP: item["host_ip"]?.string, published: item["published"]?.int, container: target)
            }
            guard let text = item.string, let port = ComposePortSyntax.parse(text, source: SourceLocation(file: "ref", line: 0)) else { return nil }
            return Port(hostIP: port.hostIP, published: port.publishedPort, container: port.containerPort)
        }
    }

    static func referenceMounts(_ service: Node) -> [Mount] {
        (service["volumes"]?.sequence.map(Array.init) ?? []).compactMap { item in
            if item.mapping != nil {
                guard let target = item["target"]?.string else { return nil }
                return Mount(source: item["source"]?.string.map(unescape), target: target)
            }
            guard let text = item.string else { return nil }
            var parts = unescape(text).split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            if parts.count == 3 { parts.removeLast() }
            return parts.count == 2 ? Mount(source: parts[0], target: parts[1]) : Mount(source: nil, target: parts[0])
        }
    }

    static func ourPorts(_ service: ComposeService) -> [Port] {
        service.ports.map { Port(hostIP: $0.hostIP, published: $0.publishedPort, container: $0.containerPort) }
    }

    static func ourMounts(_ service: ComposeService) -> [Mount] {
        service.volumes.map { Mount(source: $0.source, target: $0.target) }
    }

    static func temporaryProject(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("gwdoctor-interpolation-\(name)-\(UUID().uuidString.prefix(8))")
    }

    @Test func defaultsQuotesExportAndEscapesMatchDockerCompose() throws {
        let compose = """
            services:
              web:
                image: python:3.12-slim
                command: "gunicorn -b 0.0.0.0:${APP_PORT} app:app --log-format $$x"
                ports:
                  - "${APP_PORT:-8000}:8000"
                  - "127.0.0.1:${ADMIN_PORT:-9000}:9000"
                  - "${EMPTY:-7000}:7000"
                  - $METRICS_PORT:9100
                  - target: 8000
                    published: ${APP_PORT}
                expose:
                  - "${EXPOSED:-8080}"
                volumes:
                  - ${SOCKET_DIR}:/run/app
                  - type: bind
                    source: ${DATA}
                    target: /data
                  - "${NESTED}:/nested:ro"
                  - ${LOGS}:/var/log/app
                  - "${CACHE_VOLUME-cache}:/cache"
                container_name: ${NAME:?set NAME in .env}
                network_mode: ${NETWORK_MODE:-bridge}
            volumes:
              cache:
            """
        // Double and single quotes, an inline comment, `export`, a value built from an earlier one, an empty value.
        let env = """
            # deploy settings
            APP_PORT=8001
            EMPTY=
            METRICS_PORT=9101 # scraped by prometheus
            SOCKET_DIR="./run dir"
            DATA='/srv/$data'
            export LOGS=/var/log/app
            NESTED=${SOCKET_DIR}/x
            NAME=shop-web
            SECRET_KEY=not-used-by-any-field

            """
        let directory = Self.temporaryProject("defaults")
        defer { try? FileManager.default.removeItem(at: directory) }
        let reference = try Self.reference(compose: compose, env: env, in: directory)
        #expect(reference.exitCode == 0, "\(reference.stderr)")
        let theirs = try Self.service(reference, "web")
        let file = Self.ours(compose: compose, env: env, in: directory)
        let web = try #require(file.services.first)
        #expect(file.diagnostics.isEmpty, "\(file.diagnostics)")
        #expect(web.unresolved.isEmpty)

        #expect(Self.ourPorts(web) == Self.referencePorts(theirs))
        #expect(Self.ourPorts(web).count == 5)
        #expect(Self.ourMounts(web) == Self.referenceMounts(theirs))
        #expect(Self.ourMounts(web).first?.source == directory.path + "/run dir")
        #expect(web.expose == (theirs["expose"]?.sequence.map { $0.compactMap(\.string) } ?? []))
        #expect(web.containerName == theirs["container_name"]?.string)
        #expect(web.networkMode == theirs["network_mode"]?.string)
        // 1.29 prints the command as one string with `$` escaped again; Compose splits it like a shell.
        #expect(web.command?.joined(separator: " ") == theirs["command"]?.string.map(Self.unescape))
        #expect(web.binds.compactMap(\.endpoint) == [.tcp(host: "0.0.0.0", port: 8001)])

        // Where each value came from, for evidence.
        #expect(web.ports[0].evidenceText == "\"${APP_PORT:-8000}:8000\" = 8001:8000 (.env:2)")
        #expect(web.ports[1].evidenceText == "\"127.0.0.1:${ADMIN_PORT:-9000}:9000\" = 127.0.0.1:9000:9000 (default)")
        #expect(web.ports[2].interpolation?.origin == "default (empty at .env:3)")
        #expect(web.ports[4].interpolation?.variables == [ComposeVariableUse(name: "APP_PORT", envLine: 2)])
        #expect(web.volumes[0].interpolation?.variables == [ComposeVariableUse(name: "SOCKET_DIR", envLine: 5)])
        #expect(web.interpolations.map(\.field) == ["command", "container_name", "network_mode"])
        // Values used for ports and paths may stay in a snapshot; the rest of .env is masked.
        #expect(file.keptVariables == ["APP_PORT", "EMPTY", "METRICS_PORT", "SOCKET_DIR", "DATA", "NESTED", "LOGS", "NAME"])
        #expect(!"\(file)".contains("not-used-by-any-field"))
    }

    /// A variable neither `.env` nor a default sets: Compose substitutes an empty string with a
    /// warning (`:?` stops it); gwdoctor names the same variable and reports the field as not
    /// resolvable instead of guessing (the shell that ran `docker compose up` may have set it).
    @Test func unsetVariablesAreTheOnesDockerComposeWarnsAbout() throws {
        let compose = """
            services:
              web:
                image: python:3.12-slim
                command: gunicorn -b 0.0.0.0:8000 app:app ${EXTRA_ARGS}
                ports:
                  - "8000:8000"
                volumes:
                  - ${MISSING_DIR}/sock:/run/app
            """
        let env = "APP_PORT=8001\n"
        let directory = Self.temporaryProject("unset")
        defer { try? FileManager.default.removeItem(at: directory) }
        let reference = try Self.reference(compose: compose, env: env, in: directory)
        #expect(reference.exitCode == 0)
        #expect(reference.stderr.contains("The MISSING_DIR variable is not set. Defaulting to a blank string."))
        #expect(reference.stderr.contains("The EXTRA_ARGS variable is not set. Defaulting to a blank string."))
        // What Compose would do with the blank: a bind of `/sock`, which gwdoctor does not assume.
        #expect(Self.referenceMounts(try Self.service(reference, "web")) == [Mount(source: "/sock", target: "/run/app")])

        let file = Self.ours(compose: compose, env: env, in: directory)
        let web = try #require(file.services.first)
        #expect(web.volumes.isEmpty)
        #expect(web.unresolved == ["volumes", "command"])
        // No bind is read from a command whose arguments are not known (it may pass `-b` itself).
        #expect(web.binds.isEmpty)
        #expect(web.appServer == "gunicorn")
        #expect(web.ports.map(\.publishedPort) == [8000])
        let messages = file.diagnostics.map(\.description)
        #expect(messages.contains { $0.contains("`${MISSING_DIR}/sock:/run/app` (volumes) is not resolvable") && $0.contains("MISSING_DIR") && $0.contains("docker-compose.yml:8") })
        #expect(messages.contains { $0.contains("the command (command) is not resolvable") && $0.contains("EXTRA_ARGS") })
    }

    @Test func requiredVariableStopsDockerComposeAndIsNotResolvableHere() throws {
        let compose = """
            services:
              web:
                image: python:3.12-slim
                ports:
                  - "${APP_PORT:?APP_PORT must be set}:8000"
            """
        let directory = Self.temporaryProject("required")
        defer { try? FileManager.default.removeItem(at: directory) }
        let reference = try Self.reference(compose: compose, env: "OTHER=1\n", in: directory)
        #expect(reference.exitCode != 0)
        #expect(reference.stderr.contains("APP_PORT must be set"))
        let file = Self.ours(compose: compose, env: "OTHER=1\n", in: directory)
        #expect(file.services.first?.ports.isEmpty == true)
        #expect(file.services.first?.unresolved == ["ports"])

        // Set in .env: both resolve it the same.
        let setDirectory = Self.temporaryProject("required-set")
        defer { try? FileManager.default.removeItem(at: setDirectory) }
        let set = try Self.reference(compose: compose, env: "APP_PORT=8002\n", in: setDirectory)
        #expect(set.exitCode == 0)
        let ours = Self.ours(compose: compose, env: "APP_PORT=8002\n", in: directory)
        #expect(Self.ourPorts(try #require(ours.services.first)) == Self.referencePorts(try Self.service(set, "web")))
        #expect(ours.services.first?.ports.first?.publishedPort == 8002)
    }

    /// `.env` edge cases as docker-compose's reader (python-dotenv) takes them: spaces around `=`,
    /// CRLF line ends, `#` inside a value, an escaped quote, a tab before a comment, a literal `$`
    /// in single quotes.
    @Test func envFileEdgeCasesMatchDockerCompose() throws {
        let compose = """
            services:
              web:
                image: python:3.12-slim
                ports:
                  - "${SPACED}:8000"
                  - "${CRLF_PORT}:8001"
                volumes:
                  - "${HASHED}:/a"
                  - "${DQ_ESC}:/b"
                  - "${TAB_COMMENT}:/c"
                  - "${SQ}:/d"
            """
        let env = "SPACED = 8005\r\nCRLF_PORT=8006\r\nHASHED=/srv/a#b\r\nDQ_ESC=\"/srv/\\\"q\\\"\"\nTAB_COMMENT=/srv/c\t# comment\nSQ='/srv/$HOME'\n"
        let directory = Self.temporaryProject("edge")
        defer { try? FileManager.default.removeItem(at: directory) }
        let reference = try Self.reference(compose: compose, env: env, in: directory)
        #expect(reference.exitCode == 0, "\(reference.stderr)")
        let theirs = try Self.service(reference, "web")
        let web = try #require(Self.ours(compose: compose, env: env, in: directory).services.first)
        #expect(Self.ourPorts(web) == Self.referencePorts(theirs))
        #expect(Self.ourPorts(web).map(\.published) == [8005, 8006])
        #expect(Self.ourMounts(web) == Self.referenceMounts(theirs))
        #expect(Self.ourMounts(web).map(\.source) == ["/srv/a#b", "/srv/\"q\"", "/srv/c", "/srv/$HOME"])
    }

    /// No `.env` at all: only the defaults written in the file apply.
    @Test func withoutAnEnvFileDefaultsApply() throws {
        let compose = """
            services:
              web:
                image: python:3.12-slim
                ports:
                  - "${APP_PORT:-8000}:8000"
                  - "${ADMIN_PORT-9000}:9000"
                volumes:
                  - ${DATA_DIR:-./data}:/data
            """
        let directory = Self.temporaryProject("no-env")
        defer { try? FileManager.default.removeItem(at: directory) }
        let reference = try Self.reference(compose: compose, env: nil, in: directory)
        #expect(reference.exitCode == 0, "\(reference.stderr)")
        let theirs = try Self.service(reference, "web")
        let web = try #require(Self.ours(compose: compose, env: nil, in: directory).services.first)
        #expect(Self.ourPorts(web) == Self.referencePorts(theirs))
        #expect(Self.ourMounts(web) == Self.referenceMounts(theirs))
        #expect(web.volumes.first?.source == directory.path + "/data")
    }
}
