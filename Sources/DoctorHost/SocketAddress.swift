#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A socket address as raw `sockaddr` bytes, so it can cross threads and outlive `freeaddrinfo`.
/// The probe connects to these; `watch`'s metrics listener binds one.
public struct SocketAddress: Sendable, Hashable {
    public let family: Int32
    let bytes: [UInt8]

    /// `sun_path` holds 108 bytes including the terminating NUL.
    static let maximumUnixPathLength = MemoryLayout.size(ofValue: sockaddr_un().sun_path) - 1

    /// A unix address; a leading `@` names a Linux abstract socket, as `/proc/net/unix`
    /// prints it. `nil` when the path does not fit `sun_path`.
    static func unix(_ path: String) -> SocketAddress? {
        var name = Array(path.utf8)
        let abstract = name.first == UInt8(ascii: "@")
        if abstract { name[0] = 0 }
        guard !name.isEmpty, name.count <= maximumUnixPathLength, abstract || !name.contains(0) else { return nil }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: name)
        }
        let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \sockaddr_un.sun_path) ?? 2
        // Abstract names are exactly as long as given (no NUL terminator counts).
        let length = abstract ? pathOffset + name.count : MemoryLayout<sockaddr_un>.size
        let bytes = withUnsafeBytes(of: &address) { Array($0.prefix(length)) }
        return SocketAddress(family: AF_UNIX, bytes: bytes)
    }

    /// Copies a `sockaddr` of `length` bytes.
    init(family: Int32, pointer: UnsafePointer<sockaddr>, length: Int) {
        self.family = family
        self.bytes = Array(UnsafeRawBufferPointer(start: pointer, count: length))
    }

    init(family: Int32, bytes: [UInt8]) {
        self.family = family
        self.bytes = bytes
    }

    /// A literal IPv4 or IPv6 address (no name lookup) and a port; `nil` when `host` is not one.
    public static func numeric(_ host: String, port: Int) -> SocketAddress? {
        guard case let .success(addresses) = Resolver.lookup(host, port: port, numericOnly: true) else { return nil }
        return addresses.first
    }

    /// Calls `body` with the address as a `sockaddr` pointer and its length (for bind(2), connect(2)).
    public func withSockaddr<Result>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> Result) -> Result {
        bytes.withUnsafeBytes { raw in
            body(raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(raw.count))
        }
    }
}
