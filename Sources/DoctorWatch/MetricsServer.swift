import DoctorHost
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The HTTP side of `gwdoctor watch`: `GET /metrics` and `GET /healthz` on one listening socket.
///
/// Hand-rolled on purpose (see docs/DESIGN-NOTES.md): two GET endpoints for a local scraper do
/// not need an HTTP framework, and the frameworks available here (SwiftNIO and what is built on
/// it) would double the build and the idle footprint watch is measured on. One thread runs a
/// `poll(2)` loop over the listener and at most `maxConnections` non-blocking connections, so
/// it never shares a thread with the probe loop, and a client can cost it only bounded memory
/// and time: a request head over `maxRequestBytes` gets 431, a client that has not sent a whole
/// head (or read the whole answer) within `clientDeadline` is dropped, and while the
/// connection table is full new connections wait in the kernel's backlog. One request per
/// connection (`Connection: close`); nothing of the request but its first line is looked at.
public final class MetricsServer: @unchecked Sendable {
    /// What to answer for a path: status, content type, body.
    public typealias Handler = @Sendable (_ path: String) -> (status: Int, contentType: String, body: String)

    public static let maxRequestBytes = 8 * 1024
    public static let maxConnections = 16
    public static let clientDeadline: Duration = .seconds(2)

    public let address: ListenAddress
    /// The port bound (the one asked for, or the kernel's pick for port 0).
    public let port: UInt16
    private let listener: Int32
    /// Written to by `stop()` to wake the poll loop.
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let finished = DispatchSemaphore(value: 0)
    private var thread: Thread?

