/// Byte-level readers for the values of access-log fields: numbers, decimal
/// seconds and the two time stamps nginx writes. No `String` is made.
enum AccessLogFields {
    /// A non-negative integer, or `nil` (`-`, empty, anything else).
    static func integer(_ buffer: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int? {
        guard !range.isEmpty, range.count <= 18 else { return nil }
        var value = 0
        for index in range {
            let digit = buffer[index] &- 48
            guard digit < 10 else { return nil }
            value = value * 10 + Int(digit)
        }
        return value
    }

    /// `0.123` → 0.123; `nil` for `-`. For a list (`0.001, 0.002`) the last entry counts.
    static func seconds(_ buffer: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Double? {
        var start = range.lowerBound
        var index = range.upperBound
        while index > range.lowerBound {
            let byte = buffer[index - 1]
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: ",") || byte == UInt8(ascii: ":") {
                start = index
                break
            }
            index -= 1
        }
        var whole = 0.0, fraction = 0.0, scale = 1.0, seenDot = false, seenDigit = false
        for position in start..<range.upperBound {
            let byte = buffer[position]
            if byte == UInt8(ascii: ".") {
                guard !seenDot else { return nil }
                seenDot = true
                continue
            }
            let digit = byte &- 48
            guard digit < 10 else { return nil }
            seenDigit = true
            if seenDot {
                scale /= 10
                fraction += Double(digit) * scale
            } else {
                whole = whole * 10 + Double(digit)
            }
        }
        return seenDigit ? whole + fraction : nil
    }

    private static func digits(_ buffer: UnsafeBufferPointer<UInt8>, _ at: Int, _ count: Int) -> Int? {
        var value = 0
        for index in at..<(at + count) {
            let digit = buffer[index] &- 48
            guard digit < 10 else { return nil }
            value = value * 10 + Int(digit)
        }
        return value
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// `Jan` … `Dec` → 1 … 12, from three bytes.
    static func month(_ a: UInt8, _ b: UInt8, _ c: UInt8) -> Int? {
        switch (a | 0x20, b | 0x20, c | 0x20) {
        case (106, 97, 110): 1   // jan
        case (102, 101, 98): 2   // feb
        case (109, 97, 114): 3   // mar
        case (97, 112, 114): 4   // apr
        case (109, 97, 121): 5   // may
        case (106, 117, 110): 6  // jun
        case (106, 117, 108): 7  // jul
        case (97, 117, 103): 8   // aug
        case (115, 101, 112): 9  // sep
        case (111, 99, 116): 10  // oct
        case (110, 111, 118): 11 // nov
        case (100, 101, 99): 12  // dec
        default: nil
        }
    }

    /// `21/Nov/2026:10:56:28 +0000` → seconds since the epoch.
    static func timeLocal(_ buffer: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int? {
        guard range.count >= 26 else { return nil }
        let i = range.lowerBound
        guard let day = digits(buffer, i, 2), let month = month(buffer[i + 3], buffer[i + 4], buffer[i + 5]),
              let year = digits(buffer, i + 7, 4), let hour = digits(buffer, i + 12, 2),
              let minute = digits(buffer, i + 15, 2), let second = digits(buffer, i + 18, 2),
              let zone = zoneOffset(buffer, i + 21, colon: false) else { return nil }
        return days(year: year, month: month, day: day) * 86400 + hour * 3600 + minute * 60 + second - zone
    }

    /// `2026-11-21T10:56:28+00:00` → seconds since the epoch.
    static func timeISO8601(_ buffer: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int? {
        guard range.count >= 20 else { return nil }
        let i = range.lowerBound
        guard let year = digits(buffer, i, 4), let month = digits(buffer, i + 5, 2), let day = digits(buffer, i + 8, 2),
              let hour = digits(buffer, i + 11, 2), let minute = digits(buffer, i + 14, 2),
              let second = digits(buffer, i + 17, 2) else { return nil }
        let zone = buffer[i + 19] == UInt8(ascii: "Z") ? 0 : (range.count >= 25 ? zoneOffset(buffer, i + 19, colon: true) : nil)
        guard let zone else { return nil }
        return days(year: year, month: month, day: day) * 86400 + hour * 3600 + minute * 60 + second - zone
    }

    /// `1700000000.123` → whole seconds.
    static func msec(_ buffer: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int? {
        var end = range.lowerBound
        while end < range.upperBound, buffer[end] != UInt8(ascii: ".") { end += 1 }
        return integer(buffer, range.lowerBound..<end)
    }

    /// `+0100` / `+01:00` → 3600.
    private static func zoneOffset(_ buffer: UnsafeBufferPointer<UInt8>, _ at: Int, colon: Bool) -> Int? {
        let sign: Int
        switch buffer[at] {
        case UInt8(ascii: "+"): sign = 1
        case UInt8(ascii: "-"): sign = -1
        default: return nil
        }
        guard let hours = digits(buffer, at + 1, 2), let minutes = digits(buffer, at + (colon ? 4 : 3), 2) else { return nil }
        return sign * (hours * 3600 + minutes * 60)
    }
}
