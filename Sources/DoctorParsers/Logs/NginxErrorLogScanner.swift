/// Splits one nginx error-log line into its parts, on UTF-8 bytes, without redacting or
/// classifying: the window summary scans every line of a busy log this way and builds
/// full events only for the few it keeps.
///
/// Layout (ngx_log_error_core, then ngx_http_log_error_handler for the context):
/// `YYYY/MM/DD HH:MM:SS [level] PID#TID: *CONN message, client: C, server: S,
/// request: "R", upstream: "U", host: "H", referrer: "F"`.
struct NginxErrorLogRecord {
    var bytes: [UInt8]
    var level: String
    var pid: Int?
    var connection: Int?
    var message: String
    var errno: Int?
    var client: String?
    var server: String?
    var request: String?
    var upstream: String?
    var host: String?

    /// The stamp's 19 characters, for `LogTimestamp`.
    var stamp: Substring { Substring(String(decoding: bytes.prefix(19), as: UTF8.self)) }

    static let levels: Set<String> = ["emerg", "alert", "crit", "error", "warn", "notice", "info", "debug"]

    /// Context keys nginx appends after the message, in the order it writes them (http, then
    /// stream, mail and resolver contexts). A value ends where `, <a later key>:` starts;
    /// quoted values may themselves hold `, `, and a client-written referrer may hold a
    /// fake `, upstream: "…"`, which the order rules out.
    static let contextKeys: [[UInt8]] = [
        "client", "server", "request", "subrequest", "upstream", "host", "referrer", "bytes from/to client",
        "bytes from/to upstream", "login", "resolver", "responder", "certificate", "sni",
    ].map { Array($0.utf8) }

    init?(_ line: Substring, maxBytes: Int) {
        var bytes = Array(line.utf8.prefix(maxBytes))
        while let last = bytes.last, last == UInt8(ascii: "\n") || last == UInt8(ascii: "\r") { bytes.removeLast() }
        guard Self.hasStamp(bytes) else { return nil }
        self.bytes = bytes

        // `[level] `
        var cursor = 21
        guard let close = Self.index(of: UInt8(ascii: "]"), in: bytes, from: cursor, limit: cursor + 7) else { return nil }
        let level = String(decoding: bytes[cursor..<close], as: UTF8.self)
        guard Self.levels.contains(level) else { return nil }
        self.level = level
        cursor = close + 1
        if cursor < bytes.count, bytes[cursor] == UInt8(ascii: " ") { cursor += 1 }

        // `PID#TID: `
        if let (pid, afterPID) = Self.number(bytes, at: cursor), afterPID < bytes.count, bytes[afterPID] == UInt8(ascii: "#"),
           let (_, afterTID) = Self.number(bytes, at: afterPID + 1), afterTID + 1 < bytes.count,
           bytes[afterTID] == UInt8(ascii: ":"), bytes[afterTID + 1] == UInt8(ascii: " ") {
            self.pid = pid
            cursor = afterTID + 2
        }
        // `*CONN `
        if cursor < bytes.count, bytes[cursor] == UInt8(ascii: "*"), let (connection, afterConnection) = Self.number(bytes, at: cursor + 1),
           afterConnection < bytes.count, bytes[afterConnection] == UInt8(ascii: " ") {
            self.connection = connection
            cursor = afterConnection + 1
        }

        let clientMarker = Array(", client: ".utf8)
        let messageEnd = Self.find(clientMarker, in: bytes, from: cursor) ?? bytes.count
        message = String(decoding: bytes[cursor..<messageEnd], as: UTF8.self)
        errno = Self.errno(bytes, from: cursor, to: messageEnd)
        if messageEnd < bytes.count { readContext(from: messageEnd) }
    }

    /// `, key: value` pairs from `start` (which points at `, `) to the end of the line.
    private mutating func readContext(from start: Int) {
        var position = start
        var lastKey = -1
        // Each pass consumes at least the `, ` it starts at, so the loop ends.
        while position + 2 < bytes.count {
            guard let (keyIndex, keyLength) = Self.contextKey(bytes, at: position, after: lastKey) else { return }
            lastKey = keyIndex
            let keyStart = position + 2
            let key = String(decoding: bytes[keyStart..<(keyStart + keyLength)], as: UTF8.self)
            var valueStart = keyStart + keyLength + 1
            if valueStart < bytes.count, bytes[valueStart] == UInt8(ascii: " ") { valueStart += 1 }
            let value: String
            if valueStart < bytes.count, bytes[valueStart] == UInt8(ascii: "\"") {
                let contentStart = valueStart + 1
                let end = quotedEnd(from: contentStart, after: keyIndex)
                value = String(decoding: bytes[min(contentStart, end)..<end], as: UTF8.self)
                position = end < bytes.count ? end + 1 : end
            } else {
                let end = nextContextKey(from: valueStart, after: keyIndex) ?? bytes.count
                value = String(decoding: bytes[min(valueStart, end)..<end], as: UTF8.self)
                position = end
            }
            switch key {
            case "client": client = value
            case "server": server = value
            case "request": request = value
            case "upstream": upstream = value
            case "host": host = value
            default: break
            }
            guard position < bytes.count, bytes[position] == UInt8(ascii: ",") else { return }
        }
    }