    /// Binds and listens now (so a taken port fails at start-up, not later); serves after `start`.
    public init(address: ListenAddress) throws(WatchError) {
        self.address = address
        // A literal address only: the listener must bind exactly what the operator allowed.
        guard let socketAddress = SocketAddress.numeric(address.host, port: Int(address.port)) else {
            throw WatchError("--listen \(address): not an IP address (give a literal IPv4 or [IPv6] address, or localhost)")
        }
        let fd = socket(socketAddress.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw WatchError("--listen \(address): socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let result = socketAddress.withSockaddr { bind(fd, $0, $1) }
        guard result == 0, listen(fd, 64) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw WatchError("--listen \(address): cannot listen: \(reason)")
        }
        var pipeFDs: [Int32] = [0, 0]
        // pipe2/accept4 are not in Swift's Glibc module: plain calls, then the flags.
        guard pipe(&pipeFDs) == 0 else {
            close(fd)
            throw WatchError("pipe: \(String(cString: strerror(errno)))")
        }
        var bound = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &bound) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = withUnsafePointer(to: &bound) { pointer in
            address.isIPv6 ? pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) }
                : pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
        }
        for pipeFD in pipeFDs { Self.setNonBlockingCloseOnExec(pipeFD) }
        listener = fd
        wakeRead = pipeFDs[0]
        wakeWrite = pipeFDs[1]
    }

    /// Starts serving on a thread of its own.
    public func start(_ handler: @escaping Handler) {
        let thread = Thread { [self] in
            self.serve(handler)
            self.finished.signal()
        }
        thread.name = "gwdoctor-metrics"
        thread.stackSize = 256 * 1024
        self.thread = thread
        thread.start()
    }

    /// Closes the listener and every connection; returns when the server thread has ended.
    public func stop() {
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
        if thread != nil { finished.wait() }
        close(listener)
        close(wakeRead)
        close(wakeWrite)
    }

    private struct Connection {
        var fd: Int32
        var deadline: UInt64
        var request: [UInt8] = []
        var response: [UInt8]? = nil
        var sent = 0
    }

    private func serve(_ handler: Handler) {
        var connections: [Connection] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            var fds = [pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
            let accepting = connections.count < Self.maxConnections
            fds.append(pollfd(fd: accepting ? listener : -1, events: Int16(POLLIN), revents: 0))
            for connection in connections {
                fds.append(pollfd(fd: connection.fd, events: Int16(connection.response == nil ? POLLIN : POLLOUT), revents: 0))
            }
            let now = Self.monotonicMilliseconds()
            let nearest = connections.map(\.deadline).min()
            let timeout: Int32 = nearest.map { $0 > now ? Int32(min($0 - now, 60_000)) : 0 } ?? -1
            let ready = poll(&fds, nfds_t(fds.count), timeout)
            if ready < 0 && errno != EINTR { return }
            if fds[0].revents != 0 {
                for connection in connections { close(connection.fd) }
                return
            }
            if accepting, fds[1].revents & Int16(POLLIN) != 0 {
                while connections.count < Self.maxConnections {
                    let client = accept(listener, nil, nil)
                    if client < 0 { break }
                    Self.setNonBlockingCloseOnExec(client)
                    connections.append(Connection(fd: client, deadline: Self.monotonicMilliseconds() + Self.deadlineMilliseconds))
                }
            }
            var keep: [Connection] = []
            let after = Self.monotonicMilliseconds()
            for (index, var connection) in connections.enumerated() {
                let events = index + 2 < fds.count && fds[index + 2].fd == connection.fd ? fds[index + 2].revents : 0
                var done = false
                if connection.response == nil, events & Int16(POLLIN | POLLHUP | POLLERR) != 0 {
                    let count = read(connection.fd, &buffer, buffer.count)
                    if count <= 0 {
                        done = count == 0 || (errno != EAGAIN && errno != EINTR)
                    } else {
                        connection.request += buffer[0..<count]
                        if let head = Self.requestLine(connection.request) {
                            connection.response = Self.respond(head, handler)
                        } else if connection.request.count > Self.maxRequestBytes {
                            connection.response = Self.encode(status: 431, contentType: "text/plain; charset=utf-8",
                                                              body: "request head over \(Self.maxRequestBytes) bytes\n", head: false)
                        }
                    }
                }
                if !done, let response = connection.response, events & Int16(POLLOUT) != 0 || connection.sent == 0 {
                    let count = response.withUnsafeBytes { send(connection.fd, $0.baseAddress! + connection.sent, $0.count - connection.sent, Int32(MSG_NOSIGNAL)) }
                    if count > 0 { connection.sent += count }
                    done = connection.sent >= response.count || (count < 0 && errno != EAGAIN && errno != EINTR)
                }
                if !done && after >= connection.deadline { done = true }
                if done { close(connection.fd) } else { keep.append(connection) }
            }
            connections = keep
        }
    }

    private static var deadlineMilliseconds: UInt64 {
        UInt64(clientDeadline.components.seconds * 1000 + clientDeadline.components.attoseconds / 1_000_000_000_000_000)
    }

    /// The request's method and path once the whole head (up to the blank line) is in.
    static func requestLine(_ bytes: [UInt8]) -> (method: String, path: String)? {
        let end: [UInt8] = [13, 10, 13, 10]
        guard bytes.count >= 4, let _ = (0...(bytes.count - 4)).first(where: { bytes[$0..<$0 + 4].elementsEqual(end) }) else {
            // A bare-LF client (nc, a hand-typed request) ends its head with \n\n.
            guard bytes.count >= 2, (0...(bytes.count - 2)).contains(where: { bytes[$0] == 10 && bytes[$0 + 1] == 10 }) else { return nil }
            return parseLine(bytes)
        }
        return parseLine(bytes)
    }

    private static func parseLine(_ bytes: [UInt8]) -> (method: String, path: String) {
        let line = bytes.prefix { $0 != 13 && $0 != 10 }
        let words = String(decoding: line, as: UTF8.self).split(separator: " ")
        guard words.count == 3, words[2].hasPrefix("HTTP/1.") else { return ("", "") }
        var path = String(words[1])
        if let query = path.firstIndex(of: "?") { path = String(path[..<query]) }
        return (String(words[0]), path)
    }

    static func respond(_ request: (method: String, path: String), _ handler: Handler) -> [UInt8] {
        guard !request.method.isEmpty else {
            return encode(status: 400, contentType: "text/plain; charset=utf-8", body: "bad request\n", head: false)
        }
        guard request.method == "GET" || request.method == "HEAD" else {
            return encode(status: 405, contentType: "text/plain; charset=utf-8", body: "only GET and HEAD\n", head: false,
                          extra: "Allow: GET, HEAD\r\n")
        }
        let answer = handler(request.path)
        return encode(status: answer.status, contentType: answer.contentType, body: answer.body, head: request.method == "HEAD")
    }

    static func encode(status: Int, contentType: String, body: String, head: Bool, extra: String = "") -> [UInt8] {
        let reason = [200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed",
                      431: "Request Header Fields Too Large", 503: "Service Unavailable"][status] ?? "Status"
        let bytes = Array(body.utf8)
        var text = "HTTP/1.1 \(status) \(reason)\r\nContent-Type: \(contentType)\r\nContent-Length: \(bytes.count)\r\n"
        text += extra + "Cache-Control: no-store\r\nConnection: close\r\n\r\n"
        return Array(text.utf8) + (head ? [] : bytes)
    }

    private static func setNonBlockingCloseOnExec(_ fd: Int32) {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
    }

    static func monotonicMilliseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1000 + UInt64(now.tv_nsec) / 1_000_000
    }
}
