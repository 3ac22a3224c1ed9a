import DoctorFacts
import Foundation

/// Summarises the upstream failures in the part of an nginx error log that falls inside
/// the `--since` window (the lines `LogWindowReader` returns).
public enum NginxErrorLogWindow {
    /// Events in the window, oldest first, the last `keepLast` of them kept; counts per
    /// `"<kind> <endpoint or upstream>"` over all of them.
    ///
    /// - Parameters:
    ///   - lines: the window's lines, oldest first.
    ///   - firstLineNumber: the line number of `lines[0]` in the file, when known; events
    ///     are then sourced `path:LINE`, else `path`.
    ///   - cutShort: passed through: the read stopped before the window's start.
    public static func summarize(lines: [Substring], path: String, windowStart: Date, firstLineNumber: Int?, cutShort: Bool,
                                 keepLast: Int = 20, localZone: TimeZone = .current) -> ErrorLogWindow {
        var counts: [String: Int] = [:]
        // Only the kept events are redacted and built; a busy window may hold many thousands.
        var kept: [(event: NginxErrorLog.ScannedEvent, offset: Int)] = []
        let keep = max(0, keepLast)
        kept.reserveCapacity(min(keep, 256))
        var next = 0 // ring position once `kept` is full
        for (offset, line) in lines.enumerated() {
            guard let scanned = NginxErrorLog.ScannedEvent(line, localZone: localZone) else { continue }
            if let time = scanned.time, time < windowStart { continue }
            counts[scanned.countKey, default: 0] += 1
            guard keep > 0 else { continue }
            if kept.count < keep {
                kept.append((scanned, offset))
            } else {
                kept[next] = (scanned, offset)
                next = (next + 1) % keep
            }
        }
        let ordered = kept.count < keep ? kept[...] : kept[next...] + kept[..<next]
        let events = ordered.map { entry in
            entry.event.event(source: firstLineNumber.map { "\(path):\($0 + entry.offset)" } ?? path)
        }
        return ErrorLogWindow(path: path, windowStart: windowStart, events: events, counts: counts, cutShort: cutShort)
    }
}
