import DoctorFacts

/// One token of nginx configuration syntax.
enum NginxToken {
    case word(String, line: Int)
    case semicolon(line: Int)
    case openBrace(line: Int)
    case closeBrace(line: Int)
    case end
}

/// Splits nginx configuration bytes into tokens the way `ngx_conf_read_token` does.
///
/// Works on a buffer pointer rather than `String`/`Character`: configs of thousands of
/// server blocks are read on every run, and grapheme breaking would dominate the cost.
/// Rules kept from nginx because they change what a word is:
/// - a word ends at whitespace, `;` or `{`, except a `{` right after `$` (`${var}`);
/// - `}` inside a word is part of it; `#` starts a comment only where a token may start;
/// - quotes open a string only where a token starts; inside a word they are literal.
struct NginxLexer {
    private let bytes: UnsafeBufferPointer<UInt8>
    private(set) var index = 0
    private(set) var line = 1
    let file: String
    var diagnostics: [ConfigDiagnostic] = []

    init(bytes: UnsafeBufferPointer<UInt8>, file: String) {
        self.bytes = bytes
        self.file = file
        // A UTF-8 byte-order mark is an editor artefact, not part of the first directive's name.
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { index = 3 }
    }

    mutating func report(_ message: String, line: Int) {
        diagnostics.append(ConfigDiagnostic(kind: .syntax, message: message, location: SourceLocation(file: file, line: line)))
    }

    mutating func next() -> NginxToken {
        let count = bytes.count
        while index < count {
            switch bytes[index] {
            case NginxByte.space, NginxByte.tab, NginxByte.carriageReturn, NginxByte.formFeed:
                index += 1
            case NginxByte.newline:
                line += 1
                index += 1
            case NginxByte.semicolon:
                index += 1
                return .semicolon(line: line)
            case NginxByte.openBrace:
                index += 1
                return .openBrace(line: line)
            case NginxByte.closeBrace:
                index += 1
                return .closeBrace(line: line)
            case NginxByte.hash:
                while index < count, bytes[index] != NginxByte.newline { index += 1 }
            case NginxByte.doubleQuote, NginxByte.singleQuote:
                return quoted()
            default:
                return word()
            }
        }
        return .end
    }

    private mutating func word() -> NginxToken {
        let count = bytes.count
        let start = index
        let startLine = line
        var escaped = false
        var afterDollar = false
        scan: while index < count {
            let byte = bytes[index]
            switch byte {
            case NginxByte.space, NginxByte.tab, NginxByte.carriageReturn, NginxByte.newline, NginxByte.formFeed, NginxByte.semicolon:
                break scan
            case NginxByte.openBrace:
                if !afterDollar { break scan }
                afterDollar = false
                index += 1
            case NginxByte.backslash:
                escaped = true
                afterDollar = false
                index += 1
                if index < count {
                    if bytes[index] == NginxByte.newline { line += 1 }
                    index += 1
                }
            default:
                afterDollar = byte == NginxByte.dollar
                index += 1
            }
        }
        return .word(text(start, index, unescape: escaped), line: startLine)
    }

    private mutating func quoted() -> NginxToken {
        let count = bytes.count
        let quote = bytes[index]
        let startLine = line
        let start = index + 1
        var escaped = false
        index = start
        while index < count {
            let byte = bytes[index]
            if byte == quote {
                let value = text(start, index, unescape: escaped)
                index += 1
                return .word(value, line: startLine)
            }
            if byte == NginxByte.newline { line += 1 }
            if byte == NginxByte.backslash {
                escaped = true
                index += 1
                if index < count, bytes[index] == NginxByte.newline { line += 1 }
            }
            index += 1
        }
        let mark = quote == NginxByte.doubleQuote ? "\"" : "'"
        report("unterminated \(mark) string: no closing \(mark) before end of file", line: startLine)
        // Read on as if the stray quote were not there: a missing closing quote is almost
        // always a typo, and the rest of its line (`"ok; }`) still holds the `;` and `}`
        // that keep the blocks in step. Recursion is bounded: each quote character can be
        // unterminated at most once, since a later one of its kind would have closed it.
        index = start
        line = startLine
        return next()
    }

