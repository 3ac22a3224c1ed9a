@testable import DoctorHost
import DoctorFacts
import DoctorParsers
import Foundation
import Testing

/// SystemdGatherer on real files through `LiveHost`, with its unit directories pointed at
/// temporary ones (the real /etc/systemd/system is not ours to write). systemd is not PID 1 on
/// this host, so the real `systemctl` answers "cannot operate": the unit files' facts must
/// survive that as one `Unavailable`.
@Suite struct SystemdGathererUnitTests {
    private func gather(_ directories: [String], processes: [ProcessRecord] = [], namespace: String? = nil) async
        -> (services: [ManagedService], unavailable: [Unavailable]) {
        var gatherer = SystemdGatherer(host: LiveHost(), processes: processes, options: GatherOptions(commandTimeout: .seconds(10)),
                                       windowStart: Date().addingTimeInterval(-900), proxyNamespace: namespace)
        gatherer.unitDirectories = directories
        return await gatherer.gather()
    }

    private func makeDirectories(_ root: TemporaryDirectory) throws -> (etc: String, lib: String) {
        let etc = root.file("etc"), lib = root.file("lib")
        try FileManager.default.createDirectory(atPath: etc, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: lib, withIntermediateDirectories: true)
        return (etc, lib)
    }

    @Test func findsTheAppServerUnitAmongHundredsAndSurvivesCannotOperate() async throws {
        let root = try TemporaryDirectory()
        let (etc, lib) = try makeDirectories(root)
        for index in 0..<300 {
            try Data("[Unit]\nDescription=distro \(index)\n[Service]\nExecStart=/usr/sbin/daemon\(index) --foreground\n".utf8)
                .write(to: URL(fileURLWithPath: "\(lib)/distro\(index).service"))
        }
        try Data("[Service]\nExecStart=/srv/venv/bin/gunicorn --bind unix:/run/app/app.sock app.wsgi\nWorkingDirectory=/srv/app\nRestart=always\n".utf8)
            .write(to: URL(fileURLWithPath: "\(lib)/app.service"))
        // /etc wins over /lib for the same name, and its drop-ins apply in file-name order.
        try Data("[Service]\nExecStart=/srv/venv/bin/gunicorn --bind 127.0.0.1:8000 app.wsgi\nWorkingDirectory=/srv/app\n".utf8)
            .write(to: URL(fileURLWithPath: "\(etc)/app.service"))
        try FileManager.default.createDirectory(atPath: "\(etc)/app.service.d", withIntermediateDirectories: true)
        try Data("[Service]\nExecStart=\nExecStart=/srv/venv/bin/gunicorn --bind 127.0.0.1:9000 app.wsgi\n".utf8)
            .write(to: URL(fileURLWithPath: "\(etc)/app.service.d/10-port.conf"))
        try Data("[Service]\nEnvironment=DJANGO_SETTINGS_MODULE=app.settings\n".utf8)
            .write(to: URL(fileURLWithPath: "\(etc)/app.service.d/20-env.conf"))
        // A template runs nothing by itself.
        try Data("[Service]\nExecStart=/usr/bin/uwsgi --ini /etc/uwsgi/%i.ini\n".utf8).write(to: URL(fileURLWithPath: "\(lib)/uwsgi-app@.service"))

        let result = await gather([etc, lib])
        #expect(result.services.map(\.name) == ["app.service"])
        let app = try #require(result.services.first)
        #expect(app.manager == "systemd" && app.state == nil)
        #expect(app.binds.compactMap(\.endpoint) == [.tcp(host: "127.0.0.1", port: 9000)])
        #expect(app.source == "\(etc)/app.service.d/10-port.conf:3")
        #expect(app.definition?.settingsModule?.module == "app.settings")
        #expect(app.definition?.restart == nil, "the /lib copy's Restart= is masked by /etc's file")
        let systemd = result.unavailable.filter { $0.what.contains("systemctl") || $0.what.contains("journal") }
        #expect(systemd.count == 1, "\(result.unavailable)")
        // This host: systemd is not PID 1 (or systemctl is not installed at all).
        #expect(systemd.first.map { $0.reason.contains("cannot operate") || $0.reason.contains("systemctl") } == true)
    }

