import DoctorFacts

/// One row of `/proc/net/tcp` or `/proc/net/tcp6`.
public struct ProcNetTCPEntry: Hashable, Sendable {
    /// Local address in its usual text form (`127.0.0.1`, `::`, `::1`, `::ffff:127.0.0.1`).
    public var localAddress: String
    public var localPort: Int
    public var remoteAddress: String
    public var remotePort: Int
    /// Kernel TCP state number (`include/net/tcp_states.h`); `0x0A` is LISTEN.
    public var state: UInt8
    /// For a listening socket, the kernel reports the accept backlog limit here (recent kernels).
    public var txQueue: Int
    /// For a listening socket, connections waiting in the accept queue.
    public var rxQueue: Int
    public var uid: Int
    /// Socket inode, the key that links the row to `/proc/PID/fd/*` (`socket:[inode]`).
    /// 0 for sockets no file descriptor holds (TIME_WAIT, not yet accepted).
    public var inode: UInt64

    /// The kernel's number for the LISTEN state.
    public static let listenState: UInt8 = 0x0A

    /// A row with every column already decoded.
    public init(localAddress: String, localPort: Int, remoteAddress: String, remotePort: Int,
                state: UInt8, txQueue: Int, rxQueue: Int, uid: Int, inode: UInt64) {
        self.localAddress = localAddress
        self.localPort = localPort
        self.remoteAddress = remoteAddress
        self.remotePort = remotePort
        self.state = state
        self.txQueue = txQueue
        self.rxQueue = rxQueue
        self.uid = uid
        self.inode = inode
    }

    /// Whether the socket is in the LISTEN state.
    public var isListening: Bool { state == Self.listenState }

    /// The local address as an endpoint, the way a listener is compared with a proxy target.
    public var localEndpoint: Endpoint { .tcp(host: localAddress, port: localPort) }
}

/// Parser for `/proc/net/tcp` and `/proc/net/tcp6`.
///
/// Addresses are printed by the kernel as the in-memory 32-bit words of the address
/// (`%08X`), so on little-endian machines every 4-byte group reads backwards:
/// `0100007F` is 127.0.0.1. The port is a plain big hex number.
public enum ProcNetTCP {
    /// Parses the whole table; the header line and malformed rows are skipped,
    /// because one odd row must not hide every listener behind it.
    public static func parse(_ text: String) -> [ProcNetTCPEntry] {
        var entries: [ProcNetTCPEntry] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            if let entry = parseLine(line) { entries.append(entry) }
        }
        return entries
    }

    /// Parses one data row (`   0: 0100007F:1F40 00000000:0000 0A …`); `nil` for the header or garbage.
    public static func parseLine(_ line: Substring) -> ProcNetTCPEntry? {
        let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
        // sl local rem st tx:rx tr:when retrnsmt uid timeout inode
        guard fields.count >= 10, fields[0].hasSuffix(":") else { return nil }
        guard let (localAddress, localPort) = parseAddressPort(fields[1]),
              let (remoteAddress, remotePort) = parseAddressPort(fields[2]),
              let state = UInt8(fields[3], radix: 16)
        else { return nil }
        let queues = fields[4].split(separator: ":")
        guard queues.count == 2, let tx = Int(queues[0], radix: 16), let rx = Int(queues[1], radix: 16),
              let uid = Int(fields[7]), let inode = UInt64(fields[9])
        else { return nil }
        return ProcNetTCPEntry(localAddress: localAddress, localPort: localPort,
                               remoteAddress: remoteAddress, remotePort: remotePort,
                               state: state, txQueue: tx, rxQueue: rx, uid: uid, inode: inode)
    }

    /// `0100007F:1F40` → (`127.0.0.1`, 8000); 8 hex digits are IPv4, 32 are IPv6.
    public static func parseAddressPort(_ field: some StringProtocol) -> (String, Int)? {
        let parts = field.split(separator: ":")
        guard parts.count == 2, let port = Int(parts[1], radix: 16) else { return nil }
        guard let bytes = KernelHexAddress.bytes(parts[0]) else { return nil }
        switch bytes.count {
        case 4: return (IPAddressText.ipv4(bytes), port)
        case 16: return (IPAddressText.ipv6(bytes), port)
        default: return nil
        }
    }
}
