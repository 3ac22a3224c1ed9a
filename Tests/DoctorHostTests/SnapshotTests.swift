import DoctorFacts
import DoctorParsers
@testable import DoctorHost
import Foundation
import Testing

@Suite("Snapshots")
struct SnapshotTests {
    /// Files, a symlink, a unix socket file and a missing file, recorded from the live host,
    /// written, reopened: the snapshot must answer every call as the live host did.
    @Test func roundTripFromLiveHost() async throws {
        let tree = try TemporaryDirectory()
        let secrets = "SECRET_KEY=abc\nDATABASE_URL=postgres://u:pw@h/db\nDEBUG=0\n"
        let env = try tree.write("app.env", secrets)
        #expect(chmod(env, 0o640) == 0)
        let conf = try tree.write("nginx.conf", "user www-data;\nworker_processes 1;\n")
        #expect(mkdir(tree.file("releases"), 0o755) == 0)
        #expect(symlink("releases", tree.file("current")) == 0)
        #expect(symlink("nginx.conf", tree.file("link.conf")) == 0)
        let socketFD = try Sockets.unixListener(path: tree.file("app.sock"))
        let server = LoopbackServer(listeningOn: socketFD, behaviour: .respond("HTTP/1.1 200 OK\r\nServer: gunicorn\r\n\r\n"))
        defer { server.stop() }
        var log = ""
        for index in 0..<400 { log += "2026/01/01 00:00:00 [error] *\(index) connect() failed (111: Connection refused)\n" }
        let logPath = try tree.write("error.log", log)
        let missing = tree.file("missing.conf")

        let recorder = SnapshotRecorder(wrapping: LiveHost(), gwdoctorVersion: "0.0-test")
        #expect(!recorder.isSnapshot)

        // Live answers, passed through unchanged by the recorder.
        let liveEnv = try recorder.readFile(env, maxBytes: 4096)
        #expect(liveEnv == Array(secrets.utf8))
        let liveConf = try recorder.readFile(conf, maxBytes: 4096)
        let liveLinkedConf = try recorder.readFile(tree.file("link.conf"), maxBytes: 4096)
        let liveTail = try recorder.readTail(logPath, maxBytes: 1000)
        let liveTooLarge = capture { try recorder.readFile(logPath, maxBytes: 100) }
        let liveMissing = capture { try recorder.readFile(missing, maxBytes: 100) }
        let liveDirectoryRead = capture { try recorder.readFile(tree.file("releases"), maxBytes: 100) }
        var liveStatuses: [String: Result<FileStatus, HostError>] = [:]
        for name in ["app.env", "current", "link.conf", "app.sock", "missing.conf", "releases"] {
            for follow in [true, false] {
                liveStatuses["\(name) \(follow)"] = capture { try recorder.status(tree.file(name), followLinks: follow) }
            }
        }
        let liveLink = try recorder.readLink(tree.file("current"))
        let liveNotALink = capture { try recorder.readLink(conf) }
        let liveList = try recorder.list(tree.path)
        let liveMissingList = capture { try recorder.list(missing) }
        let liveProcesses = try recorder.processes()
        let liveListeners = try recorder.listeners(holders: liveProcesses)
        let notInstalled = AllowedCommand.nginxVersion(executable: "/nonexistent/sbin/nginx")
        let liveCommand = await recorder.run(notInstalled, timeout: .seconds(5), outputLimit: 1000)
        let closedPort = try Sockets.closedPort()
        let refusedRequest = ProbeRequest(endpoint: .tcp(host: "127.0.0.1", port: closedPort), path: "/health/")
        let liveRefused = await recorder.probe(refusedRequest)
        let unixRequest = ProbeRequest(endpoint: .unix(path: tree.file("app.sock")), hostHeader: "example.com")
        let liveUnix = await recorder.probe(unixRequest)
        #expect(liveUnix.outcome == .response(status: 200, server: "gunicorn"))

        let output = try TemporaryDirectory()
        let snapshotDirectory = output.file("snap")
        // The whole table, so replay can be compared row for row (scoping has its own tests).
        try recorder.write(to: snapshotDirectory, processes: .all)
        let snapshot = try SnapshotHost(directory: snapshotDirectory)

        #expect(snapshot.isSnapshot)
        #expect(snapshot.metadata.gwdoctorVersion == "0.0-test")
        #expect(snapshot.metadata.format == 1)
        #expect(abs(snapshot.referenceTime.timeIntervalSinceNow) < 60)
        #expect(snapshot.referenceTime.timeIntervalSince1970 == snapshot.referenceTime.timeIntervalSince1970.rounded(.down))

        // Contents: redacted where secret, otherwise identical.
        let replayedEnv = String(decoding: try snapshot.readFile(env, maxBytes: 4096), as: UTF8.self)
        #expect(replayedEnv == Redactor.redact(secrets))
        #expect(replayedEnv.contains("DEBUG=0"))
        #expect(try snapshot.readFile(conf, maxBytes: 4096) == liveConf)
        #expect(try snapshot.readFile(tree.file("link.conf"), maxBytes: 4096) == liveLinkedConf)
        #expect(capture { try snapshot.readFile(logPath, maxBytes: 100) } == liveTooLarge)
        #expect(capture { try snapshot.readFile(missing, maxBytes: 100) } == liveMissing)
        #expect(capture { try snapshot.readFile(tree.file("releases"), maxBytes: 100) } == liveDirectoryRead)
        #expect(snapshot.readConfigFile(missing, maxBytes: 100) == .failure(.notFound))

        // The tail is stored from its first full line; offsets stay true to the original file.
        let replayedTail = try snapshot.readTail(logPath, maxBytes: 1000)
        #expect(replayedTail.fileSize == liveTail.fileSize)
        let firstLineEnd = try #require(liveTail.bytes.firstIndex(of: UInt8(ascii: "\n")))
        #expect(replayedTail.bytes == Array(liveTail.bytes[(firstLineEnd + 1)...]))
        #expect(replayedTail.offset == liveTail.offset + UInt64(firstLineEnd + 1))
        #expect(String(decoding: replayedTail.bytes, as: UTF8.self).hasPrefix("2026/01/01"))

        for (key, result) in liveStatuses {
            let parts = key.split(separator: " ")
            let replayed = capture { try snapshot.status(tree.file(String(parts[0])), followLinks: parts[1] == "true") }
            #expect(replayed == result, "status \(key)")
        }
        #expect(try snapshot.status(tree.file("app.sock"), followLinks: false).kind == .socket)
        #expect(try snapshot.status(env, followLinks: true).mode == 0o640)
        #expect(try snapshot.readLink(tree.file("current")) == liveLink)
        #expect(capture { try snapshot.readLink(conf) } == liveNotALink)
        #expect(try snapshot.list(tree.path) == liveList)
        #expect(capture { try snapshot.list(missing) } == liveMissingList)

        let redactedProcesses = liveProcesses.map { process -> ProcessRecord in
            var process = process
            process.cmdline = Redactor.redact(arguments: process.cmdline)
            return process
        }
        #expect(try snapshot.processes() == redactedProcesses)
        #expect(try snapshot.listeners() == liveListeners)
        #expect(try snapshot.listeners().contains { $0.endpoint == .unix(path: tree.file("app.sock")) })

        #expect(await snapshot.run(notInstalled, timeout: .seconds(1), outputLimit: 10) == liveCommand)
        #expect(await snapshot.probe(refusedRequest) == liveRefused)
        #expect(await snapshot.probe(unixRequest) == liveUnix)

        // Nothing captured, nothing invented.
        #expect(throws: HostError.notRecorded("contents of /etc/hostname")) { try snapshot.readFile("/etc/hostname", maxBytes: 100) }
        #expect(throws: HostError.notRecorded("contents of \(logPath)")) { try snapshot.readFile(logPath, maxBytes: 1_000_000) }
        #expect(throws: HostError.notRecorded("lstat of \(conf)")) { try snapshot.status(conf, followLinks: false) }
        #expect(throws: HostError.notRecorded("listing of /etc")) { try snapshot.list("/etc") }
        let other = await snapshot.run(.nginxVersion(executable: nil), timeout: .seconds(1), outputLimit: 10)
        #expect(other.failure == "not recorded in snapshot")
        #expect(other.exitCode == nil)
        let unknownProbe = await snapshot.probe(ProbeRequest(endpoint: .tcp(host: "127.0.0.1", port: 1)))
        #expect(unknownProbe.outcome == .failed(.notRecorded))

        // The secrets are nowhere in the directory, in any file.
        for (file, bytes) in try allFiles(snapshotDirectory) {
            let text = String(decoding: bytes, as: UTF8.self)
            #expect(!text.contains("SECRET_KEY=abc"), "secret in \(file)")
            #expect(!text.contains("u:pw@"), "DSN password in \(file)")
        }

        // The layout is plain files a person can read.
        let copy = try String(contentsOfFile: snapshotDirectory + "/fs" + env, encoding: .utf8)
        #expect(copy.contains("SECRET_KEY=[REDACTED]"))
        let fsMeta = try String(contentsOfFile: snapshotDirectory + "/fs-meta.json", encoding: .utf8)
        #expect(fsMeta.contains("\"mode\" : \"0640\""))
        #expect(fsMeta.contains("\"kind\" : \"notFound\""))
        for name in ["meta.json", "fs-meta.json", "proc/processes.json", "proc/listeners.json", "commands.json", "probes.json"] {
            #expect(FileManager.default.fileExists(atPath: "\(snapshotDirectory)/\(name)"), "\(name)")
        }
    }

