import DoctorFacts

/// Scheduler state of one process, read from `/proc/PID/stat`.
enum ProcessState {
    /// `true` when the process has exited but its parent has not reaped it yet.
    static func isZombie(_ pid: Int) -> Bool {
        state(pid) == "Z"
    }

    /// The state letter (`R`, `S`, `D`, `Z`, …), or `nil` when the process is gone.
    static func state(_ pid: Int) -> Character? {
        guard let bytes = try? PosixFiles.readFile("/proc/\(pid)/stat", maxBytes: 4096) else { return nil }
        return parseState(String(decoding: bytes, as: UTF8.self))
    }

    /// `1234 (comm with ) spaces) S 1 …`: the comm may hold anything, so the state is
    /// the first field after the last `)`.
    static func parseState(_ stat: String) -> Character? {
        guard let close = stat.lastIndex(of: ")") else { return nil }
        return stat[stat.index(after: close)...].first { $0 != " " }
    }
}
