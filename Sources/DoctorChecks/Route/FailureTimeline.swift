import DoctorFacts
import Foundation

/// How a connectivity finding is graded, in one place for every route, socket, upstream,
/// capacity and network check ("recovered since" lives here, not in the ranker).
///
/// - The target fails **now** (a direct probe fails, or without probes the listener table
///   or the socket file proves it cannot work): **critical**.
/// - Only the error log says it failed: **warning**. When the probes now succeed (direct,
///   and through the proxy when that was probed) the summary says
///   "recovered since HH:MM", the time of the last failing log line; otherwise
///   "last logged HH:MM" with what is known about now.
///
/// Why here and not in `VerdictRanker`: severity is part of the finding (JSON `findings`,
/// `gwdoctor checks`, every consumer reads it), and only the check knows which log lines
/// and which probes belong to its subject. A ranker that downgraded findings afterwards
/// would have to re-derive that matching for every check and would leave `check.run`
/// disagreeing with the report.
struct FailureTimeline {
    /// The subject fails now, by this check's own failure class.
    let failingNow: Bool
    /// Matching error-log events in the window, oldest first.
    let events: [ProxyLogEvent]
    /// Probes prove the subject works now.
    let recovered: Bool
    /// When not failing now and not proven recovered, what is known about now
    /// (`a listener holds it now`, `could not check now: …`).
    let nowNote: String?
    let gatheredAt: Date

    /// Whether there is anything to report at all.
    var fires: Bool { failingNow || !events.isEmpty }

    var severity: Severity { failingNow ? .critical : .warning }

    var lastFailure: ProxyLogEvent? { events.last }

    /// `HH:MM` of the last failing log line, on the log's own clock.
    var lastClock: String? { lastFailure.map { LogClock.text(for: $0, gatheredAt: gatheredAt) } }

    /// The tail of a summary: empty when failing now, else `; recovered since 14:05` or
    /// `; last logged 14:05 (a listener holds it now)`.
    var qualifier: String {
        guard !failingNow, let clock = lastClock else { return "" }
        if recovered { return "; recovered since \(clock)" }
        return "; last logged \(clock)" + (nowNote.map { " (\($0))" } ?? "")
    }
}

/// Times of log lines as a person reads them in the log.
enum LogClock {
    /// `14:05` from an nginx line (`2024/05/01 14:05:09 [error] …`, the log's local clock);
    /// with the date when it is more than 12 hours before the gather; else the parsed
    /// instant in UTC (`14:05 UTC`).
    static func text(for event: ProxyLogEvent, gatheredAt: Date) -> String {
        let old = event.time.map { gatheredAt.timeIntervalSince($0) > 12 * 3600 } ?? false
        if let stamp = nginxStamp(event.line) {
            return old ? "\(stamp.date) \(stamp.clock)" : stamp.clock
        }
        guard let time = event.time else { return "an unknown time" }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: time)
        let clock = String(format: "%02d:%02d UTC", parts.hour ?? 0, parts.minute ?? 0)
        return old ? String(format: "%04d-%02d-%02d ", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0) + clock : clock
    }

    /// `2024/05/01 14:05:09` at the start of a line, as (`2024/05/01`, `14:05`).
    static func nginxStamp(_ line: String) -> (date: String, clock: String)? {
        let chars = Array(line.utf8.prefix(19))
        guard chars.count == 19 else { return nil }
        let digitAt: Set<Int> = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18]
        for (index, char) in chars.enumerated() {
            let isDigit = char >= UInt8(ascii: "0") && char <= UInt8(ascii: "9")
            if digitAt.contains(index) != isDigit { return nil }
        }
        guard chars[4] == UInt8(ascii: "/"), chars[7] == UInt8(ascii: "/"), chars[10] == UInt8(ascii: " "),
              chars[13] == UInt8(ascii: ":"), chars[16] == UInt8(ascii: ":") else { return nil }
        let text = String(decoding: chars, as: UTF8.self)
        return (String(text.prefix(10)), String(text.dropFirst(11).prefix(5)))
    }
}
