/// Text forms of IP addresses, written in Swift so parsers stay free of libc.
public enum IPAddressText {
    /// Dotted quad of 4 network-order bytes.
    public static func ipv4(_ bytes: [UInt8]) -> String {
        bytes.map(String.init).joined(separator: ".")
    }

    /// RFC 5952 text of 16 network-order bytes: lowercase, longest run of two or more
    /// zero groups shortened to `::`, IPv4-mapped addresses as `::ffff:a.b.c.d`, the
    /// same form `ss` and nginx print, so addresses compare as strings.
    public static func ipv6(_ bytes: [UInt8]) -> String {
        guard bytes.count == 16 else { return bytes.map { String($0, radix: 16) }.joined(separator: ":") }
        if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF {
            return "::ffff:" + ipv4(Array(bytes[12..<16]))
        }
        var groups: [UInt16] = []
        for index in stride(from: 0, to: 16, by: 2) {
            groups.append(UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1]))
        }
        // Longest run of zero groups (the first one on a tie), only if at least two long.
        var bestStart = -1, bestLength = 0, runStart = -1
        for (index, group) in groups.enumerated() {
            if group == 0 {
                if runStart < 0 { runStart = index }
                let length = index - runStart + 1
                if length > bestLength { bestStart = runStart; bestLength = length }
            } else {
                runStart = -1
            }
        }
        let text = { (slice: ArraySlice<UInt16>) in slice.map { String($0, radix: 16) }.joined(separator: ":") }
        guard bestLength >= 2 else { return text(groups[...]) }
        return text(groups[0..<bestStart]) + "::" + text(groups[(bestStart + bestLength)...])
    }
}