    @Test func aDropInThatRunsTheServerIsFoundThoughTheUnitFileDoesNotNameIt() async throws {
        // `systemctl edit --full` is not always used: `systemctl edit legacy.service` leaves the
        // unit's own file as it was and puts the new ExecStart= in a drop-in. Not running, so the
        // unit must be found by its files alone.
        let root = try TemporaryDirectory()
        let (etc, lib) = try makeDirectories(root)
        try Data("[Unit]\nDescription=legacy site\n[Service]\nExecStart=/usr/sbin/legacyd --foreground\n".utf8)
            .write(to: URL(fileURLWithPath: "\(lib)/legacy.service"))
        try FileManager.default.createDirectory(atPath: "\(etc)/legacy.service.d", withIntermediateDirectories: true)
        try Data("[Service]\nExecStart=\nExecStart=/srv/venv/bin/gunicorn --bind 127.0.0.1:8100 site.wsgi\n".utf8)
            .write(to: URL(fileURLWithPath: "\(etc)/legacy.service.d/override.conf"))
        try Data("[Service]\nExecStart=/usr/sbin/cron -f\n".utf8).write(to: URL(fileURLWithPath: "\(lib)/cron.service"))
        let result = await gather([etc, lib])
        #expect(result.services.map(\.name) == ["legacy.service"])
        #expect(result.services.first?.binds.compactMap(\.endpoint) == [.tcp(host: "127.0.0.1", port: 8100)])
    }

    @Test func socketActivationGivesTheBindAndPrivateNetworkDropsTCP() async throws {
        let root = try TemporaryDirectory()
        let (etc, _) = try makeDirectories(root)
        try Data("[Service]\nExecStart=/srv/venv/bin/gunicorn app.wsgi\nRuntimeDirectory=app\n".utf8)
            .write(to: URL(fileURLWithPath: "\(etc)/web.service"))
        try Data("[Socket]\nListenStream=/run/web/web.sock\n".utf8).write(to: URL(fileURLWithPath: "\(etc)/web.socket"))
        try Data("[Service]\nExecStart=/srv/venv/bin/uvicorn api:app --host 127.0.0.1 --port 8001 --uds /run/api.sock\nPrivateNetwork=yes\n".utf8)
            .write(to: URL(fileURLWithPath: "\(etc)/api.service"))
        let result = await gather([etc], namespace: "net:[4026531840]")
        let web = try #require(result.services.first { $0.name == "web.service" })
        #expect(web.binds.contains { $0.endpoint == .unix(path: "/run/web/web.sock") && $0.source == "\(etc)/web.socket:2" })
        #expect(web.definition?.bootCreatedDirectories.map(\.value) == ["/run/web"])
        let api = try #require(result.services.first { $0.name == "api.service" })
        #expect(api.binds.compactMap(\.endpoint) == [.unix(path: "/run/api.sock")], "its loopback is not the proxy's")
    }

    @Test func dynamicUserAndExecStartPreMkdirReachTheDefinition() async throws {
        let root = try TemporaryDirectory()
        let (etc, _) = try makeDirectories(root)
        try Data("""
            [Service]
            DynamicUser=yes
            User=gwdoctor-no-such-user
            ExecStartPre=/bin/mkdir -p /run/dyn
            ExecStart=/srv/venv/bin/gunicorn --bind unix:/run/dyn/app.sock app.wsgi

            """.utf8).write(to: URL(fileURLWithPath: "\(etc)/dyn.service"))
        try Data("[Service]\nUser=gwdoctor-no-such-user\nExecStart=/srv/venv/bin/gunicorn --bind unix:/run/plain/app.sock app.wsgi\n".utf8)
            .write(to: URL(fileURLWithPath: "\(etc)/plain.service"))
        let result = await gather([etc])
        let dynamic = try #require(result.services.first { $0.name == "dyn.service" }?.definition)
        #expect(dynamic.user?.exists == true, "DynamicUser= allocates the account at start")
        #expect(dynamic.bootCreatedDirectories.map(\.value).contains("/run/dyn"), "\(dynamic.bootCreatedDirectories)")
        let plain = try #require(result.services.first { $0.name == "plain.service" }?.definition)
        #expect(plain.user?.exists == false)
        #expect(!plain.bootCreatedDirectories.map(\.value).contains("/run/plain"))
    }

    @Test func unreadableAndHugeUnitFilesAreUnavailableNotFatal() async throws {
        let root = try TemporaryDirectory()
        let (etc, _) = try makeDirectories(root)
        var huge = Data("[Service]\nExecStart=/srv/venv/bin/gunicorn app.wsgi\n#".utf8)
        huge.append(Data(repeating: UInt8(ascii: "x"), count: 2 << 20))
        try huge.write(to: URL(fileURLWithPath: "\(etc)/huge.service"))
        try Data([0xFF, 0xFE, 0x00, 0x01, 0x9F]).write(to: URL(fileURLWithPath: "\(etc)/binary.service"))
        try Data("[Service]\nExecStart=/srv/venv/bin/gunicorn -b :8000 ok.wsgi\n".utf8).write(to: URL(fileURLWithPath: "\(etc)/ok.service"))
        let result = await gather([etc])
        #expect(result.services.map(\.name) == ["ok.service"])
        #expect(result.unavailable.contains { $0.what == "systemd unit \(etc)/huge.service" && $0.reason.contains("limit") })
    }

