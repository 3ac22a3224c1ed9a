import Foundation

/// Compose durations (`30s`, `1m30s`, `1h`, `500ms`, `2.5s`: Go's `time.ParseDuration` units),
/// used by `healthcheck` intervals and start periods.
public enum ComposeDuration {
    /// Seconds, or `nil` when the text is not a duration. A bare number is taken as seconds,
    /// as older compose files (and YAML integers) write it.
    public static func seconds(_ text: String) -> Double? {
        let text = text.trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty else { return nil }
        if let plain = Double(text) { return plain >= 0 ? plain : nil }
        var total = 0.0
        var rest = Substring(text)
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            let unit = rest.prefix { $0.isLetter || $0 == "µ" }
            rest = rest.dropFirst(unit.count)
            switch unit {
            case "h": total += value * 3600
            case "m": total += value * 60
            case "s": total += value
            case "ms": total += value / 1000
            case "us", "µs": total += value / 1_000_000
            case "ns": total += value / 1_000_000_000
            default: return nil
            }
        }
        return total
    }
}
