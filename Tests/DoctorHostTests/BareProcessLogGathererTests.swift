@testable import DoctorHost
import DoctorFacts
import Foundation
import Testing

/// The bare-process and named-log gatherers on this machine (`LiveHost`): real processes
/// whose stdout/stderr are files, real files that are not logs. The app-server facts are
/// built by hand (a `sleep` stands in for the server: only its pid's /proc entries are read).
@Suite("Bare process logs on the live host")
struct BareProcessLogGathererTests {
    /// A real gunicorn boot failure, as the lab captured it (Tests/DoctorParsersTests/Fixtures/applogs).
    private static let traceback = """
        [2026-11-21 09:16:43 +0000] [14376] [INFO] Starting gunicorn 27.0.1
        [2026-11-21 09:16:43 +0000] [14376] [INFO] Listening at: http://127.0.0.1:8000 (14376)
        [2026-11-21 09:16:43 +0000] [14377] [ERROR] Exception in worker process
        Traceback (most recent call last):
          File "/srv/app/labsite/settings.py", line 14, in <module>
            SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
          File "<frozen os>", line 679, in __getitem__
        KeyError: 'DJANGO_SECRET_KEY'

        """

    /// `sleep 10` with stdout and stderr appended to `log`, as `nohup server >> log 2>&1 &` leaves it.
    private func sleeper(loggingTo log: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sleep")
        process.arguments = ["10"]
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        handle.seekToEndOfFile()
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return process
    }

    private func window(_ now: Date = Date()) -> Date { now.addingTimeInterval(-86400 * 365 * 2) }

    @Test func aRunningBareServersRedirectedStderrIsRead() throws {
        let dir = try TemporaryDirectory()
        let log = try dir.write("app.log", Self.traceback)
        let process = try sleeper(loggingTo: log)
        defer { process.terminate() }
        let pid = Int(process.processIdentifier)
        let server = AppServer(kind: "gunicorn", masterPID: pid, cmdline: ["/srv/venv/bin/gunicorn", "app.wsgi:application"])
        let host = LiveHost()
        let table = try host.processes()
        let result = BareProcessLogGatherer(host: host, processes: table, appServers: [server], services: [],
                                            windowStart: window()).gather()
        let service = try #require(result.services.first { $0.pid == pid })
        #expect(service.manager == "none")
        #expect(service.logFiles == [log], "fd 1 and 2 are the same file: read once")
        #expect(service.startupFailures.last?.cause == .missingEnvVar)
        #expect(service.startupFailures.last?.source == "\(log):8")
    }

    @Test func aServerAManagerRunsIsNotBare() throws {
        let dir = try TemporaryDirectory()
        let log = try dir.write("app.log", Self.traceback)
        let process = try sleeper(loggingTo: log)
        defer { process.terminate() }
        let pid = Int(process.processIdentifier)
        let server = AppServer(kind: "gunicorn", masterPID: pid, cmdline: ["gunicorn", "app:app"])
        let managed = ManagedService(manager: "supervisor", name: "app", state: "RUNNING", pid: pid)
        let host = LiveHost()
        let result = BareProcessLogGatherer(host: host, processes: try host.processes(), appServers: [server], services: [managed],
                                            windowStart: window()).gather()
        #expect(!result.services.contains { $0.pid == pid })
        let byCommand = ManagedService(manager: "systemd", name: "app.service", command: ["gunicorn", "app:app"])
        let again = BareProcessLogGatherer(host: host, processes: try host.processes(), appServers: [server], services: [byCommand],
                                           windowStart: window()).gather()
        #expect(!again.services.contains { $0.pid == pid })
    }

    @Test func aNamedLogThatIsADirectoryIsUnavailableAndTheRestGoesOn() throws {
        let dir = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir.file("errdir"), withIntermediateDirectories: true)
        let good = try dir.write("good.log", Self.traceback)
        let services = [
            ManagedService(manager: "supervisor", name: "broken", command: ["gunicorn", "--error-logfile", dir.file("errdir"), "app:app"]),
            ManagedService(manager: "supervisor", name: "missing", command: ["gunicorn", "--error-logfile", dir.file("none.log"), "app:app"]),
            ManagedService(manager: "systemd", name: "good.service", command: ["gunicorn", "--log-file=\(good)", "app:app"]),
        ]
        let result = NamedLogFileGatherer(host: LiveHost(), windowStart: window()).complete(services)
        #expect(result.services.count == 3)
        #expect(result.services[0].startupFailures.isEmpty && result.services[0].logFiles.isEmpty)
        #expect(result.unavailable.contains { $0.what.contains("errdir") }, "\(result.unavailable)")
        // Not written yet: nothing to read, and nothing to report.
        #expect(result.services[1].logFiles.isEmpty && !result.unavailable.contains { $0.what.contains("none.log") })
        #expect(result.services[2].logFiles == [good])
        #expect(result.services[2].startupFailures.last?.cause == .missingEnvVar)
    }

    @Test func aBinaryOrHugeLogDoesNotStopTheGathering() throws {
        let dir = try TemporaryDirectory()
        var bytes = [UInt8](repeating: 0, count: 1 << 20)
        for index in bytes.indices { bytes[index] = UInt8(truncatingIfNeeded: index &* 2_654_435_761 >> 13) }
        let path = dir.file("binary.log")
        try Data(bytes + Array(Self.traceback.utf8)).write(to: URL(fileURLWithPath: path))
        let service = ManagedService(manager: "supervisor", name: "app", command: ["gunicorn", "--error-logfile", path, "app:app"])
        let result = NamedLogFileGatherer(host: LiveHost(), windowStart: window()).complete([service])
        #expect(result.services.first?.logFiles == [path])
        // The traceback at its end is still found in the window's tail.
        #expect(result.services.first?.startupFailures.last?.cause == .missingEnvVar)
    }
}
