/// nginx's time and size notations, parsed the way nginx's `ngx_parse_time` and
/// `ngx_parse_size` read them, so a check can compare `proxy_read_timeout 2m` with
/// gunicorn's `--timeout 30` or `proxy_buffer_size 4k` with a 20 kB header.
public enum NginxValue {
    /// Seconds in an nginx time: `60`, `60s`, `1m`, `500ms`, `1h 30m`, `1h30m`
    /// (units `ms s m h d w M y`; a bare number is seconds). `nil` when not a time.
    public static func seconds(_ text: String) -> Double? {
        var total = 0.0
        var number: Double? = nil
        var sawAny = false
        var bytes = Array(text.utf8)[...]
        while let byte = bytes.first {
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") {
                bytes = bytes.dropFirst()
                continue
            }
            if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                guard number == nil else { return nil }
                var value = 0.0
                while let digit = bytes.first, digit >= UInt8(ascii: "0") && digit <= UInt8(ascii: "9") {
                    value = value * 10 + Double(digit - UInt8(ascii: "0"))
                    bytes = bytes.dropFirst()
                }
                number = value
                continue
            }
            guard let value = number else { return nil }
            let unit: Double
            switch byte {
            case UInt8(ascii: "m"):
                if bytes.dropFirst().first == UInt8(ascii: "s") {
                    unit = 0.001
                    bytes = bytes.dropFirst()
                } else {
                    unit = 60
                }
            case UInt8(ascii: "s"): unit = 1
            case UInt8(ascii: "h"): unit = 3600
            case UInt8(ascii: "d"): unit = 86400
            case UInt8(ascii: "w"): unit = 604_800
            case UInt8(ascii: "M"): unit = 2_592_000
            case UInt8(ascii: "y"): unit = 31_536_000
            default: return nil
            }
            bytes = bytes.dropFirst()
            total += value * unit
            number = nil
            sawAny = true
        }
        if let value = number {
            total += value
            sawAny = true
        }
        return sawAny ? total : nil
    }

    /// Bytes in an nginx size: `512`, `4k`, `8K`, `1m`, `1G`. `nil` when not a size.
    public static func bytes(_ text: String) -> Int? {
        guard var digits = Optional(Substring(text)), let last = text.last else { return nil }
        var multiplier = 1
        switch last {
        case "k", "K": multiplier = 1024
        case "m", "M": multiplier = 1024 * 1024
        case "g", "G": multiplier = 1024 * 1024 * 1024
        default: break
        }
        if multiplier != 1 { digits = digits.dropLast() }
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              let value = Int(digits) else { return nil }
        let (product, overflow) = value.multipliedReportingOverflow(by: multiplier)
        return overflow ? nil : product
    }
}
