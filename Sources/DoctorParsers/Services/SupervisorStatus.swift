import Foundation

/// One line of `supervisorctl status`.
public struct SupervisorProcessStatus: Sendable, Equatable {
    /// As printed: `app`, or `group:process`.
    public var name: String
    public var group: String?
    public var process: String
    /// `STOPPED`, `STARTING`, `RUNNING`, `BACKOFF`, `STOPPING`, `EXITED`, `FATAL`, `UNKNOWN`.
    public var state: String
    /// The rest of the line: `pid 123, uptime 0:01:02`, `Exited too quickly (process
    /// log may have details)`, `Not started`, or the time it stopped/exited.
    public var description: String
    public var pid: Int?
    /// Seconds, from `uptime H:MM:SS` or `N day(s), H:MM:SS`.
    public var uptime: Int?
}

/// Output of `supervisorctl status` (supervisor 4.2, recorded under
/// Fixtures/services/supervisor/).
public enum SupervisorStatus {
    public static let states: Set<String> = ["STOPPED", "STARTING", "RUNNING", "BACKOFF", "STOPPING", "EXITED", "FATAL", "UNKNOWN"]

    /// Process lines; everything else (errors, `name: ERROR (no such process)`) is skipped.
    public static func parse(_ text: String) -> [SupervisorProcessStatus] {
        text.split(whereSeparator: \.isNewline).compactMap { line in
            let line = line.prefix(4096)
            let fields = line.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
            guard fields.count == 2 else { return nil }
            let name = String(fields[0])
            let rest = fields[1].drop { $0 == " " }
            let stateEnd = rest.firstIndex(of: " ") ?? rest.endIndex
            let state = String(rest[..<stateEnd])
            guard states.contains(state) else { return nil }
            let description = rest[stateEnd...].trimmingCharacters(in: .whitespaces)
            let parts = name.split(separator: ":", maxSplits: 1)
            let group = parts.count == 2 ? String(parts[0]) : nil
            var status = SupervisorProcessStatus(name: name, group: group, process: String(parts.last ?? ""),
                                                 state: state, description: description)
            if state == "RUNNING" { (status.pid, status.uptime) = pidAndUptime(description) }
            return status
        }
    }

    /// Names `supervisorctl status NAME` did not know (`nosuch: ERROR (no such process)`).
    public static func unknownNames(_ text: String) -> [String] {
        text.split(whereSeparator: \.isNewline).compactMap { line in
            guard line.hasSuffix(": ERROR (no such process)") else { return nil }
            return String(line.dropLast(": ERROR (no such process)".count))
        }
    }

    /// Why `supervisorctl` could not report, or `nil`: it cannot reach supervisord
    /// (`unix:///run/supervisor.sock no such file`, `… refused connection`), or the
    /// server answered with an error (`error: <class 'xmlrpc.client.Fault'>, <Fault 6:
    /// 'SHUTDOWN_STATE'>…`).
    public static func failure(_ output: String) -> String? {
        for line in output.split(whereSeparator: \.isNewline) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("error:") { return String(trimmed.prefix(1000)) }
            if trimmed.hasPrefix("unix://") || trimmed.hasPrefix("http://"),
               trimmed.hasSuffix("no such file") || trimmed.hasSuffix("refused connection")
                || trimmed.contains("Permission denied") {
                return String(trimmed.prefix(1000))
            }
        }
        return nil
    }

    /// `pid 123, uptime 0:01:02` / `pid 7, uptime 2 days, 3:04:05`.
    static func pidAndUptime(_ description: String) -> (Int?, Int?) {
        guard description.hasPrefix("pid ") else { return (nil, nil) }
        let afterPid = description.dropFirst(4)
        let pidText = afterPid.prefix { $0.isNumber }
        let pid = Int(pidText)
        guard let range = description.range(of: "uptime ") else { return (pid, nil) }
        var uptimeText = description[range.upperBound...]
        var days = 0
        if let comma = uptimeText.range(of: ", ") {
            let dayWords = uptimeText[..<comma.lowerBound].split(separator: " ")
            guard dayWords.count == 2, let count = Int(dayWords[0]), dayWords[1].hasPrefix("day") else { return (pid, nil) }
            days = count
            uptimeText = uptimeText[comma.upperBound...]
        }
        let clock = uptimeText.split(separator: ":").map { Int($0) }
        guard clock.count == 3, let hours = clock[0], let minutes = clock[1], let seconds = clock[2] else { return (pid, nil) }
        return (pid, ((days * 24 + hours) * 60 + minutes) * 60 + seconds)
    }
}
