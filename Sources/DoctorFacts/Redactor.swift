/// Removes secrets from text before it is printed, logged or written to a snapshot.
///
/// Redaction is by shape, not by knowing every secret: values of keys that look
/// secret (`SECRET_KEY=…`, `--password …`, `token=…`), passwords in URLs/DSNs, and
/// `Authorization` headers. It errs towards hiding too much.
public enum Redactor {
    /// What replaces a secret value.
    public static let mask = "[REDACTED]"

    /// Key fragments whose values are treated as secrets (compared case-insensitively).
    public static let secretKeyFragments = [
        "secret", "password", "passwd", "pwd", "token", "apikey", "api_key", "api-key",
        "access_key", "private_key", "credential", "auth", "session_key", "signature", "dsn",
    ]

    /// Whether a key (env var, query parameter, option name) names a secret.
    public static func isSecretKey(_ key: some StringProtocol) -> Bool {
        let lowered = key.lowercased()
        return secretKeyFragments.contains { lowered.contains($0) }
    }

    /// Redacts every secret-looking value in one line or block of text.
    public static func redact(_ text: String) -> String {
        guard !text.isEmpty else { return text }
        var bytes = Array(text.utf8)
        bytes = redactURLPasswords(bytes)
        bytes = redactKeyValues(bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Redacts a command line: `--password X`, `--password=X`, `KEY=VALUE` with a secret key.
    public static func redact(arguments: [String]) -> [String] {
        var out: [String] = []
        var hideNext = false
        for argument in arguments {
            if hideNext {
                out.append(mask)
                hideNext = false
                continue
            }
            if argument.hasPrefix("-"), !argument.contains("="), isSecretKey(argument) {
                out.append(argument)
                hideNext = true
                continue
            }
            out.append(redact(argument))
        }
        return out
    }

    // `scheme://user:password@host` → `scheme://user:[REDACTED]@host`
    private static func redactURLPasswords(_ input: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(input.count)
        var index = 0
        let colon = UInt8(ascii: ":"), slash = UInt8(ascii: "/"), at = UInt8(ascii: "@")
        while index < input.count {
            // Find "://"
            if index + 2 < input.count, input[index] == colon, input[index + 1] == slash, input[index + 2] == slash {
                out.append(contentsOf: input[index...(index + 2)])
                index += 3
                // userinfo runs until '@' before any '/', space or quote
                var end = index
                var passwordStart: Int?
                while end < input.count {
                    let byte = input[end]
                    if byte == at || byte == slash || byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\"")
                        || byte == UInt8(ascii: "'") || byte == UInt8(ascii: "\n") { break }
                    if byte == colon, passwordStart == nil { passwordStart = end + 1 }
                    end += 1
                }
                if end < input.count, input[end] == at, let start = passwordStart {
                    out.append(contentsOf: input[index..<start])
                    out.append(contentsOf: Array(mask.utf8))
                    index = end
                }
                continue
            }
            out.append(input[index])
            index += 1
        }
        return out
    }

    // `KEY=value`, `KEY: value`, `"key": "value"`, `key value` is not touched.
    private static func redactKeyValues(_ input: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(input.count)
        var index = 0
        while index < input.count {
            let byte = input[index]
            guard byte == UInt8(ascii: "=") || byte == UInt8(ascii: ":") else {
                out.append(byte)
                index += 1
                continue
            }
            // Key: the identifier-ish run just before the separator (skipping a closing quote).
            var keyEnd = out.count
            if keyEnd > 0, out[keyEnd - 1] == UInt8(ascii: "\"") { keyEnd -= 1 }
            var keyStart = keyEnd
            while keyStart > 0, isKeyByte(out[keyStart - 1]) { keyStart -= 1 }
            let key = String(decoding: out[keyStart..<keyEnd], as: UTF8.self)
            out.append(byte)
            index += 1
            guard !key.isEmpty, isSecretKey(key), !(byte == UInt8(ascii: ":") && index < input.count && input[index] == UInt8(ascii: "/")) else {
                continue
            }
            // Keep optional spaces and an opening quote, then mask the value.
            while index < input.count, input[index] == UInt8(ascii: " ") {
                out.append(input[index]); index += 1
            }
            var quote: UInt8?
            if index < input.count, input[index] == UInt8(ascii: "\"") || input[index] == UInt8(ascii: "'") {
                quote = input[index]
                out.append(input[index]); index += 1
            }
            var valueEnd = index
            while valueEnd < input.count {
                let value = input[valueEnd]
                if let quote {
                    if value == quote { break }
                } else if value == UInt8(ascii: " ") || value == UInt8(ascii: "&") || value == UInt8(ascii: "\n")
                    || value == UInt8(ascii: ",") || value == UInt8(ascii: ";") || value == UInt8(ascii: "\t") {
                    break
                }
                valueEnd += 1
            }
            if valueEnd > index { out.append(contentsOf: Array(mask.utf8)) }
            index = valueEnd
        }
        return out
    }

    private static func isKeyByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "_")
            || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
    }
}