    /// A quoted value ends at the first `"` that is followed by `, <context key>:` or ends the
    /// line. nginx writes request lines, URIs and headers unescaped, and the request line
    /// cannot hold a space-comma pair (nginx answers 400 to it), so the first such quote is
    /// the real end. A line nginx cut short (its 2048-byte limit) ends the value at its end.
    private func quotedEnd(from start: Int, after keyIndex: Int) -> Int {
        var index = start
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "\"") {
                if index + 1 == bytes.count { return index }
                if bytes[index + 1] == UInt8(ascii: ","), Self.contextKey(bytes, at: index + 1, after: keyIndex) != nil { return index }
            }
            index += 1
        }
        return bytes.count
    }

    private func nextContextKey(from start: Int, after keyIndex: Int) -> Int? {
        var index = start
        while index + 2 < bytes.count {
            if bytes[index] == UInt8(ascii: ","), Self.contextKey(bytes, at: index, after: keyIndex) != nil { return index }
            index += 1
        }
        return nil
    }

    /// The key's place in `contextKeys` and its length when `bytes[at...]` reads `, <key>:`
    /// for a key nginx writes after the one at `previous`.
    static func contextKey(_ bytes: [UInt8], at position: Int, after previous: Int) -> (index: Int, length: Int)? {
        guard position + 2 < bytes.count, bytes[position] == UInt8(ascii: ","), bytes[position + 1] == UInt8(ascii: " ") else {
            return nil
        }
        let keyStart = position + 2
        let first = bytes[keyStart]
        for (index, key) in contextKeys.enumerated() where index > previous && key[0] == first {
            let colon = keyStart + key.count
            guard colon < bytes.count, bytes[colon] == UInt8(ascii: ":") else { continue }
            if bytes[keyStart..<colon].elementsEqual(key) { return (index, key.count) }
        }
        return nil
    }

    /// `YYYY/MM/DD HH:MM:SS [`
    static func hasStamp(_ bytes: [UInt8]) -> Bool {
        guard bytes.count > 21 else { return false }
        let digitPositions = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18]
        for position in digitPositions where !(bytes[position] >= 0x30 && bytes[position] <= 0x39) { return false }
        return bytes[4] == UInt8(ascii: "/") && bytes[7] == UInt8(ascii: "/") && bytes[10] == UInt8(ascii: " ")
            && bytes[13] == UInt8(ascii: ":") && bytes[16] == UInt8(ascii: ":") && bytes[19] == UInt8(ascii: " ")
            && bytes[20] == UInt8(ascii: "[")
    }

    /// A decimal number of at most 18 digits at `start`, and the index after it.
    static func number(_ bytes: [UInt8], at start: Int) -> (Int, Int)? {
        var index = start
        var value = 0
        while index < bytes.count, index - start < 18, bytes[index] >= 0x30, bytes[index] <= 0x39 {
            value = value * 10 + Int(bytes[index] - 0x30)
            index += 1
        }
        return index > start ? (value, index) : nil
    }

    /// The number in the first `(N: ` of the message: nginx's `(%d: %s)` after a failed call.
    static func errno(_ bytes: [UInt8], from start: Int, to end: Int) -> Int? {
        var index = start
        while index < end {
            if bytes[index] == UInt8(ascii: "("), let (value, after) = number(bytes, at: index + 1), after - index <= 5,
               after + 1 < end, bytes[after] == UInt8(ascii: ":"), bytes[after + 1] == UInt8(ascii: " ") {
                return value
            }
            index += 1
        }
        return nil
    }

    static func index(of byte: UInt8, in bytes: [UInt8], from start: Int, limit: Int) -> Int? {
        var index = start
        while index < min(limit, bytes.count) {
            if bytes[index] == byte { return index }
            index += 1
        }
        return nil
    }

    static func find(_ pattern: [UInt8], in bytes: [UInt8], from start: Int) -> Int? {
        guard let first = pattern.first, bytes.count >= pattern.count else { return nil }
        var index = start
        while index + pattern.count <= bytes.count {
            if bytes[index] == first, bytes[index..<(index + pattern.count)].elementsEqual(pattern) { return index }
            index += 1
        }
        return nil
    }
}
