import DoctorFacts

/// One row of `/proc/net/unix`.
public struct ProcNetUnixEntry: Hashable, Sendable {
    public var refCount: UInt32
    /// Socket flags; `__SO_ACCEPTCON` (`0x10000`) marks a listening socket.
    public var flags: UInt32
    /// `SOCK_STREAM` is 1, `SOCK_DGRAM` 2, `SOCK_SEQPACKET` 5.
    public var type: UInt16
    /// `SS_UNCONNECTED` 1, `SS_CONNECTING` 2, `SS_CONNECTED` 3, `SS_DISCONNECTING` 4.
    public var state: UInt8
    public var inode: UInt64
    /// The bound path as the kernel prints it; abstract names start with `@`.
    /// `nil` for unnamed sockets (socketpairs, the client side of a connection).
    public var path: String?

    /// The `__SO_ACCEPTCON` flag: the socket has called listen(2).
    public static let acceptConnectionsFlag: UInt32 = 0x0001_0000
    /// `SOCK_STREAM`.
    public static let streamType: UInt16 = 1

    /// A row with every column already decoded.
    public init(refCount: UInt32, flags: UInt32, type: UInt16, state: UInt8, inode: UInt64, path: String?) {
        self.refCount = refCount
        self.flags = flags
        self.type = type
        self.state = state
        self.inode = inode
        self.path = path
    }

    /// Whether the socket has called listen(2).
    public var isListening: Bool { flags & Self.acceptConnectionsFlag != 0 }
    /// Whether it is a stream socket (what nginx, Gunicorn and uWSGI bind).
    public var isStream: Bool { type == Self.streamType }
    /// Abstract sockets live outside the file system, so no socket file can go missing or stale.
    public var isAbstract: Bool { path?.hasPrefix("@") ?? false }
}

/// Parser for `/proc/net/unix`.
public enum ProcNetUnix {
    /// Parses the whole table; the header and malformed rows are skipped.
    public static func parse(_ text: String) -> [ProcNetUnixEntry] {
        var entries: [ProcNetUnixEntry] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            if let entry = parseLine(line) { entries.append(entry) }
        }
        return entries
    }

    /// Parses one data row: `Num: RefCount Protocol Flags Type St Inode [Path]`, all hex but the inode.
    public static func parseLine(_ line: Substring) -> ProcNetUnixEntry? {
        // The path is everything after the inode column and may itself contain spaces,
        // so take the seven leading columns one by one and keep the rest verbatim.
        var rest = line[...]
        var columns: [Substring] = []
        while columns.count < 7 {
            rest = rest.drop(while: { $0 == " " })
            guard !rest.isEmpty else { break }
            let column = rest.prefix(while: { $0 != " " })
            columns.append(column)
            rest = rest[column.endIndex...]
        }
        guard columns.count == 7, columns[0].hasSuffix(":"),
              let refCount = UInt32(columns[1], radix: 16),
              let flags = UInt32(columns[3], radix: 16),
              let type = UInt16(columns[4], radix: 16),
              let state = UInt8(columns[5], radix: 16),
              let inode = UInt64(columns[6])
        else { return nil }
        // One space separates the inode from the path.
        let path = rest.first == " " ? rest.dropFirst() : rest
        return ProcNetUnixEntry(refCount: refCount, flags: flags, type: type, state: state, inode: inode,
                                path: path.isEmpty ? nil : String(path))
    }
}
