import DoctorFacts
@testable import DoctorHost
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `ReleaseGatherer` on real directory trees through `LiveHost`: links relative and
/// absolute, dangling, looping, thousands of releases, an unreadable releases directory.
@Suite struct ReleaseGathererTests {
    /// A deploy root in a temp dir: `releases/<id>` copies of a small Django layout.
    struct Tree {
        let directory: TemporaryDirectory
        var root: String { directory.path + "/app" }

        init() throws {
            directory = try TemporaryDirectory()
            try FileManager.default.createDirectory(atPath: root + "/releases", withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: root + "/shared/venv/bin", withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: root + "/shared/venv/lib/python3.11/site-packages",
                                                    withIntermediateDirectories: true)
            try write("shared/venv/pyvenv.cfg", "home = /usr/bin\n")
            try write("shared/venv/bin/python", "")
            try write("shared/venv/bin/gunicorn", "#!/srv/app/shared/venv/bin/python\n")
        }

        func write(_ relative: String, _ text: String) throws {
            let path = root + "/" + relative
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        }

        /// A complete release: manage.py, mysite/wsgi.py, requirements.txt, venv → ../../shared/venv.
        func release(_ id: String, without: [String] = []) throws {
            for file in ["manage.py", "mysite/__init__.py", "mysite/wsgi.py", "requirements.txt"] where !without.contains(file) {
                try write("releases/\(id)/\(file)", "# \(file)\n")
            }
            if !without.contains("venv") {
                try FileManager.default.createSymbolicLink(atPath: root + "/releases/\(id)/venv", withDestinationPath: "../../shared/venv")
            }
        }

        func link(_ target: String, at name: String = "current") throws {
            unlink(root + "/" + name)
            try FileManager.default.createSymbolicLink(atPath: root + "/" + name, withDestinationPath: target)
        }

        func setModified(_ relative: String, _ seconds: time_t) {
            var times = [timeval(tv_sec: seconds, tv_usec: 0), timeval(tv_sec: seconds, tv_usec: 0)]
            utimes(root + "/" + relative, &times)
        }

        /// A supervisord program running gunicorn from `current`, as deploys configure it.
        var service: ManagedService {
            ManagedService(manager: "supervisor", name: "app", state: "FATAL",
                           command: ["\(root)/current/venv/bin/gunicorn", "--chdir", "\(root)/current",
                                     "--bind", "127.0.0.1:8000", "mysite.wsgi:application"],
                           binds: [AppServerBind(endpoint: .tcp(host: "127.0.0.1", port: 8000), raw: "127.0.0.1:8000", source: "command line")])
        }

        /// A running gunicorn master whose cwd is `cwd`, started through `current`.
        func facts(processCWD cwd: String?) -> Facts {
            var facts = Facts()
            if let cwd {
                let argv = ["\(root)/current/venv/bin/python", "\(root)/current/venv/bin/gunicorn", "--bind", "127.0.0.1:8000",
                            "mysite.wsgi:application"]
                facts.processes = [ProcessRecord(pid: 4242, ppid: 1, cmdline: argv, comm: "gunicorn", cwd: cwd)]
                facts.appServers = [AppServer(kind: "gunicorn", masterPID: 4242, workingDirectory: cwd,
                                              binds: [AppServerBind(endpoint: .tcp(host: "127.0.0.1", port: 8000), raw: "127.0.0.1:8000",
                                                                    source: "command line")], cmdline: argv)]
            }
            facts.services = [service]
            return facts
        }
    }

    private func gather(_ facts: Facts, host: any DoctorHost.Host = LiveHost()) -> (layouts: [ReleaseLayout], unavailable: [Unavailable]) {
        ReleaseGatherer(host: host, facts: facts).gather()
    }

    @Test func relativeLinkToAPartialRelease() throws {
        let tree = try Tree()
        try tree.release("1")
        try tree.release("2", without: ["mysite/wsgi.py"])
        try tree.link("releases/2")
        let (layouts, unavailable) = gather(tree.facts(processCWD: nil))
        let layout = try #require(layouts.first, "no root found; unavailable: \(unavailable)")
        #expect(layouts.count == 1)
        #expect(layout.root == tree.root)
        #expect(layout.current.state == .release)
        #expect(layout.current.target == "releases/2")
        #expect(layout.current.release == "2")
        #expect(layout.releases.map(\.id) == ["2", "1"])
        let contents = try #require(layout.currentContents)
        #expect(contents.missing.map(\.path) == ["\(tree.root)/releases/2/mysite/wsgi.py"], "\(contents.required)")
        #expect(contents.required.contains { $0.what == "manage.py" && $0.kind == .regular })
        #expect(contents.required.contains { $0.path == "\(tree.root)/releases/2/venv/bin/python" && $0.kind == .regular })
        #expect(layout.services.map(\.name) == ["app"])
    }

