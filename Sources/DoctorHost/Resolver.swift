import DoctorFacts
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Host name → socket addresses for the probe, bounded by the probe's deadline.
enum Resolver {
    static func resolve(host: String, port: Int, deadline: Deadline) -> ProbeAttempt<[SocketAddress]> {
        let name = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host

        // Literal addresses need no lookup and cannot hang.
        if case let .success(addresses) = lookup(name, port: port, numericOnly: true) { return .success(addresses) }

        // getaddrinfo(3) has no timeout and can wait on DNS far past the deadline, so it runs
        // on its own thread; when the deadline passes the probe stops waiting and the
        // lookup finishes (and frees its memory) on its own.
        let box = AnswerBox()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            let result = lookup(name, port: port, numericOnly: false)
            box.answer.withLock { $0 = result }
            done.signal()
        }
        thread.name = "gwdoctor-resolve"
        thread.start()
        let remaining = deadline.remaining.components
        let nanoseconds = Int(clamping: remaining.seconds) &* 1_000_000_000 &+ Int(remaining.attoseconds / 1_000_000_000)
        if done.wait(timeout: .now() + .nanoseconds(max(0, nanoseconds))) == .timedOut {
            return .failure(.timedOut(phase: "resolving \(name)"))
        }
        return box.answer.withLock { $0 } ?? .failure(.unresolvable(host: name, message: "no answer"))
    }

    /// One getaddrinfo(3) call for TCP stream addresses of any family.
    static func lookup(_ name: String, port: Int, numericOnly: Bool) -> ProbeAttempt<[SocketAddress]> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV | (numericOnly ? AI_NUMERICHOST : 0)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(name, String(port), &hints, &list)
        defer { if let list { freeaddrinfo(list) } }
        guard status == 0 else {
            let message = status == EAI_SYSTEM ? ProbeErrno.message(errno) : String(cString: gai_strerror(status))
            return .failure(.unresolvable(host: name, message: message))
        }
        var addresses: [SocketAddress] = []
        var cursor = list
        while let entry = cursor {
            if let address = entry.pointee.ai_addr {
                let found = SocketAddress(family: entry.pointee.ai_family, pointer: address, length: Int(entry.pointee.ai_addrlen))
                if !addresses.contains(found) { addresses.append(found) }
            }
            cursor = entry.pointee.ai_next
        }
        guard !addresses.isEmpty else { return .failure(.unresolvable(host: name, message: "no addresses")) }
        return .success(addresses)
    }
}

/// Lets the lookup thread write the answer the waiting thread reads.
private final class AnswerBox: Sendable {
    let answer = Mutex<ProbeAttempt<[SocketAddress]>?>(nil)
}
