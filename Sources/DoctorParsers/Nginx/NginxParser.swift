import DoctorFacts
import Foundation

/// The directives of one file and the problems met in it.
public struct NginxParseResult: Hashable, Sendable {
    public var directives: [NginxDirective]
    public var diagnostics: [ConfigDiagnostic]
    /// Directives written in this file (spliced includes not counted).
    var directiveCount = 0

    public init(directives: [NginxDirective] = [], diagnostics: [ConfigDiagnostic] = []) {
        self.directives = directives
        self.diagnostics = diagnostics
    }
}

/// Parses the bytes of one nginx configuration file into a directive tree.
///
/// It never stops at an error: each one becomes a `.syntax` diagnostic with file:line
/// and parsing goes on (a stray `}` or `;` is skipped, a directive cut short by `}` or
/// the end of file is kept, open blocks are closed at the end, an unterminated quote is
/// read as if absent), so a config with one typo still yields every route around it. Files containing NUL bytes are not configuration
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
                let line = 1 + buffer[..<nul].reduce(0) { $0 + ($1 == NginxByte.newline ? 1 : 0) }
                let diagnostic = ConfigDiagnostic(
                    kind: .binary,
                    message: "not a text configuration file (NUL byte at offset \(nul)); file skipped",
                    location: SourceLocation(file: file, line: line))
                return NginxParseResult(directives: [], diagnostics: [diagnostic])
            }
            var lexer = NginxLexer(bytes: buffer, file: file)
            let (directives, count) = parseTokens(&lexer, include: include)
            var result = NginxParseResult(directives: directives, diagnostics: lexer.diagnostics)
            result.directiveCount = count
            return result
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
        /// Where its children start on the shared child stack.
        var childStart: Int
        /// A `{` with no directive name: parsed to stay in step with the braces, then dropped.
        var discarded = false
    }

    /// The directive tree under construction. Children of every open block share one
    /// stack, arguments another; each finished list is moved out at its exact size.
    private struct TreeBuilder: ~Copyable {
        let file: String
        var blocks: [OpenBlock] = []
        var children = NginxScratchStack<NginxDirective>(capacity: 256)
        var args = NginxScratchStack<String>(capacity: 16)
        var name: String?
        var nameLine = 0
        var count = 0

        init(file: String) {
            self.file = file
        }

        func location(_ line: Int) -> SourceLocation { SourceLocation(file: file, line: line) }

        mutating func append(_ directive: NginxDirective, include: (NginxDirective) -> [NginxDirective]?) {
            count += 1
            if directive.block == nil, directive.name.utf8.count == 7, directive.name == "include",
               let spliced = include(directive) {
                children.push(contentsOf: spliced)
            } else {
                children.push(directive)
            }
        }

        /// Ends the pending directive as a simple one (`;`, or recovery at `}` / end of file).
        mutating func finishPending(include: (NginxDirective) -> [NginxDirective]?) {
            guard let pending = name else { return }
            let directive = NginxDirective(name: pending, args: args.popArray(from: 0), location: location(nameLine))
            name = nil
            append(directive, include: include)
        }

        mutating func open(_ name: String, line: Int, discarded: Bool = false) {
            blocks.append(OpenBlock(name: name, args: args.popArray(from: 0), location: location(line),
                                    childStart: children.count, discarded: discarded))
            self.name = nil
        }

        mutating func close(include: (NginxDirective) -> [NginxDirective]?) {
            let closed = blocks.removeLast()
            let body = children.popArray(from: closed.childStart)
            guard !closed.discarded else { return }
            append(NginxDirective(name: closed.name, args: closed.args, location: closed.location, block: body),
                   include: include)
        }
    }

    // An explicit stack rather than recursion: a hostile file of a million `{` must
    // not overflow the thread's stack.
    private static func parseTokens(_ lexer: inout NginxLexer,
                                    include: (NginxDirective) -> [NginxDirective]?) -> ([NginxDirective], Int) {
        var tree = TreeBuilder(file: lexer.file)
        while true {
            switch lexer.next() {
            case let .word(word, line):
                if tree.name == nil {
                    tree.name = word
                    tree.nameLine = line
                } else {
                    tree.args.push(word)
                }
            case let .semicolon(line):
                if tree.name != nil {
                    tree.finishPending(include: include)
                } else {
                    lexer.report("unexpected \";\" with no directive before it", line: line)
                }
            case let .openBrace(line):
                guard let pending = tree.name else {
                    lexer.report("unexpected \"{\" with no directive name before it", line: line)
                    tree.open("", line: line, discarded: true)
                    continue
                }
                if pending.hasSuffix("_by_lua_block") {
                    if !lexer.skipLuaBlock() {
                        lexer.report("unterminated \"\(pending)\": no closing \"}\" before end of file", line: tree.nameLine)
                    }
                    tree.open(pending, line: tree.nameLine)
                    tree.close(include: include)
                } else if tree.blocks.count >= maxNesting {
                    lexer.report("\"\(pending)\" block nested more than \(maxNesting) deep; its body is skipped",
                                 line: tree.nameLine)
                    _ = lexer.skipBlock()
                    tree.open(pending, line: tree.nameLine)
                    tree.close(include: include)
                } else {
                    tree.open(pending, line: tree.nameLine)
                }
            case let .closeBrace(line):
                if let pending = tree.name {
                    lexer.report("unexpected \"}\": directive \"\(pending)\" is missing its \";\"", line: line)
                    tree.finishPending(include: include)
                }
                if tree.blocks.isEmpty {
                    lexer.report("unexpected \"}\" with no open block", line: line)
                } else {
                    tree.close(include: include)
                }
            case .end:
                if let pending = tree.name {
                    lexer.report("unexpected end of file: directive \"\(pending)\" is missing its \";\"",
                                 line: tree.nameLine)
                    tree.finishPending(include: include)
                }
                while let open = tree.blocks.last {
                    if !open.discarded {
                        lexer.report("unterminated block \"\(open.name)\": no closing \"}\" before end of file",
                                     line: open.location.line)
                    }
                    tree.close(include: include)
                }
                return (tree.children.popArray(from: 0), tree.count)
            }
        }
    }
}
