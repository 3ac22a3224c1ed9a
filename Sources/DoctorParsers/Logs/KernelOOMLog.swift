import Foundation

/// One process the kernel's OOM killer killed.
public struct KernelOOMKill: Sendable, Equatable {
    public var pid: Int
    /// The killed task's command name (`gunicorn`, `python`), as the kernel prints it.
    public var process: String
    /// The memory cgroup the task was in (`/system.slice/app.service`), from the `oom-kill:` line
    /// that precedes it on kernels since 4.19; `nil` when the log does not say.
    public var cgroup: String?
    /// `true` for a cgroup limit (`Memory cgroup out of memory`, systemd `MemoryMax=`), `false`
    /// for the whole machine running out of memory.
    public var cgroupLimit: Bool
    /// The `Killed process` line.
    public var line: String
    public var time: Date?

    public init(pid: Int, process: String, cgroup: String?, cgroupLimit: Bool, line: String, time: Date?) {
        self.pid = pid
        self.process = process
        self.cgroup = cgroup
        self.cgroupLimit = cgroupLimit
        self.line = line
        self.time = time
    }

    /// The systemd unit whose cgroup the task was in (`app.service` from `/system.slice/app.service`).
    public var unit: String? {
        guard let cgroup else { return nil }
        return cgroup.split(separator: "/").last { $0.hasSuffix(".service") || $0.hasSuffix(".scope") }.map(String.init)
    }
}

/// The kernel log's OOM-killer lines, from `dmesg --time-format=iso` or the `MESSAGE`s of
/// `journalctl -k -o json` (recorded real lines: Tests/DoctorParsersTests/Fixtures/services/README.md).
///
/// Recognised (Linux 4.19 to 6.x): `Out of memory: Killed process N (comm) total-vm:…` (the whole
/// machine), `Memory cgroup out of memory: Killed process N (comm) …` (a cgroup limit), the older
/// `Killed process N (comm) total-vm:…` after `Out of memory: Kill process N (comm) score …`, and
/// `oom-kill:constraint=…,task_memcg=/system.slice/app.service,task=comm,pid=N,uid=…`, which names
/// the cgroup. `oom_reaper: reaped process N` repeats a kill already counted and is skipped.
public enum KernelOOMLog {
    /// - Parameter times: the time of each line when the caller knows it (journal entries);
    ///   otherwise a leading ISO stamp (`2026-11-21T10:13:42,345984+00:00`) is read.
    public static func parse(lines: [Substring], times: [Date?]? = nil) -> [KernelOOMKill] {
        var cgroups: [Int: String] = [:]
        var kills: [KernelOOMKill] = []
        for (offset, raw) in lines.enumerated() {
            guard raw.contains("oom-kill:") || raw.contains("Killed process") else { continue }
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            let message = Substring(line)
            if let start = message.range(of: "oom-kill:") {
                let fields = fieldMap(message[start.upperBound...])
                if let pid = fields["pid"].flatMap({ Int($0) }), let memcg = fields["task_memcg"] ?? fields["oom_memcg"] {
                    cgroups[pid] = memcg
                }
                continue
            }
            guard let killed = message.range(of: "Killed process ") else { continue }
            let rest = message[killed.upperBound...]
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            guard let pid = Int(digits) else { continue }
            var process = ""
            if let open = rest.firstIndex(of: "("), let close = rest[open...].firstIndex(of: ")") {
                process = String(rest[rest.index(after: open)..<close])
            }
            let time: Date? = if let times, offset < times.count, let known = times[offset] {
                known
            } else {
                LogTimestamp.parse(message)
            }
            kills.append(KernelOOMKill(pid: pid, process: process, cgroup: cgroups[pid],
                                       cgroupLimit: message.contains("Memory cgroup out of memory"),
                                       line: String(message.prefix(500)), time: time))
        }
        return kills
    }

    /// `constraint=CONSTRAINT_MEMCG,nodemask=(null),…,pid=1893,uid=0` as a dictionary.
    private static func fieldMap(_ text: Substring) -> [String: String] {
        var fields: [String: String] = [:]
        for part in text.split(separator: ",") {
            guard let equals = part.firstIndex(of: "=") else { continue }
            fields[String(part[..<equals]).trimmingCharacters(in: .whitespaces)] = String(part[part.index(after: equals)...])
        }
        return fields
    }
}
