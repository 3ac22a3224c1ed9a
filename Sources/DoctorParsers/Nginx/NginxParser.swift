import DoctorFacts
import Foundation

/// The directives of one file and the problems met in it.
public struct NginxParseResult: Hashable, Sendable {
    public var directives: [NginxDirective]
    public var diagnostics: [ConfigDiagnostic]

    public init(directives: [NginxDirective] = [], diagnostics: [ConfigDiagnostic] = []) {
        self.directives = directives
        self.diagnostics = diagnostics
    }
}

/// Parses the bytes of one nginx configuration file into a directive tree.
///
/// It never stops at an error: each one becomes a `.syntax` diagnostic with file:line
/// and parsing resumes at the next `;`, `}` or line, so a config with one typo still
/// yields every route around it. Files containing NUL bytes are not configuration
/// (a binary, a core dump, a mis-pointed include) and are skipped with a `.binary`
/// diagnostic; other invalid UTF-8 is decoded leniently (U+FFFD), as a Latin-1
/// comment is no reason to drop a file.
public enum NginxParser {
    /// Blocks nested deeper than this are skipped: deeper trees only come from hostile
    /// or corrupt input, and every later walk over the tree is recursive.
    public static let maxNesting = 64

    /// Parses one file. `file` is used for source locations only.
    public static func parse(_ bytes: [UInt8], file: String) -> NginxParseResult {
        parse(bytes, file: file) { _ in nil }
    }

    /// Parses one file; `include` is called for every simple `include` directive and,
    /// when it returns directives, they replace the `include` in place.
    static func parse(_ bytes: [UInt8], file: String,
                      include: (NginxDirective) -> [NginxDirective]?) -> NginxParseResult {
        bytes.withUnsafeBufferPointer { buffer in
            if let nul = firstNUL(buffer) {
                let line = 1 + buffer[..<nul].reduce(0) { $0 + ($1 == Byte.newline ? 1 : 0) }
                let diagnostic = ConfigDiagnostic(
                    kind: .binary,
                    message: "not a text configuration file (NUL byte at offset \(nul)); file skipped",
                    location: SourceLocation(file: file, line: line))
                return NginxParseResult(directives: [], diagnostics: [diagnostic])
            }
            var lexer = NginxLexer(bytes: buffer, file: file)
            let directives = parseTokens(&lexer, include: include)
            return NginxParseResult(directives: directives, diagnostics: lexer.diagnostics)
        }
    }

    private static func firstNUL(_ buffer: UnsafeBufferPointer<UInt8>) -> Int? {
        guard let base = buffer.baseAddress, buffer.count > 0,
              let hit = memchr(base, 0, buffer.count) else { return nil }
        return UnsafeRawPointer(hit) - UnsafeRawPointer(base)
    }

    /// A block whose `}` has not been read yet.
    private struct OpenBlock {
        var name: String
        var args: [String]
        var location: SourceLocation
        var children: [NginxDirective] = []
        /// A `{` with no directive name: parsed to stay in step with the braces, then dropped.
        var discarded = false

        var directive: NginxDirective {
            NginxDirective(name: name, args: args, location: location, block: children)
        }
    }

    // An explicit stack rather than recursion: a hostile file of a million `{` must
    // not overflow the thread's stack.
    private static func parseTokens(_ lexer: inout NginxLexer,
                                    include: (NginxDirective) -> [NginxDirective]?) -> [NginxDirective] {
        let file = lexer.file
        var stack = [OpenBlock(name: "", args: [], location: SourceLocation(file: file, line: 0))]
        var name: String?
        var args: [String] = []
        var nameLine = 0

        func append(_ directive: NginxDirective) {
            if directive.block == nil, directive.name == "include", let spliced = include(directive) {
                stack[stack.count - 1].children.append(contentsOf: spliced)
            } else {
                stack[stack.count - 1].children.append(directive)
            }
        }

        while true {
            switch lexer.next() {
            case let .word(word, line):
                if name == nil {
                    name = word
                    nameLine = line
                } else {
                    args.append(word)
                }
            case let .semicolon(line):
                if let pending = name {
                    append(NginxDirective(name: pending, args: args, location: SourceLocation(file: file, line: nameLine)))
                    name = nil
                    args = []
                } else {
                    lexer.report("unexpected \";\" with no directive before it", line: line)
                }
            case let .openBrace(line):
                guard let pending = name else {
                    lexer.report("unexpected \"{\" with no directive name before it", line: line)
                    stack.append(OpenBlock(name: "", args: [], location: SourceLocation(file: file, line: line), discarded: true))
                    continue
                }
                let location = SourceLocation(file: file, line: nameLine)
                if pending.hasSuffix("_by_lua_block") {
                    if !lexer.skipLuaBlock() {
                        lexer.report("unterminated \"\(pending)\": no closing \"}\" before end of file", line: nameLine)
                    }
                    append(NginxDirective(name: pending, args: args, location: location, block: []))
                } else if stack.count > maxNesting {
                    lexer.report("\"\(pending)\" block nested more than \(maxNesting) deep; its body is skipped", line: nameLine)
                    _ = lexer.skipBlock()
                    append(NginxDirective(name: pending, args: args, location: location, block: []))
                } else {
                    stack.append(OpenBlock(name: pending, args: args, location: location))
                }
                name = nil
                args = []
            case let .closeBrace(line):
                if let pending = name {
                    lexer.report("unexpected \"}\": directive \"\(pending)\" is missing its \";\"", line: line)
                    append(NginxDirective(name: pending, args: args, location: SourceLocation(file: file, line: nameLine)))
                    name = nil
                    args = []
                }
                if stack.count == 1 {
                    lexer.report("unexpected \"}\" with no open block", line: line)
                } else {
                    let closed = stack.removeLast()
                    if !closed.discarded { append(closed.directive) }
                }
            case .error:
                name = nil
                args = []
            case .end:
                if let pending = name {
                    lexer.report("unexpected end of file: directive \"\(pending)\" is missing its \";\"", line: nameLine)
                    append(NginxDirective(name: pending, args: args, location: SourceLocation(file: file, line: nameLine)))
                }
                while stack.count > 1 {
                    let open = stack[stack.count - 1]
                    if !open.discarded {
                        lexer.report("unterminated block \"\(open.name)\": no closing \"}\" before end of file",
                                     line: open.location.line)
                    }
                    let closed = stack.removeLast()
                    if !closed.discarded { append(closed.directive) }
                }
                return stack[0].children
            }
        }
    }

}
