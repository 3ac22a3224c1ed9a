import Foundation

/// A project's `.env` file, read the way Compose reads it for interpolation: `KEY=VALUE` lines,
/// an optional `export ` prefix, `#` comment lines, `VAL # comment` (a `#` after a space) on
/// unquoted values, single quotes taken literally, double quotes with `\n`, `\t`, `\\`, `\"`
/// escapes, and `${…}` in unquoted and double-quoted values expanded from the lines above.
///
/// Only what the file says counts: Compose also takes the shell environment of whoever ran
/// `docker compose up` (first), which gwdoctor cannot see; its own process environment is not
/// that shell and is never read. Values are kept in memory for interpolation only: the
/// gatherer never puts them in facts, and a snapshot recording masks them (`maskedLines`).
public struct ComposeEnvFile: Sendable {
    /// One assignment: its value and the 1-based lines it spans (several for a quoted multi-line value).
    public struct Entry: Sendable, Hashable {
        public var value: String
        public var line: Int
        public var lastLine: Int
    }

    public var path: String
    /// The last assignment of each key wins, as in Compose.
    public private(set) var entries: [String: Entry] = [:]

    public init(path: String, entries: [String: Entry] = [:]) {
        self.path = path
        self.entries = entries
    }

    public func entry(_ name: String) -> Entry? { entries[name] }

    /// Every line that holds (part of) a value, for a recording to mask.
    public var valueLines: Set<Int> {
        Set(entries.values.flatMap { Array($0.line...$0.lastLine) })
    }

    /// The lines of the given keys' values.
    public func lines(of names: Set<String>) -> Set<Int> {
        Set(names.compactMap { entries[$0] }.flatMap { Array($0.line...$0.lastLine) })
    }

    public static func parse(_ bytes: [UInt8], path: String) -> ComposeEnvFile {
        var file = ComposeEnvFile(path: path)
        var text = String(decoding: bytes, as: UTF8.self)
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        // "\r\n" is one Character in Swift: split on both (a .env edited on Windows).
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).map(String.init)
        var index = 0
        while index < lines.count {
            let number = index + 1
            var line = Substring(lines[index])
            index += 1
            line = line.drop { $0 == " " || $0 == "\t" }
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") || line.hasPrefix("export\t") {
                line = line.dropFirst(7).drop { $0 == " " || $0 == "\t" }
            }
            guard let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            guard isName(key) else { continue }
            var rest = line[line.index(after: equals)...].drop { $0 == " " || $0 == "\t" }
            var lastLine = number
            let value: String
            if let quote = rest.first, quote == "\"" || quote == "'" {
                rest = rest.dropFirst()
                // A quoted value may run over lines, up to its closing quote; not past a line that
                // looks like the next assignment (a recording's masked copy may have lost the quote).
                var body = ""
                var closed = false
                var segment = rest
                var lookahead = index
                while true {
                    if let close = closingQuote(segment, quote) {
                        body += segment[..<close]
                        closed = true
                        break
                    }
                    body += segment
                    guard lookahead < lines.count, !looksLikeAssignment(lines[lookahead]) else { break }
                    body += "\n"
                    segment = Substring(lines[lookahead])
                    lookahead += 1
                }
                if closed {
                    lastLine = number + (lookahead - index)
                    index = lookahead
                } else {
                    body = String(rest)
                }
                value = quote == "'" ? unescapeSingle(body) : expand(unescapeDouble(body), in: file)
            } else {
                var raw = rest
                if let comment = commentStart(raw) { raw = raw[..<comment] }
                value = expand(raw.trimmingCharacters(in: .whitespaces), in: file)
            }
            file.entries[key] = Entry(value: value, line: number, lastLine: lastLine)
        }
        return file
    }

    static func isName(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, first == "_" || (first.isASCII && CharacterSet.letters.contains(first)) else { return false }
        return text.unicodeScalars.allSatisfy { $0 == "_" || $0 == "." || $0 == "-" || ($0.isASCII && CharacterSet.alphanumerics.contains($0)) }
    }

    private static func looksLikeAssignment(_ line: String) -> Bool {
        var rest = Substring(line).drop { $0 == " " || $0 == "\t" }
        if rest.hasPrefix("export ") { rest = rest.dropFirst(7).drop { $0 == " " } }
        guard let equals = rest.firstIndex(of: "=") else { return false }
        let key = rest[..<equals].trimmingCharacters(in: .whitespaces)
        return isName(key) && key.uppercased() == key
    }

    /// The closing quote, skipping `\"` (and `\'` in single quotes, which Compose accepts).
    private static func closingQuote(_ text: Substring, _ quote: Character) -> Substring.Index? {
        var escaped = false
        for index in text.indices {
            let character = text[index]
            if escaped { escaped = false; continue }
            if character == "\\" { escaped = true; continue }
            if character == quote { return index }
        }
        return nil
    }

    /// ` #` starts an inline comment on an unquoted value; `VAL#x` keeps its `#`.
    private static func commentStart(_ text: Substring) -> Substring.Index? {
        var previous: Character?
        for index in text.indices {
            if text[index] == "#", previous == " " || previous == "\t" { return index }
            previous = text[index]
        }
        return nil
    }

    private static func unescapeSingle(_ text: String) -> String {
        text.replacingOccurrences(of: "\\'", with: "'")
    }

    private static func unescapeDouble(_ text: String) -> String {
        var result = ""
        var iterator = text.makeIterator()
        while let character = iterator.next() {
            guard character == "\\", let next = iterator.next() else {
                result.append(character)
                continue
            }
            switch next {
            case "n": result.append("\n")
            case "t": result.append("\t")
            case "r": result.append("\r")
            case "\\": result.append("\\")
            case "\"": result.append("\"")
            default: result.append("\\"); result.append(next)
            }
        }
        return result
    }

    /// `${OTHER}` and `$OTHER` from the lines above; an unknown one stays empty, as Compose does.
    private static func expand(_ text: String, in file: ComposeEnvFile) -> String {
        guard text.contains("$") else { return text }
        let outcome = ComposeInterpolator.interpolate(text, lookup: { name in file.entries[name].map { ($0.value, $0.line) } },
                                                      unsetIsEmpty: true)
        if case let .resolved(value, _) = outcome { return value }
        return text
    }
}
