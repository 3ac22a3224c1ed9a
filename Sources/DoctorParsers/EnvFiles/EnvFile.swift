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
    /// Why the line is not an assignment; raw values are part of the JSON output.
    public enum Reason: String, Hashable, Codable, Sendable {
        /// A non-comment line without `=` (systemd ignores it silently).
        case missingEquals = "missing-equals"
        /// The name is not `[A-Za-z_][A-Za-z0-9_]*` (systemd: "Ignoring invalid environment assignment").
        case invalidName = "invalid-name"
        /// `export NAME=…` in a systemd `EnvironmentFile=`: systemd takes `export NAME` as the
        /// name, finds it invalid and ignores the line, so NAME is not set.
        case exportPrefix = "export-prefix"
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

/// Who reads the file: the rules differ in ways that decide whether a key is set at all.
public enum EnvFileDialect: String, Hashable, Codable, Sendable {
    /// systemd `EnvironmentFile=` (systemd.exec(5); `src/basic/env-file.c`).
    case systemd
    /// python-dotenv / django-environ style `.env` (behaviour checked against python-dotenv 1.2.4).
    case dotenv
}

/// Parses env files for their keys: systemd `EnvironmentFile=` and dotenv `.env` files.
///
/// Syntax (systemd.exec(5) and systemd's `env-file.c`; python-dotenv 1.2.4 for `.dotenv`):
/// - blank lines; comments: lines whose first non-blank character is `#` (or `;`, systemd);
/// - `KEY=value`; whitespace around the name and after `=` is trimmed by both (systemd strips
///   trailing whitespace from the key and skips it before the value). `docker run --env-file`
///   is not modelled: it takes values literally (`KEY=""` there is two quote characters);
/// - `export KEY=value`: dotenv strips `export`; systemd reads the name `export KEY`, which is
///   invalid, and ignores the line: reported as `.exportPrefix`, the key is not listed;
/// - unquoted values: `\` escapes the next character; a `\` at the end of a line continues
///   the value on the next line (systemd; dotenv keeps the backslash and reads the next line
///   as its own entry);
/// - `#` inside a value: systemd keeps it (`KEY= # x` and `KEY="" # x` are the value `# x`);
///   dotenv starts a comment at a `#` after whitespace (`KEY= # x`, `KEY="" # x` are empty,
///   `KEY=#x` is `#x`);
/// - `'…'` verbatim, `"…"` with backslash escapes; both may span lines; a `\`-newline inside
///   `"…"` is discarded by systemd (`KEY="\⏎"` is empty) and kept by dotenv; quotes are special
///   only at the start of the value or right after a closing quote;
/// - a UTF-8 BOM and CRLF line ends.
///
/// Values are never copied: the scanner only notes whether a value has any character.
public enum EnvFile {
    public static func parse(_ text: String, file: String, dialect: EnvFileDialect = .systemd) -> EnvFileContents {
        let systemd = dialect == .systemd
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
            if byte == hash || (systemd && byte == semicolon) { skipToEndOfLine(); continue }

            // The name: up to '=' on this line.
            let entryLine = line
            let nameStart = i
            while i < bytes.endIndex, bytes[i] != equals, bytes[i] != newline { i = bytes.index(after: i) }
            guard i < bytes.endIndex, bytes[i] == equals else {
                problems.append(EnvFileProblem(line: entryLine, reason: .missingEquals))
                continue
            }
            let rawName = Substring(bytes[nameStart..<i])
            let exported = hasExportPrefix(rawName)
            let name = exported && systemd ? nil : validName(rawName)
            i = bytes.index(after: i) // '='

            // The value: only whether it has content.
            var hasContent = false
            var quote: UInt8? = nil
            var atValueStart = true // a quote here opens a quoted part
            var afterBlank = false // for " #" comments
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
                        if bytes[next] == newline {
                            line += 1
                            if !systemd { hasContent = true }
                        } else {
                            hasContent = true
                        }
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
                case hash where !systemd && afterBlank:
                    skipToEndOfLine()
                    break valueLoop
                case dquote where atValueStart, squote where atValueStart:
                    quote = c
                case backslash where !systemd:
                    hasContent = true
                    atValueStart = false
                    afterBlank = false
                case backslash:
                    let next = bytes.index(after: i)
                    if next < bytes.endIndex {
                        if bytes[next] == newline {
                            line += 1
                        } else { // including `\` before the CR of a CRLF: systemd keeps the CR
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
                problems.append(EnvFileProblem(line: entryLine, reason: exported ? .exportPrefix : .invalidName))
            }
        }
        return EnvFileContents(file: file, keys: keys, problems: problems)
    }

    static func hasExportPrefix(_ raw: Substring) -> Bool {
        let name = raw.drop { $0 == " " || $0 == "\t" }
        guard name.hasPrefix("export"), let after = name.dropFirst("export".count).first else { return false }
        return after == " " || after == "\t"
    }

    /// The trimmed name without a leading `export`, when it is `[A-Za-z_][A-Za-z0-9_]*`.
    static func validName(_ raw: Substring) -> String? {
        var name = raw.drop { $0 == " " || $0 == "\t" }
        while let last = name.last, last == " " || last == "\t" || last == "\r" { name = name.dropLast() }
        if name.hasPrefix("export"), let after = name.dropFirst("export".count).first, after == " " || after == "\t" {
            name = name.dropFirst("export".count).drop { $0 == " " || $0 == "\t" }
        }
        // The rule systemd applies to `Environment=` names too: one check for both.
        let text = String(name)
        return SystemdWords.isValidEnvironmentName(text) ? text : nil
    }
}