    @Test func missingManagePyAndVenvAreNamedWhenThePreviousReleaseHasThem() throws {
        let tree = try Tree()
        try tree.release("20261120093000")
        try tree.release("20261121093000", without: ["manage.py", "venv"])
        try tree.link("releases/20261121093000")
        let layout = try #require(gather(tree.facts(processCWD: nil)).layouts.first)
        let missing = Set(layout.currentContents?.missing.map(\.what) ?? [])
        #expect(missing.contains("manage.py"), "\(missing)")
        #expect(missing.contains("executable venv/bin/gunicorn"), "\(missing)")
        #expect(layout.currentContents?.missing.first { $0.what == "manage.py" }?.reason.contains("20261120093000") == true)
    }

    @Test func absoluteLinkAndAProcessStillInTheOldRelease() throws {
        let tree = try Tree()
        try tree.release("1")
        try tree.release("2")
        try tree.link(tree.root + "/releases/2")
        let layout = try #require(gather(tree.facts(processCWD: tree.root + "/releases/1")).layouts.first)
        #expect(layout.current.state == .release)
        #expect(layout.current.target == tree.root + "/releases/2")
        #expect(layout.current.release == "2")
        #expect(layout.currentContents?.missing.isEmpty == true, "\(layout.currentContents?.required ?? [])")
        let process = try #require(layout.processes.first)
        #expect(process.pid == 4242)
        #expect(process.release == "1")
        #expect(process.evidence == "/proc/4242/cwd → \(tree.root)/releases/1")
    }

    @Test func danglingLink() throws {
        let tree = try Tree()
        try tree.release("1")
        try tree.link("releases/9")
        let layout = try #require(gather(tree.facts(processCWD: nil)).layouts.first)
        #expect(layout.current.state == .dangling)
        #expect(layout.current.resolved == tree.root + "/releases/9")
        #expect(layout.currentContents == nil)
        #expect(layout.previousRelease(before: nil)?.id == "1")
    }

    @Test func linkLoopingToItself() throws {
        let tree = try Tree()
        try tree.release("1")
        try tree.link("current")
        let (layouts, _) = gather(tree.facts(processCWD: nil))
        let layout = try #require(layouts.first)
        #expect(layout.current.state == .loop)
        #expect(layout.current.target == "current")
    }

    @Test func currentAsARealDirectoryOrMissing() throws {
        let tree = try Tree()
        try tree.release("1")
        try FileManager.default.createDirectory(atPath: tree.root + "/current", withIntermediateDirectories: false)
        #expect(gather(tree.facts(processCWD: nil)).layouts.first?.current.state == .directory)
        try FileManager.default.removeItem(atPath: tree.root + "/current")
        #expect(gather(tree.facts(processCWD: nil)).layouts.first?.current.state == .missing)
    }

