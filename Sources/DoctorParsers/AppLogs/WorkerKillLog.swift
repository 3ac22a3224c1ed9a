import DoctorFacts
import Foundation

/// Finds app-server processes that were killed, in the app server's own log (a log file,
/// a supervisor stdout/stderr log, or journal `MESSAGE`s).
///
/// Gunicorn's master writes `Worker (pid:N) was sent SIGKILL! Perhaps out of memory?` for
/// every worker that died of SIGKILL, whoever sent it. When the master itself killed it for
/// exceeding `--timeout`, the line `WORKER TIMEOUT (pid:N)` for the same pid comes first
/// (the master aborts the worker, and kills it when the abort does not end it): that is a
/// worker timeout, never an OOM kill. A SIGKILL with no timeout before it is `.signal` here:
/// only the kernel's log can say whether the OOM killer sent it (`KernelOOMLog`), and the
/// gatherer upgrades it when it can.
///
/// A `WORKER TIMEOUT (pid:N)` that no SIGKILL for that pid follows is a worker the abort
/// ended by itself: a sync worker in Python code gets `SystemExit` from the abort and Gunicorn
/// answers the request 500 itself (nginx logs nothing). That is a `.workerTimeout` kill too,
/// its line the TIMEOUT line (no `was sent SIGKILL` in it), so the request it cost is not lost.
///
/// uWSGI: `*** HARAKIRI ON WORKER N (pid: P, try: 1) ***` is its worker timeout; a worker
/// `killed by signal 9` without a harakiri for its pid is `.signal`. uWSGI stamps its harakiri
/// lines with `ctime` local time (`Sat Nov 21 10:57:47 2026 - *** HARAKIRI …`), read here.
public enum WorkerKillLog {
    /// - Parameters:
    ///   - lines: the window's lines, oldest first.
    ///   - source: the log's path (kills are sourced `path:LINE` when `firstLineNumber` is known), or `journal`.
    ///   - times: the time of each line when the caller knows it better than the line does (journal entries).
    public static func parse(lines: [Substring], source: String, firstLineNumber: Int?, times: [Date?]? = nil,
                             localZone: TimeZone = .current) -> [WorkerKill] {
        var timedOut = Set<Int>()
        // Gunicorn TIMEOUT lines still waiting for their SIGKILL, by pid, in line order.
        var pendingTimeouts: [(pid: Int, kill: WorkerKill)] = []
        var kills: [WorkerKill] = []
        for (offset, line) in lines.enumerated() {
            // Cheap rejection: every line this parser wants names a pid.
            guard line.contains("pid") else { continue }
            let location = firstLineNumber.map { "\(source):\($0 + offset)" } ?? source
            func time() -> Date? {
                if let times, offset < times.count, let known = times[offset] { return known }
                return LogTimestamp.parse(line, localZone: localZone) ?? LogTimestamp.ctime(line, localZone: localZone)
            }
            if let pid = number(after: "WORKER TIMEOUT (pid:", in: line) {
                timedOut.insert(pid)
                pendingTimeouts.removeAll { $0.pid == pid }
                pendingTimeouts.append((pid, WorkerKill(reason: .workerTimeout, pid: pid, line: trimmed(line), source: location, time: time())))
            } else if let pid = number(after: "HARAKIRI ON WORKER", in: line, thenAfter: "pid:") {
                timedOut.insert(pid)
                kills.append(WorkerKill(reason: .workerTimeout, pid: pid, line: trimmed(line), source: location, time: time()))
            } else if line.contains("was sent SIGKILL"), let pid = number(after: "Worker (pid:", in: line) {
                let reason: WorkerKill.Reason = timedOut.remove(pid) != nil ? .workerTimeout : .signal
                pendingTimeouts.removeAll { $0.pid == pid }
                kills.append(WorkerKill(reason: reason, pid: pid, line: trimmed(line), source: location, time: time()))
            } else if line.contains("killed by signal 9"), let pid = number(after: "(pid:", in: line) {
                // uWSGI: `DAMN ! worker 1 (pid: 4242) died, killed by signal 9 :( trying respawn ...`
                if timedOut.remove(pid) == nil {
                    kills.append(WorkerKill(reason: .signal, pid: pid, line: trimmed(line), source: location, time: time()))
                }
            }
        }
        // Timeouts the abort ended without a SIGKILL, in their place by time (line order otherwise).
        for pending in pendingTimeouts {
            let at = kills.firstIndex { kill in
                guard let time = kill.time, let pendingTime = pending.kill.time else { return false }
                return time > pendingTime
            } ?? kills.count
            kills.insert(pending.kill, at: at)
        }
        return kills
    }

    /// The decimal number after `marker` (spaces skipped), optionally after a second marker that follows it.
    static func number(after marker: String, in line: Substring, thenAfter second: String? = nil) -> Int? {
        guard var range = line.range(of: marker) else { return nil }
        if let second {
            guard let next = line[range.upperBound...].range(of: second) else { return nil }
            range = next
        }
        let digits = line[range.upperBound...].drop { $0 == " " }.prefix { $0.isASCII && $0.isNumber }
        return digits.isEmpty ? nil : Int(digits)
    }

    private static func trimmed(_ line: Substring) -> String {
        String(line.trimmingCharacters(in: .whitespacesAndNewlines).prefix(500))
    }
}
