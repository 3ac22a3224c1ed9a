import DoctorFacts
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One HTTP/1.1 GET over a POSIX socket, for `LiveHost.probe`.
///
/// Hand-rolled (see docs/DESIGN-NOTES.md): it must reach unix sockets, answer within
/// one deadline covering resolution, connect, request and response head, never retry,
/// and fail in milliseconds when nothing listens. It reads the head only, so a stalled
/// body cannot hold it.
enum HTTPProbe {
    static func probe(_ request: ProbeRequest) async -> ProbeResult {
        // The deadline starts now, not when a thread picks the work up.
        let clock = ContinuousClock()
        let start = clock.now
        // The socket work blocks in poll(2), bounded by the deadline. It gets a thread of
        // its own: on the cooperative pool it would starve other tasks, and on GCD's
        // small global pool parallel probes would queue behind each other past their deadlines.
        return await withCheckedContinuation { continuation in
            let thread = Thread {
                continuation.resume(returning: probeBlocking(request, clock: clock, start: start))
            }
            thread.name = "gwdoctor-probe"
            thread.start()
        }
    }

    /// The whole probe on the calling thread; returns by the deadline (plus a poll slice).
    static func probeBlocking(_ request: ProbeRequest, clock: ContinuousClock = ContinuousClock(),
                              start: ContinuousClock.Instant? = nil) -> ProbeResult {
        let start = start ?? clock.now
        let deadline = Deadline(clock: clock, end: start + request.timeout)
        let outcome = exchange(request, deadline: deadline)
        let elapsed = start.duration(to: clock.now)
        let milliseconds = Int(elapsed.components.seconds) * 1000 + Int(elapsed.components.attoseconds / 1_000_000_000_000_000)
        return ProbeResult(endpoint: request.endpoint, path: request.path, hostHeader: request.hostHeader,
                           outcome: outcome, elapsedMilliseconds: milliseconds)
    }

    static func exchange(_ request: ProbeRequest, deadline: Deadline) -> ProbeOutcome {
        let connection: ProbeSocket
        switch connect(request.endpoint, deadline: deadline) {
        case let .success(socket): connection = socket
        case let .failure(failure): return .failed(failure)
        }
        defer { connection.close() }

        let head = switch request.wire {
        case .http: requestHead(path: request.path, host: request.hostHeader)
        case .uwsgi: uwsgiPacket(path: request.path, host: request.hostHeader)
        }
        if let failure = connection.sendAll(head, deadline: deadline) { return .failed(failure) }
        return connection.receiveHead(deadline: deadline)
    }

    /// The request bytes. CR and LF are dropped from the path and host so a value taken
    /// from an inspected config cannot smuggle extra headers.
    static func requestHead(path: String, host: String) -> [UInt8] {
        let clean = { (text: String) in String(text.filter { $0 != "\r" && $0 != "\n" && $0 != "\r\n" }) }
        var target = clean(path)
        if !target.hasPrefix("/") { target = "/" + target }
        let text = "GET \(target) HTTP/1.1\r\nHost: \(clean(host))\r\nUser-Agent: gwdoctor\r\n"
            + "Accept: */*\r\nConnection: close\r\n\r\n"
        return Array(text.utf8)
    }

    /// The same GET as a uwsgi packet: a 4-byte header (modifier1 0, the size of the
    /// variables as little-endian UInt16, modifier2 0), then each variable as a
    /// length-prefixed key and value — what nginx's `uwsgi_pass` with `uwsgi_params` sends.
    /// Sending HTTP there instead makes uWSGI log `invalid request block size` for every run.
    static func uwsgiPacket(path: String, host: String) -> [UInt8] {
        let clean = { (text: String) in String(text.filter { $0 != "\r" && $0 != "\n" && $0 != "\r\n" }) }
        var target = clean(path)
        if !target.hasPrefix("/") { target = "/" + target }
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let variables: [(String, String)] = [
            ("REQUEST_METHOD", "GET"), ("REQUEST_URI", target), ("PATH_INFO", String(parts[0])),
            ("QUERY_STRING", parts.count > 1 ? String(parts[1]) : ""), ("SERVER_PROTOCOL", "HTTP/1.1"),
            ("SERVER_NAME", clean(host)), ("SERVER_PORT", "80"), ("REMOTE_ADDR", "127.0.0.1"),
            ("HTTP_HOST", clean(host)), ("HTTP_USER_AGENT", "gwdoctor"), ("HTTP_ACCEPT", "*/*"),
        ]
        var body: [UInt8] = []
        func append(_ text: String) {
            let bytes = Array(text.utf8.prefix(Int(UInt16.max)))
            body += [UInt8(bytes.count & 0xff), UInt8(bytes.count >> 8)] + bytes
        }
        for (key, value) in variables {
            append(key)
            append(value)
        }
        let size = min(body.count, Int(UInt16.max))
        return [0, UInt8(size & 0xff), UInt8(size >> 8), 0] + body.prefix(size)
    }

    /// Connects to a TCP or unix endpoint. A name with several addresses is tried in
    /// order, each once, like nginx does for one `proxy_pass` host; the first answer wins.
    static func connect(_ endpoint: Endpoint, deadline: Deadline) -> ProbeAttempt<ProbeSocket> {
        switch endpoint {
        case let .unix(path):
            guard let address = SocketAddress.unix(path) else {
                return .failure(.other(errno: ENAMETOOLONG,
                                       message: "socket path is \(path.utf8.count) bytes, over the \(SocketAddress.maximumUnixPathLength)-byte limit of sockaddr_un"))
            }
            return ProbeSocket.connect(address, unixSocket: true, deadline: deadline)
        case let .tcp(host, port):
            guard (0...65535).contains(port) else {
                return .failure(.other(errno: EINVAL, message: "port \(port) is out of range"))
            }
            let addresses: [SocketAddress]
            switch Resolver.resolve(host: host, port: port, deadline: deadline) {
            case let .success(found): addresses = found
            case let .failure(failure): return .failure(failure)
            }
            var firstFailure: ProbeFailure?
            for address in addresses {
                switch ProbeSocket.connect(address, unixSocket: false, deadline: deadline) {
                case let .success(socket):
                    return .success(socket)
                case let .failure(failure):
                    if firstFailure == nil { firstFailure = failure }
                    if case .timedOut = failure { return .failure(failure) }
                }
            }
            return .failure(firstFailure ?? .unresolvable(host: host, message: "no addresses"))
        }
    }
}

/// The one deadline of a probe, as poll(2) timeouts.
struct Deadline: Sendable {
    let clock: ContinuousClock
    let end: ContinuousClock.Instant

    var hasPassed: Bool { clock.now >= end }

    /// Milliseconds left for poll(2), rounded up so poll never returns just short of the deadline.
    var remainingMilliseconds: Int32 {
        let left = clock.now.duration(to: end)
        guard left > .zero else { return 0 }
        let (seconds, attoseconds) = left.components
        let milliseconds = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int32(clamping: milliseconds)
    }

    /// Duration left, for waits that are not poll(2).
    var remaining: Duration { max(.zero, clock.now.duration(to: end)) }
}
