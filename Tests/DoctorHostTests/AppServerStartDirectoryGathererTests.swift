@testable import DoctorHost
import DoctorFacts
import Foundation
import Testing

/// `AppServerGatherer` on real files of this machine (`LiveHost`, wrapped to record reads)
/// with a process table written by hand: a relative `-c` is read from the directory the
/// server was started in (its cwd without `--chdir`, else its service's directory), and
/// with neither known it is not read at all — never from gwdoctor's own directory.
@Suite("App-server config files and start directories")
struct AppServerStartDirectoryGathererTests {
    private func gunicorn(pid: Int = 4100, ppid: Int = 4000, cwd: String?, _ arguments: [String]) -> ProcessRecord {
        ProcessRecord(pid: pid, ppid: ppid, cmdline: ["/srv/venv/bin/gunicorn"] + arguments + ["app.wsgi"],
                      comm: "gunicorn", cwd: cwd)
    }

    @Test func theProcessDirectoryLocatesARelativeConfig() throws {
        let dir = try TemporaryDirectory()
        try dir.write("gunicorn.conf.py", "bind = 'unix:\(dir.path)/right.sock'\n")
        let host = ReadCountingHost(LiveHost())
        let result = AppServerGatherer(host: host, processes: [gunicorn(cwd: dir.path, ["-c", "gunicorn.conf.py"])],
                                       listeners: []).gather()
        let server = try #require(result.servers.first)
        #expect(server.endpoints == [.unix(path: dir.file("right.sock"))])
        #expect(host.readPaths.allSatisfy { $0.hasPrefix("/") })
    }

    @Test func theSupervisorDirectoryLocatesAConfigTheChdirHides() throws {
        let dir = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir.file("src"), withIntermediateDirectories: false)
        try dir.write("gunicorn.conf.py", "bind = 'unix:app.sock'\ntimeout = 77\n")
        // A decoy where the cwd-based guess would look: it must not be read.
        try dir.write("src/gunicorn.conf.py", "bind = '127.0.0.1:9999'\n")
        let supervisord = ProcessRecord(pid: 4000, ppid: 1, cmdline: ["/usr/bin/python3", "/usr/bin/supervisord"],
                                        comm: "supervisord", cwd: "/")
        let process = gunicorn(cwd: dir.file("src"), ["--chdir", dir.file("src"), "-c", "gunicorn.conf.py"])
        var service = ManagedService(manager: "supervisor", name: "site", state: "RUNNING", pid: 4100, command: process.cmdline)
        service.definition = ServiceDefinition(workingDirectory: ServicePath(path: dir.path, kind: .directory))
        let host = ReadCountingHost(LiveHost())
        let result = AppServerGatherer(host: host, processes: [supervisord, process], listeners: [], services: [service]).gather()
        let server = try #require(result.servers.first)
        // The socket is relative to where gunicorn runs after --chdir.
        #expect(server.endpoints == [.unix(path: dir.file("src/app.sock"))])
        #expect(server.timeoutSeconds == 77)
        #expect(host.readCount(dir.file("gunicorn.conf.py")) == 1)
        #expect(host.readCount(dir.file("src/gunicorn.conf.py")) == 0)
    }

    @Test func noKnownStartDirectoryLeavesTheBindsUnknown() throws {
        // cwd unreadable (nil), a --chdir, no service: which gunicorn.conf.py is unknown.
        let host = ReadCountingHost(LiveHost())
        let process = gunicorn(cwd: nil, ["--chdir", "/srv/site", "-c", "gunicorn.conf.py"])
        let result = AppServerGatherer(host: host, processes: [process], listeners: []).gather()
        let server = try #require(result.servers.first)
        #expect(host.readPaths.allSatisfy { $0.hasPrefix("/") }, "read as written it is gwdoctor's own ./gunicorn.conf.py")
        #expect(!host.readPaths.contains("gunicorn.conf.py"))
        #expect(server.binds.map(\.raw) == ["unknown (relative path gunicorn.conf.py, start directory unknown)"])
        #expect(server.endpoints.isEmpty, "not gunicorn's default 127.0.0.1:8000: the file may set another")
        #expect(server.limits.notes.contains { $0.contains("start directory unknown") })
    }

    @Test func aSystemdUnitWithoutWorkingDirectoryStartsInRoot() throws {
        let process = gunicorn(ppid: 1, cwd: "/srv/site", ["--chdir", "/srv/site", "-c", "etc/gunicorn.conf.py"])
        let service = ManagedService(manager: "systemd", name: "site.service", state: "active", pid: 4100, command: process.cmdline)
        let host = ReadCountingHost(LiveHost())
        _ = AppServerGatherer(host: host, processes: [process], listeners: [], services: [service]).gather()
        #expect(host.readPaths.contains("/etc/gunicorn.conf.py"))
        #expect(!host.readPaths.contains("/srv/site/etc/gunicorn.conf.py"))
    }
}
