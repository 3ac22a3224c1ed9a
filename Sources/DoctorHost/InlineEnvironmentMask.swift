import DoctorFacts

/// Masks the values of an inline environment in a supervisord program section
/// (`environment=A="1",B=2`, continued on indented lines), a systemd unit
/// (`Environment="A=1" B=2`, continued with a trailing `\`), a uWSGI ini (`env = A=1`) or
/// a gunicorn.conf.py (`raw_env = ["A=1", …]`) line by line, for snapshot copies. Names, empty values, quoting and separators stay, and so does
/// `DJANGO_SETTINGS_MODULE` (not a secret, and the settings checks need it), so a replay
/// parses the same entries with the same emptiness.
enum InlineEnvironmentMask {
    /// The line as written to the snapshot, and whether the next line continues it.
    static func mask(_ line: Substring, dialect: InlineEnvironmentDialect, continuing: Bool) -> (String, continues: Bool) {
        let trimmed = line.drop { $0 == " " || $0 == "\t" }
        switch dialect {
        case .supervisor:
            // INI: an indented, non-empty line continues the previous key's value.
            if continuing, trimmed.count < line.count, !trimmed.isEmpty, !isComment(trimmed) {
                return (maskList(line, from: line.startIndex, separator: .comma), true)
            }
            guard trimmed.count == line.count, let start = valueStart(line, key: "environment", separators: ["=", ":"]) else {
                return (String(line), false)
            }
            return (maskList(line, from: start, separator: .comma), true)
        case .systemd:
            if continuing {
                return (maskList(line, from: line.startIndex, separator: .whitespace), line.hasSuffix("\\"))
            }
            guard let start = valueStart(trimmed, key: "Environment", separators: ["="]) else { return (String(line), false) }
            let prefix = line[..<trimmed.startIndex]
            return (String(prefix) + maskList(trimmed, from: start, separator: .whitespace), line.hasSuffix("\\"))
        case .uwsgiIni:
            // uWSGI takes one variable per `env` line; no continuation lines.
            guard let start = valueStart(trimmed, key: "env", separators: ["=", ":"]) else { return (String(line), false) }
            let value = trimmed[start...].drop { $0 == " " || $0 == "\t" }
            return (String(line[..<value.startIndex]) + maskItem(String(value)), false)
        case .gunicornConfig:
            if !continuing {
                guard trimmed.hasPrefix("raw_env"), let start = valueStart(trimmed, key: "raw_env", separators: ["="]) else {
                    return (String(line), false)
                }
                let prefix = line[..<trimmed.startIndex]
                let masked = maskPythonStrings(trimmed[start...])
                return (String(prefix) + String(trimmed[..<start]) + masked, bracketDepth(trimmed[start...]) > 0)
            }
            // Inside the list until the line that closes it (nets a negative depth).
            return (maskPythonStrings(line), bracketDepth(line) >= 0)
        }
    }

    /// Every quoted `"NAME=value"` in a Python expression with its value masked; other text kept.
    private static func maskPythonStrings(_ text: Substring) -> String {
        var out = ""
        var item = ""
        var quote: Character?
        var escaped = false
        for character in text {
            if let open = quote {
                item.append(character)
                if escaped {
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else if character == open {
                    out += maskItem(item)
                    item = ""
                    quote = nil
                }
            } else if character == "\"" || character == "'" {
                quote = character
                item = String(character)
            } else {
                out.append(character)
                // A comment may hold a value too (`# was SECRET=abc`): mask the rest of the line.
                if character == "#" { out += Redactor.mask; return out }
            }
        }
        // An unclosed string (a triple quote, a string continued on the next line): mask it whole.
        if !item.isEmpty { out += item.contains("=") ? maskItem(item) : String(item.first!) + Redactor.mask }
        return out
    }

    /// Open `[`/`(` minus closed ones outside quotes: > 0 while a Python list continues.
    private static func bracketDepth(_ text: Substring) -> Int {
        var depth = 0
        var quote: Character?
        for character in text {
            if let open = quote {
                if character == open { quote = nil }
            } else if character == "\"" || character == "'" {
                quote = character
            } else if character == "[" || character == "(" {
                depth += 1
            } else if character == "]" || character == ")" {
                depth -= 1
            } else if character == "#" {
                break
            }
        }
        return depth
    }

    private enum Separator { case comma, whitespace }

    private static func isComment(_ text: Substring) -> Bool {
        text.first == ";" || text.first == "#"
    }

    /// Where the value starts on a `KEY = value` line (key compared case-insensitively for
    /// supervisord, exactly for systemd: `EnvironmentFile=` is another key).
    private static func valueStart(_ line: Substring, key: String, separators: Set<Character>) -> Substring.Index? {
        guard let separator = line.firstIndex(where: { separators.contains($0) }) else { return nil }
        let name = line[..<separator].trimmingCharacters(in: .whitespaces)
        let matches = separators.contains(":") ? name.lowercased() == key.lowercased() : name == key
        return matches ? line.index(after: separator) : nil
    }

    /// Rewrites every item of the list from `start` on, keeping what lies between items.
    private static func maskList(_ line: Substring, from start: Substring.Index, separator: Separator) -> String {
        var out = String(line[..<start])
        var item = ""
        var quote: Character?
        var escaped = false
        func flush() {
            if !item.isEmpty { out += maskItem(item) }
            item = ""
        }
        for character in line[start...] {
            if let open = quote {
                item.append(character)
                if escaped {
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else if character == open {
                    quote = nil
                }
                continue
            }
            let separates = separator == .comma ? character == "," : (character == " " || character == "\t")
            if separates {
                flush()
                out.append(character)
            } else {
                if character == "\"" || character == "'" { quote = character }
                item.append(character)
            }
        }
        flush()
        return out
    }

    /// `NAME=value`, `NAME="value"` or `"NAME=value"` with the value masked.
    private static func maskItem(_ item: String) -> String {
        if item == "\\" { return item }
        if let open = item.first, open == "\"" || open == "'", item.count >= 2, item.last == open {
            let inner = item.dropFirst().dropLast()
            guard let equals = inner.firstIndex(of: "=") else { return String(open) + Redactor.mask + String(open) }
            let name = inner[..<equals]
            return String(open) + name + "=" + maskedValue(name: name, value: inner[inner.index(after: equals)...]) + String(open)
        }
        guard let equals = item.firstIndex(of: "=") else { return item.hasSuffix("\\") ? item : Redactor.mask }
        let name = item[..<equals]
        var value = item[item.index(after: equals)...]
        var trailer = ""
        if value.hasSuffix("\\"), !value.hasSuffix("\\\\") {
            // systemd: the continuation backslash glued to the last value.
            value = value.dropLast()
            trailer = "\\"
        }
        if let open = value.first, open == "\"" || open == "'" {
            let closed = value.count >= 2 && value.last == open
            let inner = closed ? value.dropFirst().dropLast() : value.dropFirst()
            return String(name) + "=" + String(open) + maskedValue(name: name, value: inner) + (closed ? String(open) : "") + trailer
        }
        return String(name) + "=" + maskedValue(name: name, value: value) + trailer
    }

    private static func maskedValue(name: Substring, value: Substring) -> String {
        if value.isEmpty { return "" }
        return name.trimmingCharacters(in: .whitespaces) == "DJANGO_SETTINGS_MODULE" ? String(value) : Redactor.mask
    }
}
