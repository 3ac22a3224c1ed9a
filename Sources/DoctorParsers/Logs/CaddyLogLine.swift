import DoctorFacts
import Foundation

/// One line of Caddy's structured (JSON) log, the fields a 502/504 diagnosis reads.
///
/// Caddy writes every logger to the same outputs unless told otherwise: the reverse
/// proxy's failures come from the `http.log.error` logger (`msg` is Go's error text,
/// `status` the answer Caddy gave), each request from `http.log.access` (`status`, and
/// no upstream status: Caddy logs none), both with a `request` object (`method`,
/// `host`, `uri`, `proto`). A per-site `log` names its logger with a suffix
/// (`http.log.access.log0`). `ts` is Unix seconds as a float (Caddy's default
/// `time_format`), or an ISO 8601 / wall-clock string when a `time_format` is set.
/// Formats observed with Caddy 2.6.2 (Tests/DoctorParsersTests/Fixtures/caddy).
public struct CaddyLogLine: Hashable, Sendable {
    public var level: String
    public var time: Date?
    /// `http.log.error`, `http.log.access.log0`, `http`, `tls`; empty for the default logger.
    public var logger: String
    public var message: String
    public var status: Int?
    public var method: String?
    public var host: String?
    /// The request target as logged, with its query string (redact before showing it).
    public var uri: String?
    public var proto: String?
    /// Seconds the request took.
    public var duration: Double?

    /// Bytes of one line that are looked at: Caddy lines carry every request header, so
    /// a few kilobytes are normal; a longer line is not parsed.
    public static let maxLineBytes = 64 << 10

    /// `http.log.error…`: a handler (here, the reverse proxy) failed the request.
    public var isError: Bool { logger == "http.log.error" || logger.hasPrefix("http.log.error.") }
    /// `http.log.access…`: one handled request.
    public var isAccess: Bool { logger == "http.log.access" || logger.hasPrefix("http.log.access.") }

    /// The line, or `nil` when it is not a JSON object with Caddy's `level` and `msg`.
    public init?(_ line: Substring) {
        let trimmed = line.drop { $0 == " " || $0 == "\t" }
        guard trimmed.first == "{", trimmed.utf8.count <= Self.maxLineBytes,
              let object = try? JSONSerialization.jsonObject(with: Data(trimmed.utf8)) as? [String: Any],
              let level = object["level"] as? String, let message = object["msg"] as? String else { return nil }
        self.level = level
        self.message = message
        logger = object["logger"] as? String ?? ""
        time = Self.time(object["ts"])
        status = (object["status"] as? NSNumber)?.intValue
        duration = (object["duration"] as? NSNumber)?.doubleValue
        if let request = object["request"] as? [String: Any] {
            method = request["method"] as? String
            host = request["host"] as? String
            uri = request["uri"] as? String
            proto = request["proto"] as? String
        }
    }

    /// Only the time, found without decoding the whole line: for seeking through a log.
    public static func time(in line: Substring) -> Date? {
        guard let range = line.prefix(400).range(of: "\"ts\":") else { return nil }
        var rest = line[range.upperBound...].drop { $0 == " " }
        if rest.first == "\"" {
            rest = rest.dropFirst()
            guard let end = rest.firstIndex(of: "\"") else { return nil }
            return LogTimestamp.parse(rest[..<end])
        }
        let number = rest.prefix { $0.isNumber || $0 == "." || $0 == "e" || $0 == "E" || $0 == "+" || $0 == "-" }
        return Double(number).flatMap(epoch)
    }

    private static func time(_ value: Any?) -> Date? {
        if let number = value as? NSNumber { return epoch(number.doubleValue) }
        if let text = value as? String { return Double(text).flatMap(epoch) ?? LogTimestamp.parse(Substring(text)) }
        return nil
    }

    /// `unix_seconds_float` (the default); milli- and nanosecond variants are told apart by size.
    private static func epoch(_ value: Double) -> Date? {
        guard value.isFinite, value > 0 else { return nil }
        if value > 1e17 { return Date(timeIntervalSince1970: value / 1e9) }
        if value > 1e11 { return Date(timeIntervalSince1970: value / 1e3) }
        return Date(timeIntervalSince1970: value)
    }

    /// `GET /health/ HTTP/1.1`, the way nginx writes `request:`, so the response checks read both alike.
    public var requestLine: String? {
        guard let method, let uri else { return nil }
        return [method, uri, proto].compactMap { $0 }.joined(separator: " ")
    }
}
