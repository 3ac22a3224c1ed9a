import DoctorFacts

/// `memory-pressure`: the machine is short of memory now, from `/proc/meminfo` and, where
/// the kernel has it, pressure stall information (`/proc/pressure/memory`).
///
/// Thresholds:
/// - critical: `MemAvailable` below 5 % of `MemTotal`, or memory `full avg10` at least 20
///   (all non-idle tasks stalled on memory a fifth of the last 10 s);
/// - warning: `MemAvailable` below 10 %, memory `full avg10` at least 5 or `some avg60` at
///   least 20, or swap at least 90 % used while `MemAvailable` is below 20 %.
///
/// Swap that is full while memory is plentiful is old pages parked, not pressure: silent.
/// This is the state *before* the kernel kills: `oom-killed` reports the kill itself (a worker
/// gone, `Out of memory: Killed process N`); this check says the next one is coming. The
/// figures are the machine's, not a cgroup's limit.
public struct MemoryPressureCheck: Check {
    public init() {}

    public let id = "memory-pressure"
    public let title = "The machine is short of memory"
    public let layer = Layer.capacity
    public let rationale = """
        When memory runs out, the kernel reclaims page cache, swaps, stalls every allocating task and \
        finally OOM-kills one, often a Gunicorn worker (nginx then logs `upstream prematurely closed \
        connection`, 502) or the master (nothing listens). Before the kill, requests slow down until \
        nginx times out (504). Read from /proc/meminfo (MemAvailable against MemTotal, swap) and \
        /proc/pressure/memory (PSI, Linux 4.20+; absent on other kernels, which is said, not an error). \
        Critical below 5 % available or memory `full avg10` ≥ 20; a warning below 10 % available, \
        `full avg10` ≥ 5, `some avg60` ≥ 20, or swap ≥ 90 % used with less than 20 % available. \
        `oom-killed` reports kills that already happened; this check reports the pressure that leads to them.
        """
    public let fixText = """
        Find who holds the memory (`ps -eo pid,rss,args --sort=-rss | head`), then reduce it (fewer \
        Gunicorn workers or threads, `--max-requests` to recycle leaking workers) or add memory or swap.
        """
    public let precedence = 55

    static let criticalAvailablePercent = 5.0
    static let warningAvailablePercent = 10.0
    static let criticalFullAvg10 = 20.0
    static let warningFullAvg10 = 5.0
    static let warningSomeAvg60 = 20.0
    static let warningSwapUsedPercent = 90.0
    /// Full swap counts only while less than this share of memory is available.
    static let swapRelevantAvailablePercent = 20.0

