import DoctorFacts

/// Splits Caddyfile bytes into tokens the way Caddy's lexer does.
///
/// Rules kept from Caddy because they change what a token is:
/// - tokens are separated by whitespace; `{` and `}` are tokens only when written alone;
/// - `"…"` and `` `…` `` open only at the start of a token and may span lines; inside
///   `"…"` only `\"` is an escape, inside backticks nothing is;
/// - `#` starts a comment only at the start of a token (`a#b` is one token);
/// - outside quotes `\` + newline continues the line (the next tokens belong to the same
///   directive); any other `\x` is kept as both characters, as Caddy does;
/// - `<<MARKER` followed by a newline opens a heredoc (Caddy 2.7+) that ends at a line
///   whose text is `MARKER`; the closing line's indentation is stripped from every line.
/// Env placeholders (`{$NAME}`, `{$NAME:default}`) are substituted per token with their
/// default only: the parser may be reading another machine's snapshot, and the process
/// environment of the doctor says nothing about Caddy's. Without a default the
/// placeholder stays as written, so an upstream made of it is known to be unresolved.
struct CaddyLexer {
    let file: String
    var diagnostics: [ConfigDiagnostic] = []

    init(file: String) {
        self.file = file
    }

    private mutating func report(_ message: String, line: Int) {
        diagnostics.append(ConfigDiagnostic(kind: .syntax, message: message, location: SourceLocation(file: file, line: line)))
    }

    mutating func tokenize(_ bytes: UnsafeBufferPointer<UInt8>, origin: Int) -> [CaddyToken] {
        var tokens: [CaddyToken] = []
        let count = bytes.count
        var index = 0
        if count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { index = 3 }
        var line = 1
        var skippedLines = 0
        var value: [UInt8] = []
        value.reserveCapacity(64)

        func isSpace(_ byte: UInt8) -> Bool {
            byte == 0x20 || (byte >= 0x09 && byte <= 0x0D)
        }

        while index < count {
            let byte = bytes[index]
            // Between tokens.
            if isSpace(byte) {
                if byte == Byte.newline {
                    line += 1 + skippedLines
                    skippedLines = 0
                }
                index += 1
                continue
            }
            if byte == Byte.hash {
                while index < count, bytes[index] != Byte.newline { index += 1 }
                continue
            }
            let startLine = line
            value.removeAll(keepingCapacity: true)
            if byte == Byte.doubleQuote || byte == Byte.backtick {
                // Quoted token: up to the matching quote, newlines included.
                let quote = byte
                index += 1
                var closed = false
                var breaks = 0
                while index < count {
                    let current = bytes[index]
                    if quote == Byte.doubleQuote, current == Byte.backslash, index + 1 < count {
                        let next = bytes[index + 1]
                        if next == Byte.doubleQuote {
                            value.append(next)
                        } else {
                            value.append(current)
                            value.append(next)
                            if next == Byte.newline { breaks += 1 }
                        }
                        index += 2
                        continue
                    }
                    if current == quote {
                        closed = true
                        index += 1
                        break
                    }
                    if current == Byte.newline { breaks += 1 }
                    value.append(current)
                    index += 1
                }
                if !closed {
                    let mark = quote == Byte.doubleQuote ? "\"" : "`"
                    report("unterminated \(mark) string: no closing \(mark) before end of file", line: startLine)
                }
                // Lines skipped by `\` continuations before it are counted at its first
                // line break, or later at the next unescaped newline (Caddy's quirk, kept so
                // tokens group into directives as Caddy groups them).
                if breaks > 0 {
                    line += breaks + skippedLines
                    skippedLines = 0
                }
                tokens.append(makeToken(value, line: startLine, breaks: breaks, quoted: true, origin: origin))
                continue
            }
            if byte == Byte.lessThan, index + 2 < count, bytes[index + 1] == Byte.lessThan,
               let heredoc = heredoc(bytes, at: index, line: startLine) {
                index = heredoc.end
                line += heredoc.breaks + skippedLines
                skippedLines = 0
                tokens.append(CaddyToken(text: heredoc.text, written: heredoc.text, file: file, line: startLine,
                                         lineBreaks: heredoc.breaks, quoted: true, origin: origin))
                continue
            }
            // Plain word without backslash (nearly all): one slice, no byte-by-byte copy.
            var end = index
            while end < count, !isSpace(bytes[end]), bytes[end] != Byte.backslash { end += 1 }
            if end == count || isSpace(bytes[end]) {
                let slice = UnsafeBufferPointer(rebasing: bytes[index..<end])
                index = end
                tokens.append(makeToken(slice, line: startLine, breaks: 0, quoted: false, origin: origin))
                continue
            }
            // Plain word: up to whitespace; `\` + newline ends it and continues the line.
            var continued = false
            while index < count {
                let current = bytes[index]
                if isSpace(current) { break }
                if current == Byte.backslash, index + 1 < count {
                    let next = bytes[index + 1]
                    if next == Byte.newline || (next == Byte.carriageReturn && index + 2 < count && bytes[index + 2] == Byte.newline) {
                        index += next == Byte.newline ? 2 : 3
                        skippedLines += 1
                        continued = true
                        break
                    }
                    if next == Byte.lessThan {
                        // `\<<` escapes heredoc syntax; the `\` is dropped.
                        value.append(next)
                    } else {
                        value.append(current)
                        value.append(next)
                    }
                    index += 2
                    continue
                }
                value.append(current)
                index += 1
            }
            if !value.isEmpty {
                tokens.append(makeToken(value, line: startLine, breaks: 0, quoted: false, origin: origin))
            } else if continued {
                continue
            }
        }
        return tokens
    }

