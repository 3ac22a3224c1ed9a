import DoctorFacts
@testable import DoctorHost
import Foundation
import Testing

@Suite("LiveHost process and listener tables")
struct LiveHostProcessTests {
    let host = LiveHost()

    @Test func processTableHoldsThisProcessWithItsSockets() throws {
        let (fd, port) = try Sockets.tcpListener()
        defer { close(fd) }
        let processes = try host.processes()
        let me = try #require(processes.first { $0.pid == Int(getpid()) })
        #expect(me.ppid == Int(getppid()))
        #expect(me.uid == Int(getuid()))
        #expect(me.user == "root" || getuid() != 0)
        #expect(!me.cmdline.isEmpty)
        #expect(!me.comm.isEmpty)
        #expect(me.cwd == FileManager.default.currentDirectoryPath)
        #expect(!me.socketInodes.isEmpty)
        #expect(processes.map(\.pid) == processes.map(\.pid).sorted())

        let listeners = try host.listeners()
        let mine = try #require(listeners.first { $0.endpoint == .tcp(host: "127.0.0.1", port: port) })
        #expect(mine.pids.contains(Int(getpid())))
        #expect(me.socketInodes.contains(mine.inode))
        #expect(mine.acceptQueue == 0)
    }

    @Test func unixAndIPv6ListenersAppear() throws {
        let dir = try TemporaryDirectory()
        let unixFD = try Sockets.unixListener(path: dir.file("gunicorn.sock"))
        defer { close(unixFD) }
        let (v6FD, port) = try Sockets.tcpListener(host: "::1")
        defer { close(v6FD) }
        let listeners = try host.listeners()
        let unix = try #require(listeners.first { $0.endpoint == .unix(path: dir.file("gunicorn.sock")) })
        #expect(unix.pids == [Int(getpid())])
        #expect(listeners.contains { $0.endpoint == .tcp(host: "::1", port: port) })
    }

    @Test func pendingConnectionsShowInAcceptQueue() throws {
        let (fd, port) = try Sockets.tcpListener()
        defer { close(fd) }
        var clients: [Int32] = []
        defer { clients.forEach { close($0) } }
        for _ in 0..<2 {
            let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = UInt16(port).bigEndian
            inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
            let result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            #expect(result == 0)
            clients.append(client)
        }
        let listener = try #require(try host.listeners().first { $0.endpoint == .tcp(host: "127.0.0.1", port: port) })
        #expect(listener.acceptQueue == 2)
    }

    @Test func vanishedProcessIsSkipped() async throws {
        // A pid that existed and was reaped: reading it must give nothing, not an error.
        let result = await host.runUnchecked(["/bin/sh", "-c", "echo $$"], timeout: .seconds(5), outputLimit: 100)
        let pid = try #require(Int(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(ProcessTable.record(pid: pid, proc: "/proc", accounts: .init()) == nil)
        #expect(try host.processes().allSatisfy { $0.pid != pid })
    }

    @Test func zombieStateParsing() {
        #expect(ProcessState.parseState("12 (sh) Z 1 12 12") == "Z")
        #expect(ProcessState.parseState("13 (we(ird) ) name) S 1") == "S")
        #expect(ProcessState.parseState("garbage") == nil)
        #expect(ProcessState.state(Int(getpid())) != nil)
    }
}
