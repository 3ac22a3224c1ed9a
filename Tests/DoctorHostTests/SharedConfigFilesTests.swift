@testable import DoctorHost
import DoctorFacts
import Foundation
import Testing

/// gunicorn.conf.py and uWSGI ini files are read once per diagnosis: the app-server,
/// named-log and bare-process gatherers all need them (binds and limits; the error log
/// they name), and each used to read and parse them itself.
@Suite("Config files read once per diagnosis")
struct SharedConfigFilesTests {
    @Test func threeGatherersOnTheLiveHostShareOneRead() throws {
        let dir = try TemporaryDirectory()
        let config = try dir.write("gunicorn.conf.py", "bind = 'unix:\(dir.path)/g.sock'\nerrorlog = '\(dir.path)/error.log'\ntimeout = 40\n")
        try dir.write("error.log", "")
        let process = ProcessRecord(pid: 4100, ppid: 4000, cmdline: ["/srv/venv/bin/gunicorn", "-c", config, "app.wsgi"],
                                    comm: "gunicorn", cwd: dir.path)
        let supervisord = ProcessRecord(pid: 4000, ppid: 1, cmdline: ["/usr/bin/python3", "/usr/bin/supervisord"], comm: "supervisord", cwd: "/")
        let service = ManagedService(manager: "supervisor", name: "app", state: "RUNNING", pid: 4100, command: process.cmdline)
        let host = ReadCountingHost(LiveHost())
        let configs = SharedConfigFiles(host: host)
        let apps = AppServerGatherer(host: host, processes: [supervisord, process], listeners: [], services: [service],
                                     configs: configs).gather()
        let named = NamedLogFileGatherer(host: host, windowStart: Date(timeIntervalSince1970: 0), configs: configs).complete([service])
        _ = BareProcessLogGatherer(host: host, processes: [supervisord, process], appServers: apps.servers, services: named.services,
                                   windowStart: Date(timeIntervalSince1970: 0), configs: configs).gather()
        #expect(apps.servers.first?.timeoutSeconds == 40)
        #expect(named.services.first?.logFiles.contains(dir.file("error.log")) == true, "the errorlog the config names")
        #expect(host.readCount(config) == 1)
    }

    @Test func aFailedReadIsRememberedToo() {
        let host = ReadCountingHost(LiveHost())
        let configs = SharedConfigFiles(host: host)
        let path = "/nonexistent-gwdoctor-dir/gunicorn.conf.py"
        for _ in 0..<3 {
            guard case .failure(.notFound) = configs.gunicorn(path, directory: nil) else {
                Issue.record("a missing file is notFound")
                return
            }
        }
        #expect(host.readCount(path) == 1)
    }
}
