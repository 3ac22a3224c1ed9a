import DoctorFacts

/// `/proc/meminfo`: `Key:   value kB` lines.
public enum MemInfo {
    /// Every `Key: N [kB]` line as bytes (`kB` lines × 1024; the `HugePages_*` counts stay
    /// counts). Unknown keys are kept, malformed lines skipped, so newer kernels parse too.
    public static func values(_ text: String) -> [String: UInt64] {
        var values: [String: UInt64] = [:]
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = String(line[..<colon])
            let words = line[line.index(after: colon)...].split(separator: " ", omittingEmptySubsequences: true)
            guard let first = words.first, let number = UInt64(first) else { continue }
            if words.count > 1, words[1] == "kB" {
                let (bytes, overflow) = number.multipliedReportingOverflow(by: 1024)
                values[key] = overflow ? UInt64.max : bytes
            } else {
                values[key] = number
            }
        }
        return values
    }

    /// The memory status, or `nil` when the text has no `MemTotal` (not a meminfo file).
    public static func parse(_ text: String) -> MemoryStatus? {
        let values = values(text)
        guard let total = values["MemTotal"], total > 0 else { return nil }
        return MemoryStatus(totalBytes: total, availableBytes: values["MemAvailable"], freeBytes: values["MemFree"] ?? 0,
                            swapTotalBytes: values["SwapTotal"] ?? 0, swapFreeBytes: values["SwapFree"] ?? 0)
    }
}
