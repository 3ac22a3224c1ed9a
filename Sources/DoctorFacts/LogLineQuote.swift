/// How a raw log line is quoted as evidence: the query strings of the URLs it names are
/// elided and an over-long line is cut.
///
/// A query string carries one-time codes, signatures and tokens under names no redactor
/// can know (`?code=8f3a…&sig=…`), and a request line can be kilobytes long; the path is
/// what the operator needs, so it stays. Only URLs in the fields that hold them are touched:
/// nginx's error-log fields `request: "GET /p?q HTTP/1.1"`, `upstream: "…"`,
/// `referrer: "…"`, `host: "…"`, `subrequest: "…"`; the `request "…"` of a Caddy line as
/// gwdoctor summarises it; and a Caddy JSON line's `"uri":"…"` and `"Referer":["…"]`
/// (the `request` object holds `uri`); and a request as app servers log it, a method then a
/// path (Gunicorn's `Error handling request GET /p?q`, uWSGI's `HARAKIRI … GET /p?q since …`).
/// The rest of the line is left byte for byte.
///
/// Applying it twice gives the same text. Snapshots record files raw; this is for reports.
public enum LogLineQuote {
    /// The longest quoted line, in characters.
    public static let maxCharacters = 400
    /// What replaces a query string (the `?` stays so the reader sees there was one).
    public static let elidedQuery = "?…"

    /// The line with every query string elided, then cut to `limit` characters.
    public static func quote(_ line: String, limit: Int = maxCharacters) -> String {
        cap(withoutQueries(line), limit: limit)
    }

    /// The text cut to `limit` characters (grapheme clusters, so never inside one), the
    /// last of them `…`; a text that fits is returned as is.
    public static func cap(_ text: String, limit: Int = maxCharacters) -> String {
        guard limit > 0, text.count > limit else { return text }
        return String(text.prefix(limit - 1)) + "…"
    }

