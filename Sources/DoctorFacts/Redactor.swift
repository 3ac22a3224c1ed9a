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
    /// strerror(3) texts that follow `key: ` in system messages.
    private static let errnoTexts = ["No such ", "Permission denied", "Operation not permitted", "Invalid argument",
                                     "Resource temporarily unavailable", "Connection refused", "Input/output error"]

    private static func startsWithErrnoText(_ input: [UInt8], from start: Int) -> Bool {
        var index = start
        while index < input.count, input[index] == UInt8(ascii: " ") { index += 1 }
        let rest = input[index..<min(input.count, index + 40)]
        return errnoTexts.contains { rest.starts(with: $0.utf8) }
    }

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
            // Key: the identifier-ish run just before the separator, skipping the spaces and the
            // closing quote of `SECRET_KEY = '…'` and `'PASSWORD': '…'` (settings.py, JSON, YAML).
            var keyEnd = out.count
            while keyEnd > 0, out[keyEnd - 1] == UInt8(ascii: " ") { keyEnd -= 1 }
            let spaced = keyEnd < out.count
            if keyEnd > 0, out[keyEnd - 1] == UInt8(ascii: "\"") || out[keyEnd - 1] == UInt8(ascii: "'") { keyEnd -= 1 }
            var keyStart = keyEnd
            while keyStart > 0, isKeyByte(out[keyStart - 1]) { keyStart -= 1 }
            let key = String(decoding: out[keyStart..<keyEnd], as: UTF8.self)
            out.append(byte)
            index += 1
            guard !key.isEmpty, isSecretKey(key), !(byte == UInt8(ascii: ":") && index < input.count && input[index] == UInt8(ascii: "/")) else {
                continue
            }
            // `/etc/passwd: not recorded` names a file, not a key.
            if keyStart > 0, out[keyStart - 1] == UInt8(ascii: "/") { continue }
            // `Failed to determine user credentials: No such process`: an errno text is the decisive
            // part of the line, never a secret.
            if byte == UInt8(ascii: ":"), startsWithErrnoText(input, from: index) { continue }
            // Keep optional spaces and an opening quote, then mask the value.
            while index < input.count, input[index] == UInt8(ascii: " ") {
                out.append(input[index]); index += 1
            }
            if spaced, byte == UInt8(ascii: "="), let end = pythonExpressionEnd(input, from: index) {
                // `SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "dev-key")`: how the value is
                // set is what a diagnosis needs; only the string literals in it can be secrets.
                out.append(contentsOf: maskingLiterals(input[index..<end]))
                index = end
                continue
            }
            if index < input.count, input[index] == UInt8(ascii: "["), let end = flowArrayEnd(input, from: index) {
                // `"Authorization": ["Bearer …"]` (Caddy's JSON headers, YAML flow lists): every
                // string in the list is masked and the brackets and quotes stay, so the copy is
                // still the JSON (or YAML) it was and no word after a space slips through.
                out.append(contentsOf: maskingList(input[index..<end]))
                index = end
                continue
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
            // A quoted value over several lines (a PEM key) keeps its line breaks: the lines after
            // it keep their numbers, which findings cite and replays count on.
            for _ in 0..<input[index..<valueEnd].count(where: { $0 == UInt8(ascii: "\n") }) { out.append(UInt8(ascii: "\n")) }
            // `Authorization: Bearer abc…`: the scheme is not the secret, the word after it is.
            if quote == nil, valueEnd < input.count, input[valueEnd] == UInt8(ascii: " "),
               authorizationSchemes.contains(String(decoding: input[index..<valueEnd], as: UTF8.self).lowercased()) {
                var tokenEnd = valueEnd + 1
                while tokenEnd < input.count, input[tokenEnd] != UInt8(ascii: " "), input[tokenEnd] != UInt8(ascii: "\n") {
                    tokenEnd += 1
                }
                out.append(UInt8(ascii: " "))
                if tokenEnd > valueEnd + 1 { out.append(contentsOf: Array(mask.utf8)) }
                valueEnd = tokenEnd
            }
            index = valueEnd
        }
        return out
    }

    private static let authorizationSchemes: Set<String> = ["bearer", "basic", "token", "digest", "negotiate"]

    /// The end of the line when the value at `start` is a Python call or subscript
    /// (`os.environ[…]`, `env(…)`, `config(…)`), else `nil` (a plain value, masked whole).
    private static func pythonExpressionEnd(_ input: [UInt8], from start: Int) -> Int? {
        var index = start
        while index < input.count, input[index] == UInt8(ascii: " ") { index += 1 }
        let nameStart = index
        while index < input.count, isKeyByte(input[index]), input[index] != UInt8(ascii: "-") { index += 1 }
        guard index > nameStart, index < input.count,
              input[index] == UInt8(ascii: "(") || input[index] == UInt8(ascii: "[") else { return nil }
        while index < input.count, input[index] != UInt8(ascii: "\n") { index += 1 }
        return index
    }

    /// The index just past the `]` closing the list opened at `start` (quotes and nesting
    /// followed, at most 64 KiB), else `nil`.
    private static func flowArrayEnd(_ input: [UInt8], from start: Int) -> Int? {
        var depth = 0
        var quote: UInt8?
        var index = start
        while index < input.count, index - start < 1 << 16 {
            let byte = input[index]
            if let open = quote {
                if byte == UInt8(ascii: "\\") { index += 1 } else if byte == open { quote = nil }
            } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                quote = byte
            } else if byte == UInt8(ascii: "[") {
                depth += 1
            } else if byte == UInt8(ascii: "]") {
                depth -= 1
                if depth == 0 { return index + 1 }
            }
            index += 1
        }
        return nil
    }

    /// A `[…]` list with every element masked: quoted strings keep their quotes (and line
    /// breaks), anything else between the brackets, commas and blanks is masked whole.
    private static func maskingList(_ list: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        var index = list.startIndex
        var bare = false
        while index < list.endIndex {
            let byte = list[index]
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                var end = index + 1
                while end < list.endIndex, list[end] != byte { end += list[end] == UInt8(ascii: "\\") ? 2 : 1 }
                end = min(end, list.endIndex)
                let literal = list[(index + 1)..<end]
                out.append(byte)
                if !literal.isEmpty { out += Array(mask.utf8) }
                out += Array(repeating: UInt8(ascii: "\n"), count: literal.count { $0 == UInt8(ascii: "\n") })
                if end < list.endIndex { out.append(byte) }
                index = end + 1
                bare = false
            } else if [UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: ","), UInt8(ascii: " "), UInt8(ascii: "\n"),
                       UInt8(ascii: "\t"), UInt8(ascii: "\r")].contains(byte) {
                out.append(byte)
                index += 1
                bare = false
            } else {
                if !bare { out += Array(mask.utf8) }
                bare = true
                index += 1
            }
        }
        return out
    }

    /// The expression with every quoted literal masked, except upper-case names
    /// (`"DJANGO_SECRET_KEY"`), which name the variable read rather than hold a value.
    private static func maskingLiterals(_ expression: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        var index = expression.startIndex
        while index < expression.endIndex {
            let byte = expression[index]
            out.append(byte)
            index += 1
            guard byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") else { continue }
            var end = index
            while end < expression.endIndex, expression[end] != byte { end += 1 }
            let literal = expression[index..<end]
            let isName = literal.allSatisfy {
                ($0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z")) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9"))
                    || $0 == UInt8(ascii: "_")
            }
            out.append(contentsOf: isName ? Array(literal) : (literal.isEmpty ? [] : Array(mask.utf8)))
            if end < expression.endIndex { out.append(byte) }
            index = min(end + 1, expression.endIndex)
        }
        return out
    }

    private static func isKeyByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "_")
            || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
    }
}
