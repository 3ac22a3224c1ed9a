import DoctorFacts

/// Joins the socket tables with the process table: which pids hold each listening socket.
public enum ProcListeners {
    /// Listening TCP (v4, v6) and unix stream sockets, each with the pids whose
    /// `/proc/PID/fd` holds its inode (a pre-fork master and its workers share one).
    ///
    /// Any table may be `nil` when it could not be read; the others still count.
    public static func listeners(tcp: String?, tcp6: String?, unix: String?, processes: [ProcessRecord]) -> [Listener] {
        var pidsByInode: [UInt64: [Int]] = [:]
        for process in processes {
            for inode in Set(process.socketInodes) { pidsByInode[inode, default: []].append(process.pid) }
        }
        func pids(_ inode: UInt64) -> [Int] {
            // Inode 0 is "no file holds this socket"; never match it to anyone.
            inode == 0 ? [] : (pidsByInode[inode] ?? []).sorted()
        }

        var listeners: [Listener] = []
        for table in [tcp, tcp6] {
            guard let table else { continue }
            for entry in ProcNetTCP.parse(table) where entry.isListening {
                listeners.append(Listener(endpoint: entry.localEndpoint, inode: entry.inode,
                                          pids: pids(entry.inode), acceptQueue: entry.rxQueue))
            }
        }
        if let unix {
            for entry in ProcNetUnix.parse(unix) where entry.isListening && entry.isStream {
                guard let path = entry.path else { continue }
                listeners.append(Listener(endpoint: .unix(path: path), inode: entry.inode, pids: pids(entry.inode)))
            }
        }
        return listeners
    }

    /// The inode of an fd link target `socket:[12345]`, or `nil` for anything else.
    public static func socketInode(fromLink target: String) -> UInt64? {
        guard target.hasPrefix("socket:["), target.hasSuffix("]") else { return nil }
        return UInt64(target.dropFirst("socket:[".count).dropLast())
    }
}
