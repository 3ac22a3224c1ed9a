import DoctorFacts
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A non-blocking stream socket whose every wait is a poll(2) bounded by the probe's deadline.
struct ProbeSocket {
    let fd: Int32

    /// Connects once; never retries, so a refused or missing socket fails at once.
    static func connect(_ address: SocketAddress, unixSocket: Bool, deadline: Deadline) -> ProbeAttempt<ProbeSocket> {
        let connectStep = ProbeStep.connect(unixSocket: unixSocket)
        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .failure(ProbeErrno.classify(errno, during: connectStep)) }
        let result = address.bytes.withUnsafeBytes { raw -> Int32 in
            guard let base = raw.baseAddress else { return -1 }
            return systemConnect(fd, base.assumingMemoryBound(to: sockaddr.self), socklen_t(raw.count))
        }
        if result == 0 { return .success(ProbeSocket(fd: fd)) }
        let code = errno
        guard code == EINPROGRESS || code == EINTR else {
            systemClose(fd)
            return .failure(ProbeErrno.classify(code, during: connectStep))
        }
        // TCP handshake in flight: writable means done, SO_ERROR says how it went.
        switch wait(fd, for: Int16(POLLOUT), deadline: deadline) {
        case .ready:
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            if getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0 { error = errno }
            if error == 0 { return .success(ProbeSocket(fd: fd)) }
            systemClose(fd)
            return .failure(ProbeErrno.classify(error, during: connectStep))
        case .timedOut:
            systemClose(fd)
            return .failure(.timedOut(phase: connectStep.phase))
        case let .failed(error):
            systemClose(fd)
            return .failure(ProbeErrno.classify(error, during: connectStep))
        }
    }

    /// Writes all of `bytes`; `nil` on success.
    func sendAll(_ bytes: [UInt8], deadline: Deadline) -> ProbeFailure? {
        var sent = 0
        while sent < bytes.count {
            let count = bytes.withUnsafeBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                // MSG_NOSIGNAL: a peer that hung up must give EPIPE, not kill gwdoctor with SIGPIPE.
                return send(fd, base + sent, raw.count - sent, Int32(MSG_NOSIGNAL))
            }
            if count >= 0 {
                sent += count
                continue
            }
            let code = errno
            guard code == EAGAIN || code == EWOULDBLOCK || code == EINTR else {
                return ProbeErrno.classify(code, during: .send)
            }
            switch Self.wait(fd, for: Int16(POLLOUT), deadline: deadline) {
            case .ready: continue
            case .timedOut: return .timedOut(phase: ProbeStep.send.phase)
            case let .failed(error): return ProbeErrno.classify(error, during: .send)
            }
        }
        return nil
    }

    /// Reads until the response head is complete, the peer closes, or the deadline passes.
    func receiveHead(deadline: Deadline) -> ProbeOutcome {
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            switch Self.wait(fd, for: Int16(POLLIN), deadline: deadline) {
            case .ready: break
            case .timedOut: return .failed(.timedOut(phase: ProbeStep.receive.phase))
            case let .failed(error): return .failed(ProbeErrno.classify(error, during: .receive))
            }
            let count = chunk.withUnsafeMutableBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                return recv(fd, base, raw.count, 0)
            }
            if count < 0 {
                let code = errno
                if code == EAGAIN || code == EWOULDBLOCK || code == EINTR { continue }
                return .failed(ProbeErrno.classify(code, during: .receive))
            }
            if count == 0 {
                // EOF before a full head: garbage stays garbage, anything else closed early.
                return .failed(HTTPResponseHead.parse(received) == .notHTTP ? .notHTTP : .closedEarly)
            }
            received.append(contentsOf: chunk[0..<count])
            switch HTTPResponseHead.parse(received) {
            case .incomplete:
                if received.count > HTTPResponseHead.maximumSize {
                    return .failed(.other(errno: EMSGSIZE, message: "response head larger than \(HTTPResponseHead.maximumSize / 1024) KiB"))
                }
            case let .complete(status, server):
                return .response(status: status, server: server)
            case .notHTTP:
                return .failed(.notHTTP)
            }
        }
    }

    func close() {
        systemClose(fd)
    }

    enum WaitResult {
        case ready
        case timedOut
        case failed(Int32)
    }

    /// poll(2) for `events` until the deadline. POLLERR/POLLHUP count as ready: the
    /// following call (SO_ERROR, recv, send) reports what actually happened.
    static func wait(_ fd: Int32, for events: Int16, deadline: Deadline) -> WaitResult {
        while true {
            let timeout = deadline.remainingMilliseconds
            if timeout <= 0 { return .timedOut }
            var descriptor = pollfd(fd: fd, events: events, revents: 0)
            let result = poll(&descriptor, 1, timeout)
            if result > 0 { return .ready }
            if result == 0 {
                if deadline.hasPassed { return .timedOut }
                continue
            }
            let code = errno
            if code == EINTR { continue }
            return .failed(code)
        }
    }
}

// File-scope wrappers: inside `ProbeSocket`, `connect` and `close` name its own methods.
private func systemConnect(_ fd: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) -> Int32 {
    connect(fd, address, length)
}

private func systemClose(_ fd: Int32) {
    _ = close(fd)
}
