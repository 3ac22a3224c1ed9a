import DoctorFacts
import Foundation

/// One assignment in an env file: its name, where, and whether its value is empty. The
/// value itself is never kept.
public struct EnvFileKey: Hashable, Codable, Sendable {
    public var name: String
    /// The line the assignment starts on (1-based).
    public var line: Int
    /// The value is empty after unquoting: `KEY=`, `KEY=""`, `KEY=''`, `KEY=   `.
    public var isEmpty: Bool

    public init(name: String, line: Int, isEmpty: Bool) {
        self.name = name
        self.line = line
        self.isEmpty = isEmpty
    }
}

/// A line that is not an assignment. The reason never quotes the line (it may be a secret
/// pasted without its name).
public struct EnvFileProblem: Hashable, Codable, Sendable {
    public enum Reason: String, Hashable, Codable, Sendable {
        /// A non-comment line without `=` (systemd ignores it silently).
        case missingEquals = "missing-equals"
        /// The name is not `[A-Za-z_][A-Za-z0-9_]*` (systemd: "Ignoring invalid environment assignment").
        case invalidName = "invalid-name"
        /// A quote opened and never closed before the end of the file.
        case unterminatedQuote = "unterminated-quote"
    }

    public var line: Int
    public var reason: Reason

    public init(line: Int, reason: Reason) {
        self.line = line
        self.reason = reason
    }
}

/// What an env file assigns, without the values.
public struct EnvFileContents: Hashable, Codable, Sendable {
    public var file: String
    /// Every assignment in file order; a name assigned twice appears twice (the last wins).
    public var keys: [EnvFileKey]
    public var problems: [EnvFileProblem]

    public init(file: String, keys: [EnvFileKey], problems: [EnvFileProblem]) {
        self.file = file
        self.keys = keys
        self.problems = problems
    }

    /// The effective (last) assignment of `name`.
    public func key(_ name: String) -> EnvFileKey? {
        keys.last { $0.name == name }
    }

    /// Django secret key names the lab and common deployments use.
    public static let secretKeyNames = ["SECRET_KEY", "DJANGO_SECRET_KEY"]

    /// The secret key assignments that are present but empty (`SECRET_KEY=`), by effective value.
    public var emptySecretKeys: [EnvFileKey] {
        Self.secretKeyNames.compactMap { key($0) }.filter(\.isEmpty)
    }

    /// No assignment of any of `secretKeyNames` (or only empty ones).
    public var lacksSecretKey: Bool {
        !Self.secretKeyNames.contains { key($0).map { !$0.isEmpty } ?? false }
    }
}