    /// Secrets that reach the recorder through command lines, command output and probe
    /// paths are redacted too.
    @Test func secretsOutsideFilesAreRedacted() async throws {
        let recorder = SnapshotRecorder(wrapping: CannedHost(), gwdoctorVersion: "0.0-test")
        _ = try recorder.processes()
        #expect(throws: HostError.permissionDenied("/proc")) { try recorder.listeners() }
        let command = AllowedCommand.nginxVersion(executable: nil)
        let live = await recorder.run(command, timeout: .seconds(1), outputLimit: 100)
        #expect(live.stdout.contains("xyzzy-pw"), "the caller gets the live answer")
        let request = ProbeRequest(endpoint: .tcp(host: "127.0.0.1", port: 8000), path: "/health?token=xyzzy-token")
        _ = await recorder.probe(request)
        let output = try TemporaryDirectory()
        try recorder.write(to: output.file("snap"))

        for (file, bytes) in try allFiles(output.file("snap")) {
            #expect(!String(decoding: bytes, as: UTF8.self).contains("xyzzy"), "secret in \(file)")
        }
        let snapshot = try SnapshotHost(directory: output.file("snap"))
        #expect(try snapshot.processes().first?.cmdline == ["gunicorn", "--env", "DJANGO_SECRET_KEY=[REDACTED]", "--password", "[REDACTED]"])
        let replayed = await snapshot.run(command, timeout: .seconds(1), outputLimit: 100)
        #expect(replayed.stdout == "DATABASE_URL=postgres://app:[REDACTED]@db/app\n")
        #expect(replayed.argv == command.argv)
        // Asked again with the same secret-bearing path, the snapshot finds the recorded probe.
        let probe = await snapshot.probe(request)
        #expect(probe.outcome == .response(status: 200, server: nil))
        #expect(probe.path == request.path)
        #expect(throws: HostError.permissionDenied("/proc")) { try snapshot.listeners() }
    }