    public func run(_ facts: Facts) -> [Finding] {
        guard let memory = facts.memory else { return [] }
        var critical: [String] = []
        var warning: [String] = []
        let available = memory.availablePercent
        if let available, let bytes = memory.availableBytes {
            let text = "only \(DiskFullCheck.bytes(bytes)) of \(DiskFullCheck.bytes(memory.totalBytes)) memory available (\(Self.number(available))%)"
            if available < Self.criticalAvailablePercent {
                critical.append(text)
            } else if available < Self.warningAvailablePercent {
                warning.append(text)
            }
        }
        let stall = memory.pressure("memory")
        if let full = stall?.full {
            if full.avg10 >= Self.criticalFullAvg10 {
                critical.append("every task stalled on memory \(Self.number(full.avg10))% of the last 10 s (PSI full avg10)")
            } else if full.avg10 >= Self.warningFullAvg10 {
                warning.append("every task stalled on memory \(Self.number(full.avg10))% of the last 10 s (PSI full avg10)")
            }
        }
        if let some = stall?.some, some.avg60 >= Self.warningSomeAvg60 {
            warning.append("tasks waited for memory \(Self.number(some.avg60))% of the last minute (PSI some avg60)")
        }
        if let swap = memory.swapUsedPercent, swap >= Self.warningSwapUsedPercent,
           (available ?? 0) < Self.swapRelevantAvailablePercent {
            warning.append("swap \(Self.number(swap))% used (\(DiskFullCheck.bytes(memory.swapFreeBytes)) free)")
        }
        guard !critical.isEmpty || !warning.isEmpty else { return [] }

        var evidence = [Evidence(kind: .file, text: Self.meminfoText(memory), source: "/proc/meminfo (free -h)")]
        if let stall {
            evidence.append(Evidence(kind: .file, text: "memory " + Self.stallText(stall), source: "/proc/pressure/memory"))
        } else if let note = memory.pressureNote {
            evidence.append(Evidence(kind: .file, text: note, source: "/proc/pressure/memory"))
        }
        for resource in ["io", "cpu"] {
            // Reclaim shows up as I/O stalls too; shown only when notable.
            if let other = memory.pressure(resource), (other.some?.avg60 ?? 0) >= Self.warningSomeAvg60 {
                evidence.append(Evidence(kind: .file, text: "\(resource) " + Self.stallText(other), source: "/proc/pressure/\(resource)"))
            }
        }
        let severity: Severity = critical.isEmpty ? .warning : .critical
        let reasons = critical + warning
        let summary = "The machine is short of memory: " + reasons.joined(separator: "; ")
            + (severity == .critical ? "; the kernel's OOM killer is next (see oom-killed for kills already made)" : "")
        let appNames = Set(facts.appServers.map(\.kind)).sorted()
        var fix = ["Find who holds the memory: ps -eo pid,rss,args --sort=-rss | head -n 15"]
        if appNames.isEmpty {
            fix.append("Reduce the app server's workers or threads, or recycle leaking workers (gunicorn --max-requests 1000 --max-requests-jitter 100)")
        } else {
            fix.append("Reduce \(appNames.joined(separator: "/"))'s workers or threads (each worker holds a full copy of the app), or recycle leaking workers (gunicorn --max-requests 1000 --max-requests-jitter 100)")
        }
        fix.append("Add memory or swap; check the kernel log for kills already made: journalctl -k | grep -i 'out of memory'")
        return [Finding(check: id, layer: layer, severity: severity, summary: summary, evidence: evidence, fix: fix)]
    }

    /// `MemTotal 23.5 GB, MemAvailable 1.1 GB (4.8%), MemFree 300 MB, swap 0 B of 2.1 GB free`.
    static func meminfoText(_ memory: MemoryStatus) -> String {
        var parts = ["MemTotal \(DiskFullCheck.bytes(memory.totalBytes))"]
        if let available = memory.availableBytes {
            parts.append("MemAvailable \(DiskFullCheck.bytes(available)) (\(number(memory.availablePercent ?? 0))%)")
        }
        parts.append("MemFree \(DiskFullCheck.bytes(memory.freeBytes))")
        parts.append(memory.swapTotalBytes > 0
            ? "swap \(DiskFullCheck.bytes(memory.swapFreeBytes)) of \(DiskFullCheck.bytes(memory.swapTotalBytes)) free"
            : "no swap")
        return parts.joined(separator: ", ")
    }

    /// `some avg10=0.94 avg60=1.90 avg300=5.22; full avg10=0.00 avg60=0.00 avg300=0.00`.
    static func stallText(_ stall: PressureStall) -> String {
        [("some", stall.some), ("full", stall.full)].compactMap { name, figures in
            figures.map { "\(name) avg10=\(fixed($0.avg10)) avg60=\(fixed($0.avg60)) avg300=\(fixed($0.avg300))" }
        }.joined(separator: "; ")
    }

    /// Two decimals, as the kernel prints PSI (`0.00`).
    static func fixed(_ value: Double) -> String {
        let hundredths = Int((value * 100).rounded())
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    /// Two decimals at most, trailing zeros dropped (`4.8`, `3`).
    static func number(_ value: Double) -> String {
        let hundredths = Int((value * 100).rounded())
        let whole = hundredths / 100, fraction = hundredths % 100
        if fraction == 0 { return "\(whole)" }
        if fraction % 10 == 0 { return "\(whole).\(fraction / 10)" }
        return "\(whole).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}
