import DoctorFacts
import Foundation

/// The tokens of a Caddyfile with `import` expanded as they are reached, the way Caddy
/// splices them: a snippet or file imported at the start of a line is read in place of
/// the `import` line, with `{args[N]}` / `{args.N}` replaced by the import's arguments.
///
/// Every expansion remembers the chain of imports that led to it, so a cycle (a file or
/// snippet importing itself through any path) is reported once at the `import` line and
/// not followed; depth and a total token budget bound "import bombs".
struct CaddyTokenStream {
    static let maxImportDepth = 32
    static let maxTokens = 4_000_000
    /// Imports expanded in all; real configs have hundreds at most, while a file importing
    /// the next one twice, 30 levels deep, would ask for a billion.
    static let maxExpansions = 100_000

    private struct Source {
        var tokens: [CaddyToken]
        var index = 0
        /// Files and snippets (`(name)`) whose expansion this source is, outermost first.
        var chain: [String]
    }

    private let reader: any ConfigFileReader
    private let maxFileBytes: Int
    private var stack: [Source] = []
    private var lastReturned: CaddyToken?
    private var nextOrigin = 1
    private var tokenCount = 0
    private var budgetReported = false
    private var expansions = 0
    private enum CachedFile {
        case tokens([CaddyToken])
        case failed(ConfigDiagnostic.Kind, String)
    }

    private var fileCache: [String: CachedFile] = [:]
    /// Snippets defined so far, by name without parentheses.
    private(set) var snippets: [String: [CaddyToken]] = [:]
    private(set) var files: [String] = []
    private(set) var diagnostics: [ConfigDiagnostic] = []

    init(mainFile: String, reader: any ConfigFileReader, maxFileBytes: Int) {
        self.reader = reader
        self.maxFileBytes = maxFileBytes
        if let tokens = read(mainFile, site: nil) {
            tokenCount = tokens.count
            stack = [Source(tokens: tokens, chain: [mainFile])]
        }
    }

    mutating func report(_ kind: ConfigDiagnostic.Kind, _ message: String, at token: CaddyToken?) {
        diagnostics.append(ConfigDiagnostic(
            kind: kind, message: message, location: token.map { SourceLocation(file: $0.file, line: $0.line) }))
    }

    // MARK: Reading

    /// The next token, with imports at the start of a line expanded.
    mutating func next() -> CaddyToken? {
        guard let token = peek() else { return nil }
        stack[stack.count - 1].index += 1
        lastReturned = token
        return token
    }

    /// The token `next()` would return, expanding imports to find it.
    mutating func peek() -> CaddyToken? {
        while let token = peekRaw() {
            guard token.text == "import", !token.quoted,
                  lastReturned.map({ $0.isFollowedOnNewLine(by: token) }) ?? true else { return token }
            expandImport()
        }
        return nil
    }

    /// The next token as written, imports not expanded (snippet bodies are kept raw
    /// until they are imported, as Caddy does).
    mutating func nextRaw() -> CaddyToken? {
        guard let token = peekRaw() else { return nil }
        stack[stack.count - 1].index += 1
        lastReturned = token
        return token
    }

    private mutating func peekRaw() -> CaddyToken? {
        while let top = stack.last {
            if top.index < top.tokens.count { return top.tokens[top.index] }
            stack.removeLast()
        }
        return nil
    }

    /// Records a snippet; a second definition of the same name is an error in Caddy, so
    /// the first is kept.
    mutating func define(snippet name: String, tokens: [CaddyToken], at token: CaddyToken) {
        if snippets[name] != nil {
            report(.syntax, "redeclaration of snippet \(name); the first definition is kept", at: token)
            return
        }
        snippets[name] = tokens
    }

    // MARK: Imports

    /// At an `import` token: consumes it and its arguments and pushes what it imports.
    private mutating func expandImport() {
        let importToken = stack[stack.count - 1].tokens[stack[stack.count - 1].index]
        let chain = stack[stack.count - 1].chain
        stack[stack.count - 1].index += 1
        var args: [CaddyToken] = []
        var previous = importToken
        while let top = stack.last, top.index < top.tokens.count {
            let candidate = top.tokens[top.index]
            if previous.isFollowedOnNewLine(by: candidate) { break }
            args.append(candidate)
            stack[stack.count - 1].index += 1
            previous = candidate
        }
        lastReturned = previous
        guard let pattern = args.first?.text, !pattern.isEmpty else {
            report(.syntax, "import needs a snippet name or a file path", at: importToken)
            return
        }
        let importArgs = args.dropFirst().map(\.text)

        var pieces: [(name: String, tokens: [CaddyToken])] = []
        if let snippet = snippets[pattern] {
            pieces = [("(\(pattern))", snippet)]
        } else {
            let directory = CaddyPath.directory(of: importToken.file)
            let path = CaddyPath.resolve(pattern, against: directory)
            if CaddyPath.isGlob(pattern) {
                let matches = glob(path, site: importToken)
                if matches.isEmpty {
                    report(.emptyGlob, "import \(pattern) matches no file (Caddy only warns)", at: importToken)
                }
                for match in matches {
                    if let tokens = readImported(match, chain: chain, site: importToken) { pieces.append((match, tokens)) }
                }
            } else if let tokens = readImported(path, chain: chain, site: importToken) {
                pieces = [(path, tokens)]
            }
            if pieces.isEmpty { return }
        }
        // Pushed last piece first so the first is read first.
        for piece in pieces.reversed() {
            if chain.contains(piece.name) {
                let cycle = (chain.drop { $0 != piece.name } + [piece.name]).joined(separator: " -> ")
                report(.includeCycle, "import cycle: \(cycle); not followed again", at: importToken)
                continue
            }
            guard chain.count < Self.maxImportDepth else {
                report(.includeCycle, "imports nested more than \(Self.maxImportDepth) deep at \(piece.name); not followed",
                       at: importToken)
                continue
            }
            guard tokenCount + piece.tokens.count <= Self.maxTokens, expansions < Self.maxExpansions else {
                if !budgetReported {
                    budgetReported = true
                    report(.tooLarge, "imports expand to more than \(Self.maxTokens) tokens or \(Self.maxExpansions) "
                        + "imports; further imports skipped", at: importToken)
                }
                continue
            }
            tokenCount += piece.tokens.count
            expansions += 1
            let origin = nextOrigin
            nextOrigin += 1
            let tokens = CaddyImportArguments.substitute(importArgs, in: piece.tokens, origin: origin)
            stack.append(Source(tokens: tokens, chain: chain + [piece.name]))
        }
    }