/// Parses env files for their keys: systemd `EnvironmentFile=` and docker/dotenv `.env` files.
///
/// Syntax accepted (systemd.exec(5), systemd 252, and python-dotenv):
/// - blank lines; comments: lines whose first non-blank character is `#` or `;`;
/// - `KEY=value`, optionally `export KEY=value` (dotenv and shell; systemd would reject
///   `export KEY` as an invalid name, reported here as a key all the same since dotenv loaders
///   accept it);
/// - whitespace around the name and after `=` is trimmed (systemd trims it; docker's
///   `--env-file` would keep a space before `=` in the name and reject it);
/// - unquoted values: `\` escapes the next character, a `\` at the end of a line continues
///   the value on the next line; ` #…` after whitespace is a comment (dotenv; systemd keeps
///   it as part of the value, so `KEY= # x` counts as empty here);
/// - `'…'` verbatim, `"…"` with backslash escapes and `\`-newline continuations; both may span
///   lines; quotes are special only as the first character of the value (systemd keeps quotes
///   after the first non-whitespace character);
/// - a UTF-8 BOM and CRLF line ends.
///
/// Values are never copied: the scanner only notes whether a value has any character.
public enum EnvFile {
    public static func parse(_ text: String, file: String) -> EnvFileContents {
        var keys: [EnvFileKey] = []
        var problems: [EnvFileProblem] = []
        let bytes = text.utf8
        var i = bytes.startIndex
        var line = 1
        // UTF-8 BOM
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { i = bytes.index(i, offsetBy: 3) }

        let newline = UInt8(ascii: "\n"), space = UInt8(ascii: " "), tab = UInt8(ascii: "\t"), cr = UInt8(ascii: "\r")
        let equals = UInt8(ascii: "="), hash = UInt8(ascii: "#"), semicolon = UInt8(ascii: ";")
        let backslash = UInt8(ascii: "\\"), dquote = UInt8(ascii: "\""), squote = UInt8(ascii: "'")
        func isBlank(_ byte: UInt8) -> Bool { byte == space || byte == tab || byte == cr }

        func skipToEndOfLine() {
            while i < bytes.endIndex, bytes[i] != newline { i = bytes.index(after: i) }
        }

        while i < bytes.endIndex {
            let byte = bytes[i]
            if isBlank(byte) { i = bytes.index(after: i); continue }
            if byte == newline { line += 1; i = bytes.index(after: i); continue }
            if byte == hash || byte == semicolon { skipToEndOfLine(); continue }

            // The name: up to '=' on this line.
            let entryLine = line
            let nameStart = i
            while i < bytes.endIndex, bytes[i] != equals, bytes[i] != newline { i = bytes.index(after: i) }
            guard i < bytes.endIndex, bytes[i] == equals else {
                problems.append(EnvFileProblem(line: entryLine, reason: .missingEquals))
                continue
            }
            let name = validName(bytes[nameStart..<i])
            i = bytes.index(after: i) // '='

            // The value: only whether it has content.
            var hasContent = false
            var quote: UInt8? = nil
            var atValueStart = true // a quote here opens a quoted part
            var afterBlank = true // for " #" comments
            var unterminated = false
            valueLoop: while true {
                guard i < bytes.endIndex else {
                    if quote != nil { unterminated = true }
                    break
                }
                let c = bytes[i]
                if let open = quote {
                    if c == open {
                        quote = nil
                        atValueStart = true
                        afterBlank = false
                    } else if c == newline {
                        line += 1
                        hasContent = true
                    } else if c == backslash, open == dquote, bytes.index(after: i) < bytes.endIndex {
                        let next = bytes.index(after: i)
                        if bytes[next] == newline { line += 1 } else { hasContent = true }
                        i = next
                    } else {
                        hasContent = true
                    }
                    i = bytes.index(after: i)
                    continue
                }
                switch c {
                case newline:
                    break valueLoop
                case _ where isBlank(c):
                    afterBlank = true
                case hash where afterBlank:
                    skipToEndOfLine()
                    break valueLoop
                case dquote where atValueStart, squote where atValueStart:
                    quote = c
                case backslash:
                    let next = bytes.index(after: i)
                    if next < bytes.endIndex {
                        if bytes[next] == newline {
                            line += 1
                        } else if bytes[next] == cr, bytes.index(after: next) < bytes.endIndex,
                                  bytes[bytes.index(after: next)] == newline {
                            line += 1
                            i = next
                        } else {
                            hasContent = true
                        }
                        i = next
                    }
                    atValueStart = false
                    afterBlank = false
                default:
                    hasContent = true
                    atValueStart = false
                    afterBlank = false
                }
                i = bytes.index(after: i)
            }

            if unterminated {
                problems.append(EnvFileProblem(line: entryLine, reason: .unterminatedQuote))
            } else if let name {
                keys.append(EnvFileKey(name: name, line: entryLine, isEmpty: !hasContent))
            } else {
                problems.append(EnvFileProblem(line: entryLine, reason: .invalidName))
            }
        }
        return EnvFileContents(file: file, keys: keys, problems: problems)
    }

    /// The trimmed name without a leading `export`, when it is `[A-Za-z_][A-Za-z0-9_]*`.
    static func validName(_ raw: Substring.UTF8View.SubSequence) -> String? {
        var name = Substring(raw).drop { $0 == " " || $0 == "\t" }
        while let last = name.last, last == " " || last == "\t" || last == "\r" { name = name.dropLast() }
        if name.hasPrefix("export"), let after = name.dropFirst("export".count).first, after == " " || after == "\t" {
            name = name.dropFirst("export".count).drop { $0 == " " || $0 == "\t" }
        }
        guard let first = name.unicodeScalars.first, first.isASCII,
              first.properties.isAlphabetic || first == "_" else { return nil }
        let valid = name.unicodeScalars.allSatisfy {
            $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_")
        }
        return valid ? String(name) : nil
    }
}
