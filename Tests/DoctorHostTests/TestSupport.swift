import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A fresh directory under /tmp, removed when the value goes away. Short paths on
/// purpose: unix socket paths must fit 107 bytes.
final class TemporaryDirectory: Sendable {
    let path: String

    init() throws {
        var template = Array("/tmp/gwd-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer -> Bool in
            guard let base = buffer.baseAddress else { return false }
            return mkdtemp(base) != nil
        }
        guard made else { throw POSIXFailure(call: "mkdtemp", code: errno) }
        path = String(cString: template.map { UInt8(bitPattern: $0) })
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    func file(_ name: String) -> String { "\(path)/\(name)" }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let target = file(name)
        try Data(text.utf8).write(to: URL(fileURLWithPath: target))
        return target
    }
}

struct POSIXFailure: Error, CustomStringConvertible {
    let call: String
    let code: Int32
    var description: String { "\(call): \(String(cString: strerror(code)))" }
}

/// Socket helpers for real loopback peers.
enum Sockets {
    /// A listening TCP socket on `host` (an IPv4 or IPv6 literal) and a free port.
    static func tcpListener(host: String = "127.0.0.1", backlog: Int32 = 16) throws -> (fd: Int32, port: Int) {
        let v6 = host.contains(":")
        let fd = socket(v6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw POSIXFailure(call: "socket", code: errno) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var result: Int32
        if v6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            inet_pton(AF_INET6, host, &address.sin6_addr)
            result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            inet_pton(AF_INET, host, &address.sin_addr)
            result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        guard result == 0 else { close(fd); throw POSIXFailure(call: "bind", code: errno) }
        guard listen(fd, backlog) == 0 else { close(fd); throw POSIXFailure(call: "listen", code: errno) }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        let port = withUnsafePointer(to: &storage) { pointer -> Int in
            if v6 {
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
            }
            return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
        }
        return (fd, port)
    }

    /// A port on 127.0.0.1 that was free a moment ago and has nothing listening now.
    static func closedPort() throws -> Int {
        let (fd, port) = try tcpListener()
        close(fd)
        return port
    }

    /// A unix stream socket bound at `path` and listening.
    static func unixListener(path: String, backlog: Int32 = 16) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw POSIXFailure(call: "socket", code: errno) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in raw.copyBytes(from: Array(path.utf8)) }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard result == 0 else { close(fd); throw POSIXFailure(call: "bind", code: errno) }
        guard listen(fd, backlog) == 0 else { close(fd); throw POSIXFailure(call: "listen", code: errno) }
        return fd
    }

    /// A non-blocking client connect to a unix path; returns the fd or the errno.
    static func unixConnectNonBlocking(path: String) -> (fd: Int32, error: Int32) {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in raw.copyBytes(from: Array(path.utf8)) }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if result == 0 { return (fd, 0) }
        let code = errno
        close(fd)
        return (-1, code)
    }
}

/// A real peer on a listening socket, accepting on its own thread and answering each
/// connection the way a test needs.
final class LoopbackServer: Sendable {
    enum Behaviour: Sendable {
        /// Read the request head, then write these bytes and close.
        case respond(String)
        /// Close as soon as the connection is accepted.
        case closeImmediately
        /// Write bytes that are not HTTP and keep the connection open.
        case sendGarbage(String)
    }

    let fd: Int32
    private let requests = Mutex<[String]>([])
    private let done = DispatchSemaphore(value: 0)

    init(listeningOn fd: Int32, behaviour: Behaviour) {
        self.fd = fd
        let thread = Thread { [self] in
            acceptLoop(behaviour)
            done.signal()
        }
        thread.start()
    }

    /// Requests received so far, as text.
    var received: [String] { requests.withLock { $0 } }

    /// Stops accepting (shutdown wakes the blocked accept) and closes the listener.
    func stop() {
        shutdown(fd, Int32(SHUT_RDWR))
        _ = done.wait(timeout: .now() + 2)
        close(fd)
    }

    private func acceptLoop(_ behaviour: Behaviour) {
        while true {
            let client = accept(fd, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                return
            }
            switch behaviour {
            case let .respond(reply):
                let request = readHead(client)
                requests.withLock { $0.append(request) }
                send(client, reply)
                close(client)
            case .closeImmediately:
                close(client)
            case let .sendGarbage(bytes):
                send(client, bytes)
                // Left open: the probe must decide from the bytes, not from EOF.
                DispatchQueue.global().asyncAfter(deadline: .now() + 3) { close(client) }
            }
        }
    }

    private func readHead(_ client: Int32) -> String {
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1024)
        while !bytes.ends(with: Array("\r\n\r\n".utf8)) {
            let count = chunk.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            bytes += chunk[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private func send(_ client: Int32, _ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }
}

private extension Array where Element == UInt8 {
    func ends(with suffix: [UInt8]) -> Bool {
        count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix
    }
}

/// Whether a pid no longer runs: gone, or a zombie nobody reaped yet (an orphan
/// reparented to a PID 1 that does not reap stays a zombie, which is still dead).
/// Whether `pid` is gone or a zombie, waiting up to `within` for it: a SIGKILL sent to a
/// group is delivered asynchronously, so "dead right after the call returned" races.
func processIsDead(_ pid: Int32, within: Duration = .seconds(2)) async -> Bool {
    let deadline = ContinuousClock.now.advanced(by: within)
    while !processIsDeadNow(pid) {
        if ContinuousClock.now >= deadline { return false }
        // Sleeping, not blocking: a blocked cooperative thread delays every other test.
        try? await Task.sleep(for: .milliseconds(10))
    }
    return true
}

private func processIsDeadNow(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return true }
    return stat[stat.index(after: close)...].first { $0 != " " } == "Z"
}

extension Duration {
    var milliseconds: Int {
        Int(components.seconds) * 1000 + Int(components.attoseconds / 1_000_000_000_000_000)
    }
}
