import Foundation

/// Finds the time of a log line in the formats this stack writes, as an instant.
///
/// Clocks differ between sources (nginx error logs use local time without a zone,
/// access logs and Gunicorn carry an offset), so every stamp becomes an absolute
/// `Date`; zone-less stamps are read in the given time zone (the host's).
public enum LogTimestamp {
    /// The instant of one line, or `nil` when no known stamp is found near its start.
    ///
    /// Recognised: nginx error log `2026/11/21 07:34:00`, access log `[21/Nov/2026:07:34:00 +0000]`,
    /// Gunicorn `[2026-11-21 07:34:00 +0000]`, ISO 8601 `2026-11-21T07:34:00(.fff)(Z|+hh:mm)`.
    public static func parse(_ line: Substring, localZone: TimeZone = .current) -> Date? {
        let bytes = Array(line.utf8.prefix(200))
        var index = 0
        while index + 19 <= bytes.count {
            if let date = stamp(bytes, at: index, localZone: localZone) { return date }
            index += 1
        }
        return nil
    }

    private static func digits(_ bytes: [UInt8], _ start: Int, _ count: Int) -> Int? {
        guard start >= 0, start + count <= bytes.count else { return nil }
        var value = 0
        for byte in bytes[start..<(start + count)] {
            guard byte >= 48, byte <= 57 else { return nil }
            value = value * 10 + Int(byte - 48)
        }
        return value
    }

    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    private static let weekdays: Set<String> = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]

    /// A C `ctime` stamp at the start of `text` (`Sat Nov 21 10:57:47 2026`, the day space-padded
    /// below 10), read in `localZone`: uWSGI stamps its lines and its start banner this way.
    /// Not tried by `parse`, whose callers never see it; uWSGI's readers ask for it.
    static func ctime(_ text: Substring, localZone: TimeZone) -> Date? {
        let words = text.prefix(40).split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
        guard words.count >= 5, weekdays.contains(String(words[0])),
              let month = months.firstIndex(of: String(words[1])),
              let day = Int(words[2]), (1...31).contains(day), let year = Int(words[4]), year > 1970 else { return nil }
        let clock = words[3].split(separator: ":")
        guard clock.count == 3, let hour = Int(clock[0]), let minute = Int(clock[1]), let second = Int(clock[2]) else { return nil }
        return date(year, month + 1, day, hour, minute, second, zone: localZone)
    }

    private static func stamp(_ bytes: [UInt8], at i: Int, localZone: TimeZone) -> Date? {
        // YYYY/MM/DD HH:MM:SS or YYYY-MM-DD[ T]HH:MM:SS
        if let year = digits(bytes, i, 4), i + 19 <= bytes.count,
           bytes[i + 4] == bytes[i + 7], bytes[i + 4] == UInt8(ascii: "/") || bytes[i + 4] == UInt8(ascii: "-"),
           let month = digits(bytes, i + 5, 2), let day = digits(bytes, i + 8, 2),
           bytes[i + 10] == UInt8(ascii: " ") || bytes[i + 10] == UInt8(ascii: "T"),
           let hour = digits(bytes, i + 11, 2), bytes[i + 13] == UInt8(ascii: ":"),
           let minute = digits(bytes, i + 14, 2), bytes[i + 16] == UInt8(ascii: ":"),
           let second = digits(bytes, i + 17, 2) {
            var cursor = i + 19
            var fraction = 0.0
            if cursor < bytes.count, bytes[cursor] == UInt8(ascii: ".") || bytes[cursor] == UInt8(ascii: ",") {
                cursor += 1
                var scale = 0.1
                while cursor < bytes.count, bytes[cursor] >= 48, bytes[cursor] <= 57 {
                    fraction += Double(bytes[cursor] - 48) * scale
                    scale /= 10
                    cursor += 1
                }
            }
            let zone = offset(bytes, at: cursor) ?? localZone
            return date(year, month, day, hour, minute, second, zone: zone)?.addingTimeInterval(fraction)
        }
        // DD/Mon/YYYY:HH:MM:SS +hhmm
        if let day = digits(bytes, i, 2), i + 20 <= bytes.count, bytes[i + 2] == UInt8(ascii: "/"),
           bytes[i + 6] == UInt8(ascii: "/"),
           let month = months.firstIndex(of: String(decoding: bytes[(i + 3)..<(i + 6)], as: UTF8.self)),
           let year = digits(bytes, i + 7, 4), bytes[i + 11] == UInt8(ascii: ":"),
           let hour = digits(bytes, i + 12, 2), let minute = digits(bytes, i + 15, 2), let second = digits(bytes, i + 18, 2) {
            let zone = offset(bytes, at: i + 20) ?? localZone
            return date(year, month + 1, day, hour, minute, second, zone: zone)
        }
        return nil
    }

    /// ` +0000`, `+00:00`, `Z` right after the time.
    private static func offset(_ bytes: [UInt8], at start: Int) -> TimeZone? {
        var i = start
        if i < bytes.count, bytes[i] == UInt8(ascii: " ") { i += 1 }
        guard i < bytes.count else { return nil }
        if bytes[i] == UInt8(ascii: "Z") { return TimeZone(secondsFromGMT: 0) }
        guard bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") else { return nil }
        let sign = bytes[i] == UInt8(ascii: "-") ? -1 : 1
        guard let hours = digits(bytes, i + 1, 2) else { return nil }
        let minutesStart = (i + 3 < bytes.count && bytes[i + 3] == UInt8(ascii: ":")) ? i + 4 : i + 3
        guard let minutes = digits(bytes, minutesStart, 2) else { return nil }
        return TimeZone(secondsFromGMT: sign * (hours * 3600 + minutes * 60))
    }

    /// The instant of a wall-clock time in `zone`, by arithmetic: this runs once per log line
    /// (hundreds of thousands in a bad window), where building a `Calendar` each time cost more
    /// than the rest of the line's parse. Out-of-range days roll over as `Calendar` does
    /// (`Nov 31` is `Dec 1`); a wall time that a DST change makes ambiguous or skipped takes the
    /// zone's offset at that instant read as UTC, corrected once.
    static func date(_ year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int, _ second: Int,
                     zone: TimeZone) -> Date? {
        guard (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        let wall = Double(daysSinceEpoch(year, month, day) * 86_400 + hour * 3_600 + minute * 60 + second)
        let first = zone.secondsFromGMT(for: Date(timeIntervalSince1970: wall))
        let offset = zone.secondsFromGMT(for: Date(timeIntervalSince1970: wall - Double(first)))
        return Date(timeIntervalSince1970: wall - Double(offset))
    }

    /// The calendar year of an instant in `zone` (syslog stamps carry none; the current one is assumed).
    static func year(of instant: Date, in zone: TimeZone) -> Int {
        let local = Int((instant.timeIntervalSince1970 + Double(zone.secondsFromGMT(for: instant))).rounded(.down))
        let days = local >= 0 ? local / 86_400 : (local - 86_399) / 86_400
        // H. Hinnant's `civil_from_days`, year only.
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        return yearOfEra + era * 400 + (monthIndex >= 10 ? 1 : 0)
    }

    /// Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
    static func daysSinceEpoch(_ year: Int, _ month: Int, _ day: Int) -> Int {
        let shifted = month <= 2 ? year - 1 : year
        let era = (shifted >= 0 ? shifted : shifted - 399) / 400
        let yearOfEra = shifted - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
