import DoctorFacts
import DoctorParsers
import Testing

@Suite("/proc and /etc parsers")
struct ProcParsersTests {
    @Test func tcpListenersAndQueues() {
        let entries = ProcNetTCP.parse(ProcFixtures.tcp)
        let listening = entries.filter(\.isListening)
        #expect(listening.map(\.localEndpoint) == [.tcp(host: "127.0.0.1", port: 8000), .tcp(host: "0.0.0.0", port: 80)])
        // One client connection waits in 127.0.0.1:8000's accept queue.
        #expect(listening.first?.rxQueue == 1)
        #expect(listening.first?.inode == 16900)
        #expect(listening.first?.txQueue == 0)
        let established = entries.first { $0.localPort == 36636 }
        #expect(established?.remoteAddress == "127.0.0.1")
        #expect(established?.remotePort == 8000)
        #expect(established?.state == 1)
        // TIME_WAIT rows belong to no file descriptor.
        #expect(entries.filter { $0.state == 6 }.allSatisfy { $0.inode == 0 })
    }

    @Test func tcp6WildcardLoopbackAndMapped() {
        let entries = ProcNetTCP.parse(ProcFixtures.tcp6)
        #expect(entries.count == 3)
        #expect(entries[0].localEndpoint == .tcp(host: "::", port: 8080))
        #expect(entries[0].isListening)
        #expect(entries[0].rxQueue == 1)
        #expect(entries[1].localEndpoint == .tcp(host: "::1", port: 9000))
        #expect(entries[2].localAddress == "::ffff:127.0.0.1")
        #expect(entries[2].remoteAddress == "::ffff:127.0.0.1")
        #expect(entries[2].remotePort == 55150)
        #expect(!entries[2].isListening)
    }

    @Test func headerAndGarbageLinesAreSkipped() {
        #expect(ProcNetTCP.parse("  sl  local_address rem_address   st\nnot a row\n   0: ZZZZ:1 0:0 0A\n").isEmpty)
        #expect(ProcNetTCP.parse("").isEmpty)
        #expect(ProcNetTCP.parseAddressPort("0100007F") == nil)
        #expect(ProcNetTCP.parseAddressPort("0100007:1F40") == nil)
    }

    @Test(arguments: [
        ([UInt8](repeating: 0, count: 16), "::"),
        ([UInt8](repeating: 0, count: 15) + [1], "::1"),
        ([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], "2001:db8::1"),
        ([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1], "2001:db8:0:1::1"),
        ([0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1], "2001:db8:1:0:1:1:1:1"),
        ([0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x02, 0x42, 0xac, 0xff, 0xfe, 0x11, 0, 0x02], "fe80::242:acff:fe11:2"),
        ([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 7], "::ffff:10.0.0.7"),
    ])
    func ipv6Text(bytes: [UInt8], text: String) {
        #expect(IPAddressText.ipv6(bytes) == text)
    }

    @Test func unixListenersAbstractAndUnnamed() {
        let entries = ProcNetUnix.parse(ProcFixtures.unix)
        #expect(entries.count == 6)
        let listening = entries.filter(\.isListening)
        #expect(listening.map(\.path) == ["/tmp/cap/gunicorn.sock", "@gwdoctor-abstract"])
        #expect(listening.allSatisfy { $0.isStream })
        #expect(listening.map(\.inode) == [16904, 16905])
        #expect(listening[1].isAbstract)
        // The accepted-but-unaccepted client end carries the path too, but does not listen.
        let client = entries.first { $0.state == 2 }
        #expect(client?.path == "/tmp/cap/gunicorn.sock")
        #expect(client?.isListening == false)
        #expect(entries.filter { $0.path == nil }.count == 3)
    }

    @Test func unixPathWithSpacesIsKept() {
        let line = "0000000000000000: 00000002 00000000 00010000 0001 01 4242 /run/my app/app.sock"
        #expect(ProcNetUnix.parseLine(line[...])?.path == "/run/my app/app.sock")
    }

    @Test func statusOfRootProcess() {
        let status = ProcStatus.parse(ProcFixtures.rootStatus)
        #expect(status.name == "python3")
        #expect(status.ppid == 6630)
        #expect(status.uid == 0)
        #expect(status.gid == 0)
        #expect(status.groups.isEmpty)
    }

    @Test func statusOfNginxWorker() {
        let status = ProcStatus.parse(ProcFixtures.workerStatus)
        #expect(status.name == "nginx")
        #expect(status.ppid == 12161)
        #expect(status.uids == [33, 33, 33, 33])
        #expect(status.gid == 33)
        #expect(status.groups == [33])
    }