    private func text(_ start: Int, _ end: Int, unescape: Bool) -> String {
        let slice = UnsafeBufferPointer(rebasing: bytes[start..<end])
        guard unescape else { return String(decoding: slice, as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(slice.count)
        var position = 0
        while position < slice.count {
            let byte = slice[position]
            if byte == NginxByte.backslash, position + 1 < slice.count {
                let next = slice[position + 1]
                switch next {
                case NginxByte.doubleQuote, NginxByte.singleQuote, NginxByte.backslash: out.append(next)
                case UInt8(ascii: "t"): out.append(NginxByte.tab)
                case UInt8(ascii: "r"): out.append(NginxByte.carriageReturn)
                case UInt8(ascii: "n"): out.append(NginxByte.newline)
                default:
                    // nginx keeps unknown escapes verbatim, which is what regexes rely on.
                    out.append(byte)
                    out.append(next)
                }
                position += 2
            } else {
                out.append(byte)
                position += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Skips the body of a block already opened, token by token, up to its matching `}`.
    /// Returns `false` when the end of the file comes first.
    mutating func skipBlock() -> Bool {
        var depth = 1
        while true {
            switch next() {
            case .openBrace: depth += 1
            case .closeBrace:
                depth -= 1
                if depth == 0 { return true }
            case .end: return false
            case .word, .semicolon: continue
            }
        }
    }

    /// Skips a `*_by_lua_block` body (Lua source, whose braces and quotes follow Lua's
    /// rules, not nginx's) up to the `}` that closes it. Returns `false` at end of file.
    mutating func skipLuaBlock() -> Bool {
        let count = bytes.count
        var depth = 1
        while index < count {
            let byte = bytes[index]
            switch byte {
            case NginxByte.newline:
                line += 1
                index += 1
            case NginxByte.openBrace:
                depth += 1
                index += 1
            case NginxByte.closeBrace:
                depth -= 1
                index += 1
                if depth == 0 { return true }
            case NginxByte.doubleQuote, NginxByte.singleQuote:
                // Lua short strings end at their quote or, unterminated, at the line end.
                index += 1
                while index < count, bytes[index] != byte, bytes[index] != NginxByte.newline {
                    if bytes[index] == NginxByte.backslash, index + 1 < count {
                        if bytes[index + 1] == NginxByte.newline { line += 1 }
                        index += 1
                    }
                    index += 1
                }
                if index < count, bytes[index] == byte { index += 1 }
            case NginxByte.dash where index + 1 < count && bytes[index + 1] == NginxByte.dash:
                index += 2
                if !skipLuaLongBracket() {
                    while index < count, bytes[index] != NginxByte.newline { index += 1 }
                }
            case NginxByte.openBracket:
                if !skipLuaLongBracket() { index += 1 }
            default:
                index += 1
            }
        }
        return false
    }

    /// At `[`, `[=`…: skips a Lua long string or long comment (`[[ ]]`, `[==[ ]==]`).
    /// Returns `false`, moving nothing, when this is not a long bracket.
    private mutating func skipLuaLongBracket() -> Bool {
        let count = bytes.count
        guard index < count, bytes[index] == NginxByte.openBracket else { return false }
        var probe = index + 1
        var level = 0
        while probe < count, bytes[probe] == NginxByte.equals {
            level += 1
            probe += 1
        }
        guard probe < count, bytes[probe] == NginxByte.openBracket else { return false }
        probe += 1
        while probe < count {
            let byte = bytes[probe]
            if byte == NginxByte.newline { line += 1 }
            if byte == NginxByte.closeBracket {
                var close = probe + 1
                var closeLevel = 0
                while close < count, bytes[close] == NginxByte.equals, closeLevel < level {
                    closeLevel += 1
                    close += 1
                }
                if closeLevel == level, close < count, bytes[close] == NginxByte.closeBracket {
                    index = close + 1
                    return true
                }
            }
            probe += 1
        }
        index = count
        return true
    }
}

/// ASCII bytes the nginx lexers compare against.
enum NginxByte {
    static let space = UInt8(ascii: " ")
    static let tab = UInt8(ascii: "\t")
    static let newline = UInt8(ascii: "\n")
    static let carriageReturn = UInt8(ascii: "\r")
    static let formFeed: UInt8 = 0x0C
    static let semicolon = UInt8(ascii: ";")
    static let openBrace = UInt8(ascii: "{")
    static let closeBrace = UInt8(ascii: "}")
    static let openBracket = UInt8(ascii: "[")
    static let closeBracket = UInt8(ascii: "]")
    static let hash = UInt8(ascii: "#")
    static let doubleQuote = UInt8(ascii: "\"")
    static let singleQuote = UInt8(ascii: "'")
    static let backslash = UInt8(ascii: "\\")
    static let dollar = UInt8(ascii: "$")
    static let dash = UInt8(ascii: "-")
    static let equals = UInt8(ascii: "=")
    static let colon = UInt8(ascii: ":")
    static let slash = UInt8(ascii: "/")
}
