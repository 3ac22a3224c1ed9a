import DoctorFacts

/// Groups the expanded token stream into server blocks and directive trees, following
/// Caddy's parser: keys up to `{` or the end of the line (a trailing comma continues the
/// list), `(name)` blocks are snippets, a keyless first block is the global options, and
/// a single site may omit its braces. Errors become `.syntax` diagnostics and parsing
/// goes on: an unclosed block ends at the end of input, a stray `}` is skipped.
struct CaddyBlockParser {
    /// Blocks nested deeper than this are skipped (only hostile input nests so deep, and
    /// the model builder walks the tree recursively).
    static let maxNesting = 64

    var stream: CaddyTokenStream
    private var diagnostics: [ConfigDiagnostic] = []
    private var nestingReported = false

    init(stream: CaddyTokenStream) {
        self.stream = stream
    }

    private mutating func report(_ message: String, at token: CaddyToken) {
        diagnostics.append(ConfigDiagnostic(kind: .syntax, message: message,
                                            location: SourceLocation(file: token.file, line: token.line)))
    }

    /// The blocks, and every diagnostic of reading and parsing, in order met.
    mutating func parseAll() -> (blocks: [CaddyServerBlock], diagnostics: [ConfigDiagnostic]) {
        var blocks: [CaddyServerBlock] = []
        while let first = stream.next() {
            if first.isCloseBrace {
                report("unexpected '}' with no block open", at: first)
                continue
            }
            var keys: [CaddyToken] = []
            var token = first
            var opened: CaddyToken?
            var expectingAnother = false
            while true {
                if token.isOpenBrace {
                    if expectingAnother { report("expected another address after the trailing comma, got '{'", at: token) }
                    opened = token
                    break
                }
                var key = token
                expectingAnother = key.text.hasSuffix(",")
                if expectingAnother {
                    key.text.removeLast()
                    if key.written.hasSuffix(",") { key.written.removeLast() }
                }
                // `a.com,b.com` is an error for Caddy ("put a space after the comma"); both
                // addresses are kept so the rest of the diagnosis still sees the site.
                if key.text.contains(",") {
                    report("site addresses cannot contain a comma: '\(key.text)' - Caddy needs a space after the comma", at: key)
                }
                for piece in key.text.split(separator: ",", omittingEmptySubsequences: true) {
                    var part = key
                    part.text = String(piece)
                    if part.written.contains(",") { part.written = part.text }
                    keys.append(part)
                }
                guard let following = stream.peek() else {
                    if expectingAnother { report("end of input after a trailing comma in the site addresses", at: token) }
                    break
                }
                if !expectingAnother, token.isFollowedOnNewLine(by: following) { break }
                token = stream.next()!
            }

            if let opened {
                if keys.count == 1, keys[0].text.hasPrefix("("), keys[0].text.hasSuffix(")") {
                    let name = String(keys[0].text.dropFirst().dropLast())
                    stream.define(snippet: name, tokens: rawBlock(opened: opened), at: keys[0])
                    continue
                }
                let directives = parseBlockBody(opened: opened, depth: 1)
                if keys.isEmpty, !blocks.isEmpty {
                    report("a block without addresses is the global options block and must come first; ignored", at: opened)
                    continue
                }
                let anchor = keys.first ?? opened
                blocks.append(CaddyServerBlock(keys: keys, directives: directives,
                                               location: SourceLocation(file: anchor.file, line: anchor.line)))
            } else if keys.count == 1, keys[0].text.hasPrefix("("), keys[0].text.hasSuffix(")") {
                report("snippet \(keys[0].text) needs a '{ … }' block", at: keys[0])
            } else if !keys.isEmpty {
                // Caddy allows one site without braces: its directives run to the end.
                let directives = parseDirectives(untilClose: nil, depth: 1)
                blocks.append(CaddyServerBlock(keys: keys, directives: directives,
                                               location: SourceLocation(file: keys[0].file, line: keys[0].line)))
            }
        }
        return (blocks, stream.diagnostics + diagnostics)
    }

    /// A snippet's body, raw (its imports expand where it is used), up to its matching `}`.
    private mutating func rawBlock(opened: CaddyToken) -> [CaddyToken] {
        var depth = 1
        var tokens: [CaddyToken] = []
        while let token = stream.nextRaw() {
            if token.isCloseBrace {
                depth -= 1
                if depth == 0 { return tokens }
            } else if token.isOpenBrace {
                depth += 1
            }
            tokens.append(token)
        }
        report("snippet block opened here is not closed before the end of input", at: opened)
        return tokens
    }

    private mutating func parseBlockBody(opened: CaddyToken, depth: Int) -> [CaddyDirective] {
        if depth > Self.maxNesting {
            if !nestingReported {
                nestingReported = true
                report("blocks nested more than \(Self.maxNesting) deep; inner blocks skipped", at: opened)
            }
            skipBlock(opened: opened)
            return []
        }
        return parseDirectives(untilClose: opened, depth: depth)
    }

    /// Directives up to the `}` closing `opened`, or to the end of input when `opened` is nil.
    private mutating func parseDirectives(untilClose opened: CaddyToken?, depth: Int) -> [CaddyDirective] {
        var directives: [CaddyDirective] = []
        while let name = stream.next() {
            if name.isCloseBrace {
                if opened != nil { return directives }
                report("unexpected '}' with no block open", at: name)
                continue
            }
            if name.isOpenBrace {
                report("'{' where a directive name was expected; block skipped", at: name)
                _ = parseBlockBody(opened: name, depth: depth + 1)
                continue
            }
            directives.append(parseDirective(name: name, depth: depth))
        }
        if let opened {
            report("block opened here is not closed before the end of input", at: opened)
        }
        return directives
    }

    private mutating func parseDirective(name: CaddyToken, depth: Int) -> CaddyDirective {
        var directive = CaddyDirective(name: name, args: [], block: nil)
        var previous = name
        while let following = stream.peek(), !previous.isFollowedOnNewLine(by: following) {
            if following.isCloseBrace { break }
            _ = stream.next()
            if following.isOpenBrace {
                directive.block = parseBlockBody(opened: following, depth: depth + 1)
                break
            }
            directive.args.append(following)
            previous = following
        }
        return directive
    }

    private mutating func skipBlock(opened: CaddyToken) {
        var depth = 1
        while let token = stream.nextRaw() {
            if token.isCloseBrace {
                depth -= 1
                if depth == 0 { return }
            } else if token.isOpenBrace {
                depth += 1
            }
        }
        report("block opened here is not closed before the end of input", at: opened)
    }
}