    /// A heredoc starting at `start` (`<<MARKER\n…\nMARKER`), or nil when this is not
    /// one (then `<<…` is an ordinary word).
    private mutating func heredoc(_ bytes: UnsafeBufferPointer<UInt8>, at start: Int, line: Int)
        -> (text: String, end: Int, breaks: Int)? {
        let count = bytes.count
        var index = start + 2
        var marker: [UInt8] = []
        while index < count, bytes[index] != Byte.newline {
            let byte = bytes[index]
            if byte == Byte.carriageReturn { index += 1; continue }
            let isMarkerByte = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A)
                || (byte >= 0x61 && byte <= 0x7A) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
            guard isMarkerByte else { return nil }
            marker.append(byte)
            index += 1
        }
        guard !marker.isEmpty, index < count else { return nil }
        index += 1 // the newline after the marker
        var lines: [[UInt8]] = []
        var current: [UInt8] = []
        var breaks = 1
        while index < count {
            let byte = bytes[index]
            index += 1
            if byte == Byte.newline {
                breaks += 1
                lines.append(current)
                current.removeAll(keepingCapacity: true)
                continue
            }
            if byte == Byte.carriageReturn { continue }
            current.append(byte)
            // The closing marker: only whitespace before it on its line, and a token end after it.
            if current.count >= marker.count, current.suffix(marker.count).elementsEqual(marker),
               current.dropLast(marker.count).allSatisfy({ $0 == 0x20 || $0 == 0x09 }),
               index >= count || bytes[index] == 0x20 || bytes[index] == 0x09 || bytes[index] == Byte.newline
                || bytes[index] == Byte.carriageReturn {
                let padding = Array(current.dropLast(marker.count))
                var text: [UInt8] = []
                for (number, content) in lines.enumerated() {
                    if content.starts(with: padding) {
                        text.append(contentsOf: content.dropFirst(padding.count))
                    } else {
                        report("heredoc line \(number + 1) does not start with the closing marker's indentation", line: line + 1 + number)
                        text.append(contentsOf: content)
                    }
                    text.append(Byte.newline)
                }
                return (String(decoding: text, as: UTF8.self), index, breaks)
            }
        }
        report("unterminated heredoc: no closing \(String(decoding: marker, as: UTF8.self)) before end of file", line: line)
        var text: [UInt8] = []
        for content in lines + [current] {
            text.append(contentsOf: content)
            text.append(Byte.newline)
        }
        return (String(decoding: text, as: UTF8.self), count, breaks)
    }

    private func makeToken(_ bytes: some Collection<UInt8>, line: Int, breaks: Int, quoted: Bool, origin: Int) -> CaddyToken {
        let written = String(decoding: bytes, as: UTF8.self)
        let text = bytes.contains(Byte.dollar) ? CaddyEnvPlaceholders.substituteDefaults(written) : written
        return CaddyToken(text: text, written: written, file: file, line: line, lineBreaks: breaks,
                          quoted: quoted, origin: origin)
    }

    enum Byte {
        static let newline = UInt8(ascii: "\n")
        static let carriageReturn = UInt8(ascii: "\r")
        static let hash = UInt8(ascii: "#")
        static let doubleQuote = UInt8(ascii: "\"")
        static let backtick = UInt8(ascii: "`")
        static let backslash = UInt8(ascii: "\\")
        static let lessThan = UInt8(ascii: "<")
        static let dollar = UInt8(ascii: "$")
    }
}

/// `{$NAME}` / `{$NAME:default}` env placeholders, resolved to their default only.
enum CaddyEnvPlaceholders {
    /// `text` with every `{$NAME:default}` replaced by `default`; `{$NAME}` without a
    /// default is left as written (its value is unknown to the doctor).
    static func substituteDefaults(_ text: String) -> String {
        var out = ""
        var rest = Substring(text)
        while let open = rest.range(of: "{$") {
            guard let close = rest[open.upperBound...].firstIndex(of: "}") else { break }
            out += rest[..<open.lowerBound]
            let body = rest[open.upperBound..<close]
            if let colon = body.firstIndex(of: ":") {
                out += body[body.index(after: colon)...]
            } else {
                out += rest[open.lowerBound...close]
            }
            rest = rest[rest.index(after: close)...]
        }
        out += rest
        return out
    }

    /// Whether `text` still holds an env placeholder without default.
    static func hasUnresolved(_ text: String) -> Bool { text.contains("{$") }
}