    /// A file's tokens for an import; a file already on the chain is reported as a cycle
    /// by the caller, so it is not read again here.
    private mutating func readImported(_ path: String, chain: [String], site: CaddyToken) -> [CaddyToken]? {
        if chain.contains(path) { return [] }
        return read(path, site: site)
    }

    /// Reads and tokenizes one file (once; later imports reuse the tokens). Failures are
    /// reported at `site` (the import) each time, as each import is its own mistake.
    private mutating func read(_ path: String, site: CaddyToken?) -> [CaddyToken]? {
        switch fileCache[path] {
        case let .tokens(tokens)?:
            return tokens
        case let .failed(kind, message)?:
            report(kind, message, at: site)
            return nil
        case nil:
            break
        }
        let bytes: [UInt8]
        var failure: (ConfigDiagnostic.Kind, String)?
        switch reader.readConfigFile(path, maxBytes: maxFileBytes) {
        case let .success(read) where read.count > maxFileBytes:
            failure = (.tooLarge, "\(path): \(ConfigReadError.tooLarge(bytes: read.count, limit: maxFileBytes)); not parsed")
            bytes = []
        case let .success(read):
            bytes = read
        case let .failure(error):
            bytes = []
            switch error {
            case .notFound where site != nil:
                failure = (.missingInclude, "imported file \(path) does not exist")
            case .tooLarge:
                failure = (.tooLarge, "\(path): \(error); not parsed")
            default:
                failure = (.unreadable, "cannot read \(path): \(error)")
            }
        }
        if let (kind, message) = failure {
            report(kind, message, at: site)
            fileCache[path] = .failed(kind, message)
            return nil
        }
        files.append(path)
        let tokens: [CaddyToken]? = bytes.withUnsafeBufferPointer { buffer in
            if let base = buffer.baseAddress, buffer.count > 0, let hit = memchr(base, 0, buffer.count) {
                let offset = UnsafeRawPointer(hit) - UnsafeRawPointer(base)
                let line = 1 + buffer[..<offset].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
                diagnostics.append(ConfigDiagnostic(
                    kind: .binary, message: "not a text configuration file (NUL byte at offset \(offset)); file skipped",
                    location: SourceLocation(file: path, line: line)))
                return nil
            }
            var lexer = CaddyLexer(file: path)
            let tokens = lexer.tokenize(buffer, origin: 0)
            diagnostics.append(contentsOf: lexer.diagnostics)
            return tokens
        }
        guard let tokens else {
            // Binary: reported once with its own location; later imports stay silent.
            fileCache[path] = .tokens([])
            return nil
        }
        fileCache[path] = .tokens(tokens)
        return tokens
    }

    /// Paths matching `pattern`, sorted by bytes as Go's filepath.Glob returns them; a
    /// wildcard does not match a leading `.` (Caddy skips hidden files in imports).
    private mutating func glob(_ pattern: String, site: CaddyToken) -> [String] {
        let absolute = pattern.hasPrefix("/")
        var candidates = [absolute ? "" : "."]
        let components = pattern.split(separator: "/", omittingEmptySubsequences: true)
        for (position, component) in components.enumerated() {
            let isLast = position == components.count - 1
            var next: [String] = []
            for base in candidates {
                let join = { (name: String) in base == "." && !absolute ? name : base + "/" + name }
                if !CaddyPath.isGlob(component) && !isLast {
                    next.append(join(String(component)))
                    continue
                }
                switch reader.listDirectory(base.isEmpty ? "/" : base) {
                case let .success(names):
                    for name in names where name != "." && name != ".." && NginxGlob.matches(component, name) {
                        next.append(join(name))
                    }
                case .failure(.permissionDenied):
                    report(.unreadable, "cannot list \(base) for import \(pattern): permission denied", at: site)
                case .failure:
                    continue
                }
            }
            candidates = next
            if candidates.isEmpty { break }
        }
        return candidates.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }
}

/// Lexical path arithmetic for imports (relative to the importing file's directory).
enum CaddyPath {
    static func directory(of path: String) -> String { NginxPath.directory(of: path) }
    static func resolve(_ path: String, against base: String) -> String { NginxPath.resolve(path, against: base) }
    static func isGlob(_ path: some StringProtocol) -> Bool { NginxGlob.isPattern(path) }
}