    @Test func refusesNonEmptyDirectory() throws {
        let output = try TemporaryDirectory()
        try output.write("something", "x")
        let recorder = SnapshotRecorder(wrapping: CannedHost(), gwdoctorVersion: "0.0-test")
        #expect(throws: SnapshotError.directoryNotEmpty(output.path)) { try recorder.write(to: output.path) }
    }

    @Test func opensOnlySnapshotsItUnderstands() throws {
        let empty = try TemporaryDirectory()
        #expect(throws: SnapshotError.notASnapshot(empty.path)) { try SnapshotHost(directory: empty.path) }

        let future = try TemporaryDirectory()
        try future.write("meta.json", #"{"format": 99, "capturedAt": "2026-01-01T00:00:00Z", "hostname": "h", "gwdoctorVersion": "9"}"#)
        #expect(throws: SnapshotError.unsupportedFormat(found: 99, supported: 1)) { try SnapshotHost(directory: future.path) }

        let hostile = try TemporaryDirectory()
        try hostile.write("meta.json", #"{"format": 1, "capturedAt": "2026-01-01T00:00:00Z", "hostname": "h", "gwdoctorVersion": "1"}"#)
        try hostile.write("fs-meta.json", #"{"/etc/nginx/nginx.conf": {"content": {"file": "fs/../../../etc/shadow", "offset": 0, "fileSize": 10, "complete": true}}}"#)
        #expect(throws: SnapshotError.self) { try SnapshotHost(directory: hostile.path) }

        let broken = try TemporaryDirectory()
        try broken.write("meta.json", "{not json")
        #expect(throws: SnapshotError.self) { try SnapshotHost(directory: broken.path) }
    }

    @Test(arguments: [
        ProbeOutcome.response(status: 502, server: "nginx/1.22.1"), .response(status: 200, server: nil),
        .failed(.refused), .failed(.noSuchFile), .failed(.permissionDenied), .failed(.backlogFull),
        .failed(.timedOut(phase: "connecting")), .failed(.reset), .failed(.closedEarly), .failed(.notHTTP),
        .failed(.other(errno: 113, message: "No route to host")), .failed(.unresolvable(host: "app.internal", message: "Name or service not known")),
        .failed(.notRecorded),
    ])
    func everyProbeOutcomeSurvivesTheFlatJSON(outcome: ProbeOutcome) throws {
        let result = ProbeResult(endpoint: .unix(path: "/run/app.sock"), path: "/health/", hostHeader: "example.com",
                                 outcome: outcome, elapsedMilliseconds: 7)
        let data = try SnapshotLayout.encoder().encode(RecordedProbe(result, wire: .uwsgi))
        let decoded = try SnapshotLayout.decoder().decode(RecordedProbe.self, from: data)
        #expect(decoded.result == result)
        #expect(decoded.wire == .uwsgi)
        #expect(!String(decoding: data, as: UTF8.self).contains("_0"))
    }

    @Test func copyPathsStayInsideFs() {
        #expect(SnapshotLayout.copyPath(for: "/etc/nginx/nginx.conf") == "fs/etc/nginx/nginx.conf")
        #expect(SnapshotLayout.copyPath(for: "/etc/nginx/../shadow") == "fs/etc/nginx/%2E%2E/shadow")
        #expect(SnapshotLayout.copyPath(for: "/srv/50%/./x") == "fs/srv/50%25/%2E/x")
        #expect(SnapshotLayout.isSafeCopyPath("fs/etc/nginx/%2E%2E/shadow"))
        #expect(!SnapshotLayout.isSafeCopyPath("fs/../etc/shadow"))
        #expect(!SnapshotLayout.isSafeCopyPath("/etc/shadow"))
        #expect(!SnapshotLayout.isSafeCopyPath("meta.json"))
    }

    @Test func inlineEnvironmentValuesNeverReachTheSnapshot() throws {
        let tree = try TemporaryDirectory()
        let supervisor = try tree.write("app.conf", """
            [program:app]
            command=/srv/venv/bin/gunicorn app.wsgi
            environment=STRIPE_LIVE="sk_live_51xyzzy",DJANGO_SETTINGS_MODULE="mysite.settings",EMPTY="",
                SENTRY_URL=https://xyzzy-public@o1.ingest.sentry.io/2
            autorestart=true

            """)
        let unit = try tree.write("app.service", """
            [Service]
            Environment="MAILGUN_KEY=key-xyzzy" PLAIN=xyzzy-plain \\
                OTHER='xyzzy other' EMPTY=
            Environment=DJANGO_SETTINGS_MODULE=mysite.settings
            EnvironmentFile=-/etc/default/app
            ExecStart=/srv/venv/bin/gunicorn app.wsgi

            """)
        let recorder = SnapshotRecorder(wrapping: LiveHost(), gwdoctorVersion: "0.0-test")
        _ = try recorder.readFile(supervisor, maxBytes: 10_000)
        recorder.maskInlineEnvironment(supervisor, dialect: .supervisor)
        _ = try recorder.readFile(unit, maxBytes: 10_000)
        recorder.maskInlineEnvironment(unit, dialect: .systemd)
        // A second read (another program in the same file) must not bring the values back.
        _ = try recorder.readFile(supervisor, maxBytes: 10_000)
        let output = try TemporaryDirectory()
        try recorder.write(to: output.file("snap"))
        let snapshot = try SnapshotHost(directory: output.file("snap"))
        let supervisorCopy = String(decoding: try snapshot.readFile(supervisor, maxBytes: 10_000), as: UTF8.self)
        let unitCopy = String(decoding: try snapshot.readFile(unit, maxBytes: 10_000), as: UTF8.self)
        #expect(!supervisorCopy.contains("xyzzy"), "\(supervisorCopy)")
        #expect(!unitCopy.contains("xyzzy"), "\(unitCopy)")
        #expect(unitCopy.contains("EnvironmentFile=-/etc/default/app"), "other keys stay as written")

        // The replay parses the same names, emptiness and settings module.
        let original = SupervisorProgramSources.parse(try String(contentsOfFile: supervisor, encoding: .utf8), file: supervisor)["app"]
        let replayed = SupervisorProgramSources.parse(supervisorCopy, file: supervisor)["app"]
        #expect(replayed?.environment == original?.environment)
        #expect(replayed?.environment.map(\.name) == ["STRIPE_LIVE", "DJANGO_SETTINGS_MODULE", "EMPTY", "SENTRY_URL"])
        let originalUnit = SystemdUnitFile.parse(try String(contentsOfFile: unit, encoding: .utf8), file: unit)
        let replayedUnit = SystemdUnitFile.parse(unitCopy, file: unit)
        #expect(replayedUnit.environmentNames == originalUnit.environmentNames)
        #expect(replayedUnit.environmentNames.map(\.name) == ["MAILGUN_KEY", "PLAIN", "OTHER", "EMPTY", "DJANGO_SETTINGS_MODULE"])
        #expect(replayedUnit.environmentNames.map(\.isEmpty) == [false, false, false, true, false])
        #expect(unitCopy.contains("DJANGO_SETTINGS_MODULE=mysite.settings"))
    }

    @Test func appServerConfigEnvironmentValuesNeverReachTheSnapshot() throws {
        let tree = try TemporaryDirectory()
        let ini = try tree.write("app.ini", """
            [uwsgi]
            socket = /run/app/uwsgi.sock
            env = DJANGO_SETTINGS_MODULE=mysite.settings
            env = DATABASE_URL=postgres://app:xyzzy-db@db/app
            env: API_TOKEN="xyzzy-token"
            harakiri = 30

            """)
        let gunicorn = try tree.write("gunicorn.conf.py", """
            bind = "unix:/run/app/gunicorn.sock"
            raw_env = ["DJANGO_SETTINGS_MODULE=mysite.settings", "STRIPE=xyzzy-1",
                       'OTHER=xyzzy-2',  # was KEY=xyzzy-3
                       "LAST=xyzzy-4"
            ]
            timeout = 60
            errorlog = "/var/log/app/error.log"

            """)
        let recorder = SnapshotRecorder(wrapping: LiveHost(), gwdoctorVersion: "0.0-test")
        _ = try recorder.readFile(ini, maxBytes: 10_000)
        recorder.maskInlineEnvironment(ini, dialect: .uwsgiIni)
        _ = try recorder.readFile(gunicorn, maxBytes: 10_000)
        recorder.maskInlineEnvironment(gunicorn, dialect: .gunicornConfig)
        let output = try TemporaryDirectory()
        try recorder.write(to: output.file("snap"))
        let snapshot = try SnapshotHost(directory: output.file("snap"))
        let iniCopy = String(decoding: try snapshot.readFile(ini, maxBytes: 10_000), as: UTF8.self)
        let gunicornCopy = String(decoding: try snapshot.readFile(gunicorn, maxBytes: 10_000), as: UTF8.self)
        #expect(!iniCopy.contains("xyzzy"), "\(iniCopy)")
        #expect(!gunicornCopy.contains("xyzzy"), "\(gunicornCopy)")
        #expect(iniCopy.contains("env = DJANGO_SETTINGS_MODULE=mysite.settings"))
        #expect(iniCopy.contains("env = DATABASE_URL="), "names stay: \(iniCopy)")
        #expect(gunicornCopy.contains("\"STRIPE=") && gunicornCopy.contains("'OTHER="))

        // What the diagnosis reads from these files parses the same from the copy.
        let originalINI = try String(contentsOfFile: ini, encoding: .utf8)
        #expect(UWSGIIniFile.binds(iniCopy, file: ini).binds == UWSGIIniFile.binds(originalINI, file: ini).binds)
        #expect(UWSGIIniFile.binds(iniCopy, file: ini).timeoutSeconds == 30)
        let originalConfig = try String(contentsOfFile: gunicorn, encoding: .utf8)
        #expect(GunicornConfigFile.binds(gunicornCopy, file: gunicorn).binds == GunicornConfigFile.binds(originalConfig, file: gunicorn).binds)
        #expect(GunicornConfigFile.binds(gunicornCopy, file: gunicorn).timeoutSeconds == 60)
        #expect(gunicornCopy.contains("errorlog = \"/var/log/app/error.log\""))
    }

    @Test func wholeReadBeatsTailAndTailSlicesOnReplay() throws {
        let tree = try TemporaryDirectory()
        let path = try tree.write("access.log", (0..<100).map { "line \($0)\n" }.joined())
        let recorder = SnapshotRecorder(wrapping: LiveHost(), gwdoctorVersion: "0.0-test")
        let whole = try recorder.readFile(path, maxBytes: 10_000)
        _ = try recorder.readTail(path, maxBytes: 20)
        let output = try TemporaryDirectory()
        try recorder.write(to: output.file("snap"))
        let snapshot = try SnapshotHost(directory: output.file("snap"))
        #expect(try snapshot.readFile(path, maxBytes: 10_000) == whole)
        let tail = try snapshot.readTail(path, maxBytes: 20)
        #expect(String(decoding: tail.bytes, as: UTF8.self) == "line 98\nline 99\n")
        #expect(tail.offset + UInt64(tail.bytes.count) == tail.fileSize)
    }
}

/// A host whose answers carry secrets in every place that is not a file.
private struct CannedHost: DoctorHost.Host {
    var isSnapshot: Bool { false }
    var referenceTime: Date { Date() }
    func readFile(_ path: String, maxBytes: Int) throws(HostError) -> [UInt8] { throw .notFound(path) }
    func readTail(_ path: String, maxBytes: Int) throws(HostError) -> FileTail { throw .notFound(path) }
    func status(_ path: String, followLinks: Bool) throws(HostError) -> FileStatus { throw .notFound(path) }
    func readLink(_ path: String) throws(HostError) -> String { throw .notFound(path) }
    func list(_ path: String) throws(HostError) -> [String] { throw .notFound(path) }
    func processes() throws(HostError) -> [ProcessRecord] {
        [ProcessRecord(pid: 10, ppid: 1, cmdline: ["gunicorn", "--env", "DJANGO_SECRET_KEY=xyzzy-cmdline", "--password", "xyzzy-pass"], comm: "gunicorn")]
    }
    func listeners(holders processes: [ProcessRecord]) throws(HostError) -> [Listener] { throw .permissionDenied("/proc") }
    func run(_ command: AllowedCommand, timeout: Duration, outputLimit: Int) async -> CommandResult {
        CommandResult(argv: command.argv, exitCode: 0, stdout: "DATABASE_URL=postgres://app:xyzzy-pw@db/app\n")
    }
    func probe(_ request: ProbeRequest) async -> ProbeResult {
        ProbeResult(endpoint: request.endpoint, path: request.path, hostHeader: request.hostHeader,
                    outcome: .response(status: 200, server: nil), elapsedMilliseconds: 3)
    }
}

/// A call's value or its host error, comparable.
private func capture<T: Equatable>(_ body: () throws -> T) -> Result<T, HostError> {
    do {
        return .success(try body())
    } catch let error as HostError {
        return .failure(error)
    } catch {
        return .failure(.io("unexpected", errno: 0, message: "\(error)"))
    }
}

/// Every regular file under `directory`, with its bytes.
private func allFiles(_ directory: String) throws -> [(String, [UInt8])] {
    let enumerator = FileManager.default.enumerator(atPath: directory)
    var files: [(String, [UInt8])] = []
    while let relative = enumerator?.nextObject() as? String {
        let path = "\(directory)/\(relative)"
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
        files.append((relative, [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))))
    }
    #expect(files.count >= 6)
    return files
}
