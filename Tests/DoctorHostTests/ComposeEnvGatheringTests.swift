import DoctorFacts
@testable import DoctorHost
import DoctorParsers
import Foundation
import Testing

/// The project's `.env` as `ComposeGatherer` reads it, on real files through `LiveHost` and a
/// `SnapshotRecorder`: what interpolation uses, what a snapshot keeps of it (the values used for
/// ports and paths, nothing else), and that a replay resolves the same fields.
@Suite struct ComposeEnvGatheringTests {
    static let compose = """
        services:
          web:
            image: python:3.12
            command: gunicorn app.wsgi -b ${BIND:-0.0.0.0:8000} --access-logfile ${LOG_PATH} --api-key ${API_KEY}
            ports:
              - "127.0.0.1:${APP_PORT:-8000}:8000"
            volumes:
              - ${SOCKET_DIR}:/run/app
            environment:
              DJANGO_SECRET_KEY: ${DJANGO_SECRET_KEY}

        """
    static let env = """
        # production
        APP_PORT=8001
        SOCKET_DIR=./run
        LOG_PATH=/var/log/app/access.log
        API_KEY="k3y-not-for-snapshots"
        DJANGO_SECRET_KEY='s3cret-value'
        DATABASE_URL=postgres://shop:pw-in-url@db/shop

        """

    static func gather(_ host: any DoctorHost.Host, composeFile: String) async -> ComposeGatherer.Result {
        var options = GatherOptions()
        options.composeFiles = [composeFile]
        return await ComposeGatherer(host: host, options: options, processes: [], proxies: [], routes: []).gather()
    }

    @Test func snapshotKeepsOnlyPortAndPathValuesAndReplaysTheSame() async throws {
        let directory = try TemporaryDirectory()
        let composeFile = try directory.write("compose.yaml", Self.compose)
        let envFile = try directory.write(".env", Self.env)
        let recorder = SnapshotRecorder(wrapping: LiveHost(), gwdoctorVersion: "test")
        let live = await Self.gather(recorder, composeFile: composeFile)
        let web = try #require(live.projects.first?.service("web"))
        #expect(web.ports.first?.publishedPort == 8001)
        #expect(web.ports.first?.interpolation?.envFile == envFile)
        #expect(web.volumes.first?.source == directory.path + "/run" && web.volumes.first?.type == "bind")
        #expect(web.binds.compactMap(\.endpoint) == [.tcp(host: "0.0.0.0", port: 8000)])
        #expect(web.unresolved.isEmpty)
        #expect(!live.unavailable.contains { $0.what.contains(".env") }, "\(live.unavailable)")

        let snapshot = directory.file("snap")
        try recorder.write(to: snapshot)
        let copy = try String(contentsOfFile: snapshot + "/fs" + envFile, encoding: .utf8)
        // Kept: a port, a mount source, a path in the command. Masked: the command's key, every unused value.
        #expect(copy.contains("APP_PORT=8001") && copy.contains("SOCKET_DIR=./run") && copy.contains("LOG_PATH=/var/log/app/access.log"))
        for secret in ["k3y-not-for-snapshots", "s3cret-value", "pw-in-url"] {
            #expect(!copy.contains(secret), "\(secret) kept in the snapshot's .env")
        }
        #expect(copy.contains("API_KEY=\"[REDACTED]\"") && copy.contains("DATABASE_URL=[REDACTED]"))

        let replayed = await Self.gather(try SnapshotHost(directory: snapshot), composeFile: composeFile)
        let again = try #require(replayed.projects.first?.service("web"))
        #expect(again.ports == web.ports)
        #expect(again.volumes == web.volumes)
        #expect(again.binds == web.binds)
        #expect(again.unresolved == web.unresolved)
        // Only the masked key differs in the replayed command.
        #expect(again.command?.last == "[REDACTED]" && web.command?.last == "k3y-not-for-snapshots")
        #expect(again.command?.dropLast() == web.command?.dropLast())
    }

    @Test func envFileIsNotReadWhenNoFileRefersToAVariable() async throws {
        let directory = try TemporaryDirectory()
        let composeFile = try directory.write("compose.yaml", """
            services:
              web:
                image: python:3.12
                ports: ["8000:8000"]

            """)
        let envFile = try directory.write(".env", Self.env)
        let recorder = SnapshotRecorder(wrapping: LiveHost(), gwdoctorVersion: "test")
        let live = await Self.gather(recorder, composeFile: composeFile)
        #expect(live.projects.first?.service("web")?.ports.first?.publishedPort == 8000)
        let snapshot = directory.file("snap")
        try recorder.write(to: snapshot)
        #expect(!FileManager.default.fileExists(atPath: snapshot + "/fs" + envFile))
    }

    /// No `.env`: defaults apply and a variable without one is not resolvable, with its line.
    @Test func withoutEnvFileDefaultsApplyAndTheRestIsUnresolved() async throws {
        let directory = try TemporaryDirectory()
        let composeFile = try directory.write("compose.yaml", Self.compose)
        let result = await Self.gather(LiveHost(), composeFile: composeFile)
        let project = try #require(result.projects.first)
        let web = try #require(project.service("web"))
        #expect(web.ports.first?.publishedPort == 8000)
        #expect(web.ports.first?.interpolation?.origin == "default")
        #expect(web.volumes.isEmpty)
        #expect(web.unresolved == ["volumes", "command"])
        #expect(web.binds.isEmpty)
        #expect(project.diagnostics.contains { $0.location == SourceLocation(file: composeFile, line: 8) && $0.message.contains("SOCKET_DIR") })
        #expect(!result.unavailable.contains { $0.what.contains(".env") }, "a missing .env is normal")
    }

    /// A `.env` that cannot be read: nothing is known, not even whether a default applies.
    @Test func unreadableEnvFileLeavesEveryVariableUnknown() async throws {
        let directory = try TemporaryDirectory()
        let composeFile = try directory.write("compose.yaml", Self.compose)
        // A directory where the file should be: read(2) fails with EISDIR.
        try FileManager.default.createDirectory(atPath: directory.file(".env"), withIntermediateDirectories: false)
        let result = await Self.gather(LiveHost(), composeFile: composeFile)
        let web = try #require(result.projects.first?.service("web"))
        #expect(web.ports.isEmpty)
        #expect(web.unresolved == ["ports", "volumes", "command"])
        let unavailable = try #require(result.unavailable.first { $0.what == "compose .env file \(directory.path)/.env" })
        #expect(unavailable.reason.contains("variables in the compose files are not resolved"))
    }
}
