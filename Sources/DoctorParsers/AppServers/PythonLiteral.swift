/// The few Python literals a `gunicorn.conf.py` setting is usually written with: strings
/// (with adjacent ones joined), integers, and lists or tuples of them.
///
/// Nothing is evaluated: an f-string, a name, a call or an operator makes the whole
/// value "not a literal" (`nil`), because guessing what it computes would be evidence
/// nobody can check.
enum PythonLiteral: Equatable {
    case string(String)
    case integer(Int)
    case sequence([PythonLiteral])

    /// Parses `text` as exactly one literal (comments and line breaks inside brackets allowed).
    static func parse(_ text: Substring) -> PythonLiteral? {
        var reader = Reader(characters: Array(text.prefix(100_000)))
        guard let value = reader.value(depth: 0) else { return nil }
        reader.skipSpace(newlines: true)
        return reader.atEnd ? value : nil
    }

    private struct Reader {
        let characters: [Character]
        var index = 0

        var atEnd: Bool { index >= characters.count }
        var current: Character? { index < characters.count ? characters[index] : nil }

        mutating func skipSpace(newlines: Bool) {
            while let character = current {
                if character == " " || character == "\t" || character == "\r" || (newlines && character == "\n") {
                    index += 1
                } else if character == "\\", index + 1 < characters.count, characters[index + 1] == "\n" {
                    index += 2
                } else if character == "#" {
                    while let inComment = current, inComment != "\n" { index += 1 }
                } else {
                    return
                }
            }
        }

        mutating func value(depth: Int) -> PythonLiteral? {
            guard depth < 16 else { return nil }
            skipSpace(newlines: depth > 0)
            guard let character = current else { return nil }
            if character == "[" || character == "(" {
                return sequence(closing: character == "[" ? "]" : ")", depth: depth + 1)
            }
            if character.isNumber || character == "-" || character == "+" { return integer() }
            return strings(depth: depth)
        }

        mutating func sequence(closing: Character, depth: Int) -> PythonLiteral? {
            index += 1
            var elements: [PythonLiteral] = []
            while true {
                skipSpace(newlines: true)
                if current == closing {
                    index += 1
                    return .sequence(elements)
                }
                guard let element = value(depth: depth) else { return nil }
                elements.append(element)
                skipSpace(newlines: true)
                if current == "," {
                    index += 1
                } else if current != closing {
                    return nil
                }
            }
        }

        mutating func integer() -> PythonLiteral? {
            var text = ""
            if let sign = current, sign == "-" || sign == "+" {
                text.append(sign)
                index += 1
            }
            while let character = current, character.isASCII, character.isNumber || character == "_" {
                if character != "_" { text.append(character) }
                index += 1
            }
            if let character = current, character.isLetter || character == "." { return nil } // 0x1f, 1.5, 1e3
            return Int(text).map { .integer($0) }
        }

        /// One string literal, or several adjacent ones (`"127.0.0.1:" "8000"`), joined.
        mutating func strings(depth: Int) -> PythonLiteral? {
            var joined: String?
            while true {
                let start = index
                guard let string = string() else {
                    index = start
                    break
                }
                joined = (joined ?? "") + string
                let afterString = index
                skipSpace(newlines: depth > 0)
                guard let next = current, next == "\"" || next == "'" || next == "r" || next == "R" || next == "u" || next == "U"
                else {
                    index = afterString
                    break
                }
            }
            return joined.map { .string($0) }
        }

        /// `"…"`, `'…'`, with an optional `r`/`u` prefix; f-strings, bytes and triple quotes are not literals here.
        mutating func string() -> String? {
            var raw = false
            if let prefix = current, prefix == "r" || prefix == "R" || prefix == "u" || prefix == "U" {
                raw = prefix == "r" || prefix == "R"
                index += 1
            }
            guard let quote = current, quote == "\"" || quote == "'" else { return nil }
            if index + 2 < characters.count, characters[index + 1] == quote, characters[index + 2] == quote { return nil }
            index += 1
            var text = ""
            while let character = current {
                index += 1
                if character == quote { return text }
                if character == "\n" { return nil }
                if character == "\\", !raw, let escaped = current {
                    index += 1
                    switch escaped {
                    case "n": text.append("\n")
                    case "t": text.append("\t")
                    case "\\", "\"", "'": text.append(escaped)
                    default: text.append("\\"); text.append(escaped)
                    }
                    continue
                }
                text.append(character)
            }
            return nil
        }
    }
}
