import Foundation

/// One journal entry from `journalctl -o json`, reduced to what a diagnosis needs.
public struct JournalEntry: Sendable, Equatable {
    /// The message; non-UTF-8 bytes are decoded lossily (U+FFFD). `nil` when the
    /// entry has none or journalctl left it out (`null`: over 4096 bytes without `--all`).
    public var message: String?
    /// journald sent the message as an array of bytes (it was not valid UTF-8 or
    /// contained control characters).
    public var messageWasBinary: Bool
    /// `__REALTIME_TIMESTAMP` (microseconds since the epoch).
    public var date: Date?
    public var pid: Int?
    /// 0 emerg … 7 debug.
    public var priority: Int?
    public var syslogIdentifier: String?
    public var systemdUnit: String?
    /// `UNIT`: the unit systemd itself (PID 1, `_SYSTEMD_UNIT=init.scope`) writes about,
    /// as in `gunicorn.service: Main process exited, code=exited, status=3/NOTIMPLEMENTED`.
    public var aboutUnit: String?
}

/// `journalctl -o json`: one JSON object per line, every value a string, an array of
/// byte numbers (binary data), `null` (too large), or an array of those when a field
/// occurs several times in one entry (then the first occurrence is used).
public enum JournalJSON {
    /// Longer lines are not parsed (journalctl's default data threshold keeps entries
    /// far below this).
    public static let maxLineBytes = 1 << 20

    /// The entry of one line, or `nil` for anything that is not a journal JSON object.
    public static func parse(line: Substring) -> JournalEntry? {
        let trimmed = line.drop { $0 == " " || $0 == "\t" }
        guard trimmed.first == "{", trimmed.utf8.count <= maxLineBytes else { return nil }
        guard let object = try? JSONSerialization.jsonObject(with: Data(trimmed.utf8)) as? [String: Any] else {
            return nil
        }
        func field(_ key: String) -> (text: String, binary: Bool)? {
            decode(object[key])
        }
        let message = field("MESSAGE")
        let date = field("__REALTIME_TIMESTAMP").flatMap { Double($0.text) }.map { Date(timeIntervalSince1970: $0 / 1_000_000) }
        return JournalEntry(message: message?.text, messageWasBinary: message?.binary ?? false, date: date,
                            pid: field("_PID").flatMap { Int($0.text) },
                            priority: field("PRIORITY").flatMap { Int($0.text) },
                            syslogIdentifier: field("SYSLOG_IDENTIFIER")?.text,
                            systemdUnit: field("_SYSTEMD_UNIT")?.text, aboutUnit: field("UNIT")?.text)
    }

    public static func parse(line: String) -> JournalEntry? { parse(line: Substring(line)) }

    /// Every entry of a whole output; garbage lines are skipped.
    public static func parse(_ text: String) -> [JournalEntry] {
        serviceTextLines(text).compactMap { parse(line: $0) }
    }

    private static func decode(_ value: Any?) -> (text: String, binary: Bool)? {
        switch value {
        case let text as String:
            return (text, false)
        case let array as [Any]:
            if array.isEmpty { return ("", true) }
            if array.first is String || array.first is [Any] {
                return decode(array.first)  // the field occurred several times
            }
            var bytes: [UInt8] = []
            bytes.reserveCapacity(array.count)
            for element in array {
                guard let number = element as? NSNumber else { return nil }
                let integer = number.intValue
                guard (0...255).contains(integer), Double(integer) == number.doubleValue else { return nil }
                bytes.append(UInt8(integer))
            }
            return (String(decoding: bytes, as: UTF8.self), true)
        default:
            return nil
        }
    }
}