    @Test func aPathWithoutAReleasesDirectoryIsNoRoot() throws {
        let directory = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory.path + "/site/current", withIntermediateDirectories: true)
        var facts = Facts()
        facts.services = [ManagedService(manager: "supervisor", name: "app",
                                         command: ["/usr/bin/gunicorn", "--chdir", directory.path + "/site/current", "app:app"])]
        #expect(gather(facts).layouts.isEmpty)
    }

    /// Root reads everything: a permission-denied directory cannot be made for it, so this
    /// host answers EACCES for one path and passes everything else to the real machine.
    struct DenyingHost: DoctorHost.Host {
        let live = LiveHost()
        let denied: String
        var isSnapshot: Bool { false }
        var referenceTime: Date { live.referenceTime }
        func readFile(_ path: String, maxBytes: Int) throws(HostError) -> [UInt8] { try live.readFile(path, maxBytes: maxBytes) }
        func readTail(_ path: String, maxBytes: Int) throws(HostError) -> FileTail { try live.readTail(path, maxBytes: maxBytes) }
        func status(_ path: String, followLinks: Bool) throws(HostError) -> FileStatus { try live.status(path, followLinks: followLinks) }
        func readLink(_ path: String) throws(HostError) -> String { try live.readLink(path) }
        func list(_ path: String) throws(HostError) -> [String] {
            if path == denied { throw .permissionDenied(path) }
            return try live.list(path)
        }
        func processes() throws(HostError) -> [ProcessRecord] { [] }
        func listeners(holders processes: [ProcessRecord]) throws(HostError) -> [Listener] { [] }
        func run(_ command: AllowedCommand, timeout: Duration, outputLimit: Int) async -> CommandResult { await live.run(command, timeout: timeout, outputLimit: outputLimit) }
        func probe(_ request: ProbeRequest) async -> ProbeResult { await live.probe(request) }
    }

    @Test func unreadableReleasesDirectoryIsUnavailableAndTheRestStillGathered() throws {
        let tree = try Tree()
        try tree.release("1")
        try tree.link("releases/1")
        let (layouts, unavailable) = gather(tree.facts(processCWD: nil), host: DenyingHost(denied: tree.root + "/releases"))
        let layout = try #require(layouts.first)
        #expect(layout.releaseCount == nil)
        #expect(layout.releasesUnreadable?.contains("permission denied") == true)
        #expect(unavailable.contains { $0.what == "releases \(tree.root)/releases" })
        #expect(layout.current.state == .release)
        #expect(layout.currentContents?.missing.isEmpty == true)
    }

    @Test func tenThousandReleasesAreCountedButOnlyTheNewestListed() throws {
        let tree = try Tree()
        // The newest 30 are directories; the older ones plain files, which the gatherer lists
        // but never stats (removing 10,000 directories takes this filesystem half a minute).
        for id in 1...10_000 {
            let path = tree.root + "/releases/\(id)"
            if id > 9_970 { mkdir(path, 0o755) } else { close(open(path, O_CREAT | O_WRONLY, 0o644)) }
        }
        try tree.release("10000", without: ["venv"])
        try tree.link("releases/10000")
        let layout = try #require(gather(tree.facts(processCWD: nil)).layouts.first)
        #expect(layout.releaseCount == 10_000)
        #expect(layout.releases.count == ReleaseLayout.listedReleases)
        #expect(layout.releases.first?.id == "10000")
        #expect(layout.releases.map(\.id).prefix(3) == ["10000", "9999", "9998"])
        #expect(layout.previousRelease(before: "10000")?.id == "9999")
        #expect(layout.releases.allSatisfy { $0.kind == .directory })
    }

    /// Git-hash ids do not sort by time: the listing is ordered by mtime, and the rollback
    /// target is the release deployed before the current one.
    @Test func hashNamedReleasesAreOrderedByMtime() throws {
        let tree = try Tree()
        let ids = ["f00d", "a1b2", "c3d4"] // deployed in this order
        for (offset, id) in ids.enumerated() {
            try tree.release(id)
            tree.setModified("releases/\(id)", time_t(1_700_000_000 + offset * 100))
        }
        try tree.link("releases/c3d4")
        let layout = try #require(gather(tree.facts(processCWD: nil)).layouts.first)
        #expect(layout.releases.map(\.id) == ["c3d4", "a1b2", "f00d"])
        #expect(layout.previousRelease(before: "c3d4")?.id == "a1b2")
    }

    /// Another app on the host with its own virtualenv must not stand in for this root's.
    @Test func anotherAppsVenvIsNotThisRootsVenv() throws {
        let tree = try Tree()
        try tree.release("1")
        try tree.link("releases/1")
        let other = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: other.path + "/venv/bin", withIntermediateDirectories: true)
        try other.write("venv/pyvenv.cfg", "home = /usr/bin\n")
        var facts = Facts()
        facts.services = [
            ManagedService(manager: "supervisor", name: "other", command: [other.path + "/venv/bin/gunicorn", "--chdir", other.path, "other.wsgi:app"]),
            ManagedService(manager: "supervisor", name: "app", command: ["/usr/bin/gunicorn", "--chdir", tree.root + "/current", "mysite.wsgi:application"]),
        ]
        let layout = try #require(gather(facts).layouts.first)
        #expect(layout.dependencies == nil, "the venv of another app: \(String(describing: layout.dependencies))")
        #expect(layout.currentContents?.required.map(\.what).contains("module other.wsgi") == false)
        #expect(layout.currentContents?.required.map(\.what).contains("module mysite.wsgi") == true)
    }

    @Test func requirementsNewerThanTheVenv() throws {
        let tree = try Tree()
        try tree.release("1")
        try tree.write("releases/1/poetry.lock", "")
        try tree.link("releases/1")
        tree.setModified("shared/venv/pyvenv.cfg", 1_700_000_000)
        tree.setModified("shared/venv/lib/python3.11/site-packages", 1_700_000_100)
        tree.setModified("releases/1/poetry.lock", 1_600_000_000)
        let dependencies = try #require(gather(tree.facts(processCWD: nil)).layouts.first?.dependencies)
        #expect(dependencies.venv == tree.root + "/current/venv")
        #expect(dependencies.venvModified == 1_700_000_100)
        #expect(dependencies.venvModifiedSource.hasSuffix("site-packages"))
        #expect(dependencies.newerThanVenv.map(\.path) == [tree.root + "/releases/1/requirements.txt"])
    }

    @Test func socketHeldByAProcessFromTheOldRelease() throws {
        let tree = try Tree()
        try tree.release("1")
        try tree.release("2")
        try tree.link("releases/2")
        var facts = tree.facts(processCWD: tree.root + "/releases/1")
        let path = tree.root + "/current/run/app.sock"
        facts.listeners = [Listener(endpoint: .unix(path: path), inode: 7, pids: [4242])]
        facts.appServers[0].binds = [AppServerBind(endpoint: .unix(path: path), raw: "unix:" + path, source: "command line")]
        let socket = try #require(gather(facts).layouts.first?.sockets.first)
        #expect(socket.path == path)
        #expect(socket.realPath == tree.root + "/releases/2/run/app.sock")
        #expect(socket.release == "2")
        #expect(socket.kind == .missing)
        #expect(socket.holders == [4242])
        #expect(socket.holderReleases == ["1"])
    }

    /// A real process whose binary lies in a release (as a `--copies` venv's interpreter
    /// does) and whose cwd and argv say nothing: /proc/PID/exe finds the root and the release.
    @Test func processFoundByItsExecutableInARelease() throws {
        let tree = try Tree()
        try tree.release("1")
        try tree.release("2")
        try tree.link("releases/2")
        let binary = tree.root + "/releases/1/bin/sleep"
        try FileManager.default.createDirectory(atPath: tree.root + "/releases/1/bin", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "/bin/sleep", toPath: binary)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["30"]
        process.currentDirectoryURL = URL(fileURLWithPath: "/")
        try process.run()
        defer { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        let pid = Int(process.processIdentifier)
        var facts = Facts()
        facts.processes = [ProcessRecord(pid: pid, ppid: 1, cmdline: ["gunicorn", "app:app"], comm: "sleep", cwd: "/")]
        facts.appServers = [AppServer(kind: "gunicorn", masterPID: pid, workingDirectory: "/", cmdline: ["gunicorn", "app:app"])]
        let layout = try #require(gather(facts).layouts.first)
        #expect(layout.root == tree.root)
        #expect(layout.processes.first?.release == "1")
        #expect(layout.processes.first?.evidence == "/proc/\(pid)/exe → \(binary)")
        #expect(layout.discoveredFrom.contains { $0.contains("/proc/\(pid)/exe") })
    }

    @Test func pathHelpers() {
        #expect(ReleaseGatherer.normalize("/srv//app/./releases/../current/") == "/srv/app/current")
        #expect(ReleaseGatherer.candidateRoots("/srv/app/releases/3/src") == ["/srv/app"])
        #expect(ReleaseGatherer.candidateRoots("/srv/app/current") == ["/srv/app"])
        #expect(ReleaseGatherer.candidateRoots("/releases") == [])
        #expect(ReleaseGatherer.appModules(["gunicorn", "-b", "unix:/run/a.sock", "mysite.wsgi:application"]) == ["mysite.wsgi"])
        #expect(ReleaseGatherer.appModules(["uwsgi", "--module", "mysite.wsgi:application"]) == ["mysite.wsgi"])
        #expect(ReleaseGatherer.appModules(["uvicorn", "--host", "::1", "mysite.asgi:app"]) == ["mysite.asgi"])
        #expect(ReleaseEntry.isOlder("99", than: "100"))
        #expect(ReleaseEntry.isOlder("20261120093000", than: "20261121093000"))
    }
}
