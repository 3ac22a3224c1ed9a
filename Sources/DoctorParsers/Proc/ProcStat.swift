/// The field of `/proc/PID/stat` that diagnosis needs: when the process started.
///
/// The line is `PID (COMM) STATE PPID …`; COMM may hold spaces and parentheses (a process
/// can name itself `a) b (c`), so fields are counted from the last `)`, never by splitting
/// the whole line.
public enum ProcStat {
    /// Field 22, `starttime`: clock ticks (`sysconf(_SC_CLK_TCK)`, usually 100 a second)
    /// after boot, on the boot-time clock (CLOCK_BOOTTIME: suspend included). `nil` when the
    /// text is not a stat line.
    public static func startTicks(_ text: String) -> UInt64? {
        guard let close = text.utf8.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        let rest = text[text.index(after: close)...]
        let fields = rest.split(whereSeparator: { $0 == " " || $0 == "\n" })
        // fields[0] is field 3 (state), so field 22 is fields[19].
        guard fields.count > 19 else { return nil }
        return UInt64(fields[19])
    }

    /// The start as seconds since the epoch: `bootEpoch` is when the machine booted on the
    /// wall clock (CLOCK_REALTIME − CLOCK_BOOTTIME, which keeps sub-second precision where
    /// `/proc/stat`'s `btime` is whole seconds).
    public static func startEpoch(ticks: UInt64, ticksPerSecond: Int, bootEpoch: Double) -> Double? {
        guard ticksPerSecond > 0 else { return nil }
        return bootEpoch + Double(ticks) / Double(ticksPerSecond)
    }
}