    @Test func statusKeepsRealAndEffectiveApart() {
        let status = ProcStatus.parse("Name:\tsudo\nPPid:\t1\nUid:\t1000\t0\t0\t0\nGid:\t1000\t1000\t1000\t1000\nGroups:\t27 1000 \n")
        #expect(status.uid == 1000)
        #expect(status.effectiveUID == 0)
        #expect(status.groups == [27, 1000])
    }

    @Test func cmdlineRewrittenByNginx() {
        #expect(ProcCmdline.parse(ProcFixtures.nginxMasterCmdline) == ["nginx: master process nginx -c /tmp/cap/nginx.conf -e /tmp/cap/error.log"])
        #expect(ProcCmdline.parse(ProcFixtures.nginxWorkerCmdline) == ["nginx: worker process"])
    }

    @Test func cmdlinePlainArgv() {
        let bytes = Array("/usr/bin/python3\u{0}-m\u{0}gunicorn\u{0}--bind\u{0}unix:/run/app.sock\u{0}app.wsgi\u{0}".utf8)
        #expect(ProcCmdline.parse(bytes) == ["/usr/bin/python3", "-m", "gunicorn", "--bind", "unix:/run/app.sock", "app.wsgi"])
        #expect(ProcCmdline.parse([]) == [])
        // An empty argument in the middle is real and kept.
        #expect(ProcCmdline.parse(Array("a\u{0}\u{0}b\u{0}".utf8)) == ["a", "", "b"])
    }

    @Test func passwdAndGroup() {
        let accounts = AccountDatabase(passwd: ProcFixtures.passwd, group: ProcFixtures.group)
        #expect(accounts.user(uid: 33)?.name == "www-data")
        #expect(accounts.user(named: "caddy")?.home == "/var/lib/caddy")
        #expect(accounts.user(named: "postgres")?.gecos == "PostgreSQL administrator,,,")
        #expect(accounts.group(named: "www-data")?.members == ["caddy"])
        #expect(accounts.group(gid: 103)?.name == "ssl-cert")
        // caddy is in www-data through /etc/group, postgres in ssl-cert.
        #expect(accounts.groupIDs(ofUser: "caddy") == [995, 33])
        #expect(accounts.groupIDs(ofUser: "postgres") == [104, 103])
        #expect(accounts.groupIDs(ofUser: "nobody-here").isEmpty)
    }

    @Test func accountFilesWithDamage() {
        let passwd = "# comment\n\nbroken:line\nok:x:5:6::/:/bin/sh\n+::::::\n"
        #expect(AccountDatabase.parsePasswd(passwd).map(\.name) == ["ok"])
        #expect(AccountDatabase.parseGroup("g:x:7:a, b,,c\nbad\n").first?.members == ["a", "b", "c"])
    }

    @Test func listenersJoinInodesToPids() {
        let master = ProcessRecord(pid: 100, ppid: 1, cmdline: ["gunicorn: master"], comm: "gunicorn", socketInodes: [16904, 16900])
        let worker = ProcessRecord(pid: 101, ppid: 100, cmdline: ["gunicorn: worker"], comm: "gunicorn", socketInodes: [16904])
        let other = ProcessRecord(pid: 7, ppid: 1, cmdline: ["x"], comm: "x", socketInodes: [0, 16901])
        let listeners = ProcListeners.listeners(tcp: ProcFixtures.tcp, tcp6: ProcFixtures.tcp6, unix: ProcFixtures.unix,
                                                processes: [worker, master, other])
        #expect(listeners.map(\.endpoint) == [
            .tcp(host: "127.0.0.1", port: 8000), .tcp(host: "0.0.0.0", port: 80),
            .tcp(host: "::", port: 8080), .tcp(host: "::1", port: 9000),
            .unix(path: "/tmp/cap/gunicorn.sock"), .unix(path: "@gwdoctor-abstract"),
        ])
        #expect(listeners[0].pids == [100])
        #expect(listeners[0].acceptQueue == 1)
        #expect(listeners[2].pids == [7])
        #expect(listeners[4].pids == [100, 101])
        #expect(listeners[4].acceptQueue == nil)
        #expect(listeners[5].pids.isEmpty)
    }

    @Test func listenersWithMissingTables() {
        let listeners = ProcListeners.listeners(tcp: nil, tcp6: nil, unix: ProcFixtures.unix, processes: [])
        #expect(listeners.count == 2)
    }

    @Test func socketInodeFromFdLink() {
        #expect(ProcListeners.socketInode(fromLink: "socket:[16904]") == 16904)
        #expect(ProcListeners.socketInode(fromLink: "pipe:[18007]") == nil)
        #expect(ProcListeners.socketInode(fromLink: "/dev/null") == nil)
        #expect(ProcListeners.socketInode(fromLink: "socket:[]") == nil)
    }
}