    /// The line with the query string (and fragment) of each URL in a known field elided.
    public static func withoutQueries(_ line: String) -> String {
        let bytes = Array(line.utf8)
        guard bytes.contains(question) else { return line }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if let value = valueStart(bytes, at: index) {
                out.append(contentsOf: bytes[index..<value.start])
                index = value.json ? jsonValue(bytes, from: value.start, into: &out)
                                   : quotedValue(bytes, from: value.start, json: false, into: &out)
                continue
            }
            if let target = requestTarget(bytes, at: index) {
                out.append(contentsOf: bytes[index..<target])
                index = target
                while index < bytes.count, bytes[index] != space, bytes[index] != quote, bytes[index] != question {
                    out.append(bytes[index])
                    index += 1
                }
                if index < bytes.count, bytes[index] == question {
                    var end = index + 1
                    while end < bytes.count, bytes[end] != space, bytes[end] != quote { end += 1 }
                    out.append(contentsOf: end > index + 1 ? Array(elidedQuery.utf8) : [question])
                    index = end
                }
                continue
            }
            out.append(bytes[index])
            index += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: - Scanning

    private static let question = UInt8(ascii: "?"), quote = UInt8(ascii: "\""), space = UInt8(ascii: " ")
    private static let backslash = UInt8(ascii: "\\"), colon = UInt8(ascii: ":")
    private static let keys: [[UInt8]] = ["subrequest", "request", "upstream", "referrer", "referer", "host", "uri"]
        .map { Array($0.utf8) }

    private static let methods: [[UInt8]] = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"].map { Array($0.utf8) }

    /// When an HTTP method (upper case, a word of its own) and a space then a path start at
    /// `index`: where the path starts.
    private static func requestTarget(_ bytes: [UInt8], at index: Int) -> Int? {
        if index > 0, isWordByte(bytes[index - 1]) { return nil }
        guard let method = methods.first(where: { method in
            index + method.count < bytes.count && bytes[index..<(index + method.count)].elementsEqual(method)
        }) else { return nil }
        let target = index + method.count + 1
        guard bytes[index + method.count] == space, target < bytes.count, bytes[target] == UInt8(ascii: "/") else { return nil }
        return target
    }

    /// When a field whose value holds a URL starts at `index`: where its value starts (after
    /// `request: "`, `request "`, `"uri":` …) and whether it is JSON (escapes, arrays).
    private static func valueStart(_ bytes: [UInt8], at index: Int) -> (start: Int, json: Bool)? {
        if index > 0, isWordByte(bytes[index - 1]) { return nil }
        guard let key = keys.first(where: { matches(bytes, $0, at: index) }) else { return nil }
        var next = index + key.count
        guard next < bytes.count, !isWordByte(bytes[next]) else { return nil }
        if index > 0, bytes[index - 1] == quote, bytes[next] == quote {
            // JSON: `"uri":"…"`, `"Referer": ["…"]`.
            next = skipSpaces(bytes, from: next + 1)
            guard next < bytes.count, bytes[next] == colon else { return nil }
            next = skipSpaces(bytes, from: next + 1)
            guard next < bytes.count, bytes[next] == quote || bytes[next] == UInt8(ascii: "[") else { return nil }
            return (next, true)
        }
        // nginx `request: "…"`, gwdoctor's Caddy summary `request "…"`.
        if bytes[next] == colon { next += 1 }
        guard next < bytes.count, bytes[next] == space else { return nil }
        next = skipSpaces(bytes, from: next)
        guard next < bytes.count, bytes[next] == quote else { return nil }
        return (next + 1, false)
    }

    /// A JSON string or array of strings starting at `start`; returns the index after it.
    private static func jsonValue(_ bytes: [UInt8], from start: Int, into out: inout [UInt8]) -> Int {
        guard bytes[start] == UInt8(ascii: "[") else {
            out.append(quote)
            return quotedValue(bytes, from: start + 1, json: true, into: &out)
        }
        out.append(bytes[start])
        var index = start + 1
        while index < bytes.count {
            let after = skipSpaces(bytes, from: index)
            out.append(contentsOf: bytes[index..<after])
            index = after
            guard index < bytes.count, bytes[index] == quote else { break }
            out.append(quote)
            index = quotedValue(bytes, from: index + 1, json: true, into: &out)
            let comma = skipSpaces(bytes, from: index)
            guard comma < bytes.count, bytes[comma] == UInt8(ascii: ",") else { break }
            out.append(contentsOf: bytes[index...comma])
            index = comma + 1
        }
        return index
    }

    /// Copies a quoted value up to and including its closing quote (or the end of the line:
    /// nginx cuts a long line mid-value), eliding each query; returns the index after it.
    /// Queries end at a space (`GET /p?q HTTP/1.1`) or the value's end. nginx writes a `"`
    /// inside a value as `\x22`, so only JSON has backslash escapes.
    private static func quotedValue(_ bytes: [UInt8], from start: Int, json: Bool, into out: inout [UInt8]) -> Int {
        var index = start
        while index < bytes.count {
            let byte = bytes[index]
            if json, byte == backslash {
                out.append(contentsOf: bytes[index..<min(index + 2, bytes.count)])
                index += 2
                continue
            }
            if byte == quote {
                out.append(byte)
                return index + 1
            }
            if byte == question {
                var end = index + 1
                while end < bytes.count, bytes[end] != space, bytes[end] != quote {
                    end += json && bytes[end] == backslash ? 2 : 1
                }
                end = min(end, bytes.count)
                if end > index + 1 {
                    out.append(contentsOf: Array(elidedQuery.utf8))
                    index = end
                    continue
                }
            }
            out.append(byte)
            index += 1
        }
        return index
    }

    private static func matches(_ bytes: [UInt8], _ key: [UInt8], at index: Int) -> Bool {
        guard index + key.count <= bytes.count else { return false }
        for offset in 0..<key.count {
            var byte = bytes[index + offset]
            if byte >= UInt8(ascii: "A"), byte <= UInt8(ascii: "Z") { byte += 32 }
            if byte != key[offset] { return false }
        }
        return true
    }

    private static func isWordByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
    }

    private static func skipSpaces(_ bytes: [UInt8], from index: Int) -> Int {
        var index = index
        while index < bytes.count, bytes[index] == space { index += 1 }
        return index
    }
}