    @Test func systemctlProblems() {
        let argv = ["systemctl", "show"]
        #expect(SystemdGatherer.systemctlProblem(CommandResult(argv: argv, exitCode: nil, failure: "timed out after 10s"))
            == "systemctl: timed out after 10s")
        #expect(SystemdGatherer.systemctlProblem(CommandResult(argv: argv, exitCode: 1,
            stderr: "System has not been booted with systemd as init system (PID 1). Can't operate.\nFailed to connect to bus: Host is down\n"))?
            .contains("systemd is not PID 1") == true)
        #expect(SystemdGatherer.systemctlProblem(CommandResult(argv: argv, exitCode: 0, stdout: "ActiveState=active\n")) == nil)
        #expect(SystemdGatherer.systemctlProblem(CommandResult(argv: argv, exitCode: 1, stderr: "Access denied\n")) == "systemctl show exited with 1: Access denied")
    }

    @Test func journalReadReplaysWhenTheWindowStartMovedASecond() async throws {
        // The real journalctl of this host, recorded, then asked again by a replay whose window
        // (computed from the capture time) starts a second earlier.
        let root = try TemporaryDirectory()
        let recorder = SnapshotRecorder(wrapping: LiveHost(), gwdoctorVersion: "test")
        let live = await recorder.run(.journal(unit: "gwdoctor-test.service", sinceEpoch: 1_795_256_101), timeout: .seconds(10),
                                      outputLimit: 1 << 20)
        try recorder.write(to: root.file("snap"))
        let replay = try SnapshotHost(directory: root.file("snap"))
        let same = await replay.run(.journal(unit: "gwdoctor-test.service", sinceEpoch: 1_795_256_100), timeout: .seconds(1), outputLimit: 1 << 20)
        #expect(same.failure == live.failure && same.exitCode == live.exitCode && same.stdout == live.stdout)
        #expect(same.argv.contains("@1795256100"), "the replayed result answers the argv asked")
        let other = await replay.run(.journal(unit: "other.service", sinceEpoch: 1_795_256_100), timeout: .seconds(1), outputLimit: 1 << 20)
        #expect(other.failure == "not recorded in snapshot")
        let show = await replay.run(.systemctlShow(units: ["gwdoctor-test.service"]), timeout: .seconds(1), outputLimit: 1 << 20)
        #expect(show.failure == "not recorded in snapshot", "only --since is matched loosely")
    }

    @Test func logFileOptions() {
        #expect(SystemdGatherer.logFileOptions(["gunicorn", "--error-logfile", "/var/log/app/error.log", "--access-logfile=/var/log/app/access.log",
                                                "--log-file", "-"]) == ["/var/log/app/error.log", "/var/log/app/access.log"])
    }

    @Test func kernelKillsAttributedByPidOrByUnitAndTime() {
        let time = Date(timeIntervalSince1970: 1_795_256_618)
        var service = ManagedService(manager: "systemd", name: "myapp.service", state: "active")
        service.kills = [WorkerKill(reason: .signal, pid: 35, line: "Worker (pid:35) was sent SIGKILL! Perhaps out of memory?", source: "journal", time: time),
                         WorkerKill(reason: .signal, pid: 40, line: "Worker (pid:40) was sent SIGKILL! Perhaps out of memory?", source: "journal",
                                    time: time.addingTimeInterval(60))]
        let kernel = [KernelOOMKill(pid: 17459, process: "gunicorn", cgroup: "/system.slice/myapp.service", cgroupLimit: true,
                                    line: "Memory cgroup out of memory: Killed process 17459 (gunicorn)", time: time.addingTimeInterval(0.4)),
                      KernelOOMKill(pid: 99, process: "python", cgroup: "/system.slice/other.service", cgroupLimit: true,
                                    line: "Memory cgroup out of memory: Killed process 99 (python)", time: time)]
        let attributed = KernelLogGatherer.attribute(kernel, to: service)
        #expect(attributed.kills.map(\.reason) == [.outOfMemory, .signal], "pid 40 died 60 s later with no kernel line: a kill -9")
        var supervised = ManagedService(manager: "supervisor", name: "app", state: "RUNNING")
        supervised.kills = [WorkerKill(reason: .signal, pid: 99, line: "Worker (pid:99) was sent SIGKILL!", source: "/var/log/app.err:3", time: nil)]
        #expect(KernelLogGatherer.attribute(kernel, to: supervised).kills.map(\.reason) == [.outOfMemory])
    }
}
