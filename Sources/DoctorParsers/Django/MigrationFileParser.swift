/// One operation of a Django migration's `operations = [...]` list, and whether Django can
/// undo it (`manage.py migrate APP PREVIOUS` runs its `database_backwards`).
public struct DjangoMigrationOperation: Hashable, Sendable {
    /// The operation's class name (`CreateModel`, `RunPython`, `AddIndexConcurrently`).
    public var name: String
    /// 1-based line of the call in the file.
    public var line: Int
    /// `true`/`false` when Django's rule decides it from the file; `nil` for a custom
    /// operation class whose `reversible` attribute lives in other code.
    public var reversible: Bool?
    /// Why it is not reversible, or why that is not known (`RunPython without reverse_code`).
    public var reason: String?

    public init(name: String, line: Int, reversible: Bool?, reason: String? = nil) {
        self.name = name
        self.line = line
        self.reversible = reversible
        self.reason = reason
    }
}

/// What a migration file says about undoing it.
public struct DjangoMigrationFile: Hashable, Sendable {
    /// Every operation in file order (those of `SeparateDatabaseAndState(database_operations=…)`
    /// included, since those are the ones that touch the database).
    public var operations: [DjangoMigrationOperation]
    /// `false` when no `operations = [` list was found (generated code always has one).
    public var operationsFound: Bool

    public init(operations: [DjangoMigrationOperation], operationsFound: Bool) {
        self.operations = operations
        self.operationsFound = operationsFound
    }

    /// `false` when an operation cannot be undone; `nil` when an operation's reversibility is
    /// not known from the file (a custom class) or the list was not found; `true` otherwise.
    public var isReversible: Bool? {
        guard operationsFound else { return nil }
        if operations.contains(where: { $0.reversible == false }) { return false }
        if operations.contains(where: { $0.reversible == nil }) { return nil }
        return true
    }

    /// The operations that decide `isReversible` (irreversible ones, else unknown ones).
    public var blockingOperations: [DjangoMigrationOperation] {
        let irreversible = operations.filter { $0.reversible == false }
        return irreversible.isEmpty ? operations.filter { $0.reversible == nil } : irreversible
    }
}

/// Reads a Django migration file (`APP/migrations/NNNN_name.py`, as `makemigrations` writes it
/// and people edit it) for its operations and decides, with Django's own rule, whether each can
/// be undone: `Operation.reversible` is `True` for every built-in operation except `RunPython`
/// without `reverse_code` and `RunSQL` without `reverse_sql` (`django/db/migrations/operations/
/// special.py`: `reversible` is `self.reverse_code is not None` / `self.reverse_sql is not None`);
/// an explicit `None` is the same as leaving it out. `RunPython.noop` is a reverse.
///
/// The file is never executed: a small Python tokenizer (strings with prefixes and triple
/// quotes, comments, brackets) finds the top-level calls of the list and their arguments.
public enum DjangoMigrationParser {
    /// Built-in operations (django.db.migrations and django.contrib.postgres) that Django
    /// can always reverse.
    static let alwaysReversible: Set<String> = [
        "CreateModel", "DeleteModel", "RenameModel", "AlterModelTable", "AlterModelTableComment", "AlterUniqueTogether",
        "AlterIndexTogether", "AlterModelOptions", "AlterOrderWithRespectTo", "AlterModelManagers", "AddField",
        "RemoveField", "AlterField", "RenameField", "AddIndex", "RemoveIndex", "RenameIndex", "AddConstraint",
        "RemoveConstraint", "AlterConstraint", "CreateExtension", "BloomExtension", "BtreeGinExtension",
        "BtreeGistExtension", "CITextExtension", "CryptoExtension", "HStoreExtension", "TrigramExtension",
        "UnaccentExtension", "AddIndexConcurrently", "RemoveIndexConcurrently", "CreateCollation", "RemoveCollation",
        "AddConstraintNotValid", "ValidateConstraint",
    ]

    /// Files bigger than this are not migrations anyone wrote by hand or by makemigrations.
    public static let maxBytes = 2 * 1024 * 1024

    /// `0003_backfill_status` for `0003_backfill_status.py`; `nil` for `__init__.py` and other
    /// files Django's loader skips (it loads every module in `migrations/` not starting with `_` or `~`).
    public static func migrationName(fileName: String) -> String? {
        guard fileName.hasSuffix(".py"), let first = fileName.first, first != "_", first != "~", first != "." else { return nil }
        let name = String(fileName.dropLast(3))
        return name.isEmpty ? nil : name
    }

    public static func parse(_ text: String) -> DjangoMigrationFile {
        let tokens = PythonTokenizer.tokenize(text)
        // `operations = [` at any indentation (inside `class Migration`).
        var index = 0
        while index + 2 < tokens.count {
            if tokens[index].kind == .name, tokens[index].text == "operations", tokens[index + 1].text == "=",
               tokens[index + 2].text == "[" {
                var operations: [DjangoMigrationOperation] = []
                _ = parseList(tokens, from: index + 2, into: &operations)
                return DjangoMigrationFile(operations: operations, operationsFound: true)
            }
            index += 1
        }
        return DjangoMigrationFile(operations: [], operationsFound: false)
    }

    /// Parses the list opening at `open` (a `[` token); returns the index after its `]`.
    private static func parseList(_ tokens: [PythonToken], from open: Int, into operations: inout [DjangoMigrationOperation]) -> Int {
        let elements = splitTopLevel(tokens, open: open)
        for element in elements.items {
            guard let call = callee(tokens, element) else { continue }
            let arguments = callArguments(tokens, open: call.open)
            operations.append(contentsOf: operation(named: call.name, line: tokens[element.lowerBound].line,
                                                    arguments: arguments, tokens: tokens))
        }
        return elements.end
    }

    /// The dotted name before the first `(` of an element (`migrations.RunPython(` → `RunPython`).
    private static func callee(_ tokens: [PythonToken], _ range: Range<Int>) -> (name: String, open: Int)? {
        var index = range.lowerBound
        var last: String?
        while index < range.upperBound {
            let token = tokens[index]
            if token.kind == .name { last = token.text } else if token.text == "(" { return last.map { ($0, index) } } else if token.text != "." { return nil }
            index += 1
        }
        return nil
    }

    /// One argument of a call: `name=value` or a positional value, as token ranges.
    private struct Argument {
        var keyword: String?
        var value: Range<Int>
    }

    private static func callArguments(_ tokens: [PythonToken], open: Int) -> [Argument] {
        splitTopLevel(tokens, open: open).items.map { range in
            if range.count >= 2, tokens[range.lowerBound].kind == .name, tokens[range.lowerBound + 1].text == "=" {
                return Argument(keyword: tokens[range.lowerBound].text, value: (range.lowerBound + 2)..<range.upperBound)
            }
            return Argument(keyword: nil, value: range)
        }
    }

    private static func operation(named name: String, line: Int, arguments: [Argument], tokens: [PythonToken]) -> [DjangoMigrationOperation] {
        func isNone(_ range: Range<Int>) -> Bool { range.count == 1 && tokens[range.lowerBound].text == "None" }
        /// The reverse argument: the second positional one or the keyword.
        func reverse(keyword: String) -> Range<Int>? {
            if let named = arguments.first(where: { $0.keyword == keyword }) { return named.value }
            let positional = arguments.filter { $0.keyword == nil }
            return positional.count >= 2 ? positional[1].value : nil
        }
        switch name {
        case "RunPython", "RunSQL":
            let keyword = name == "RunPython" ? "reverse_code" : "reverse_sql"
            guard let value = reverse(keyword: keyword), !value.isEmpty, !isNone(value) else {
                return [DjangoMigrationOperation(name: name, line: line, reversible: false, reason: "\(name) without \(keyword)")]
            }
            return [DjangoMigrationOperation(name: name, line: line, reversible: true)]
        case "SeparateDatabaseAndState":
            // Only database_operations touch the database when migrating backwards.
            let database = arguments.first { $0.keyword == "database_operations" } ?? arguments.first { $0.keyword == nil }
            guard let database, !database.value.isEmpty, tokens[database.value.lowerBound].text == "[" else {
                return [DjangoMigrationOperation(name: name, line: line, reversible: true)]
            }
            var inner: [DjangoMigrationOperation] = []
            _ = parseList(tokens, from: database.value.lowerBound, into: &inner)
            return inner
        default:
            if alwaysReversible.contains(name) { return [DjangoMigrationOperation(name: name, line: line, reversible: true)] }
            return [DjangoMigrationOperation(name: name, line: line, reversible: nil,
                                             reason: "\(name) is not a built-in operation: its reversible attribute is in its class")]
        }
    }

    /// The top-level comma-separated items inside the bracket opening at `open`, and the
    /// index after its closing bracket.
    private static func splitTopLevel(_ tokens: [PythonToken], open: Int) -> (items: [Range<Int>], end: Int) {
        var depth = 0
        var start = open + 1
        var items: [Range<Int>] = []
        var index = open
        while index < tokens.count {
            let text = tokens[index].text
            if tokens[index].kind == .punctuation {
                if text == "(" || text == "[" || text == "{" {
                    depth += 1
                } else if text == ")" || text == "]" || text == "}" {
                    depth -= 1
                    if depth == 0 {
                        if start < index { items.append(start..<index) }
                        return (items, index + 1)
                    }
                } else if text == ",", depth == 1 {
                    if start < index { items.append(start..<index) }
                    start = index + 1
                }
            }
            index += 1
        }
        // Unclosed (a truncated file): what was read so far.
        if start < tokens.count { items.append(start..<tokens.count) }
        return (items, tokens.count)
    }
}

/// A token of Python source: enough to find calls and their arguments.
struct PythonToken: Hashable, Sendable {
    enum Kind: Hashable, Sendable { case name, number, string, punctuation }
    var kind: Kind
    var text: String
    var line: Int
}

/// Splits Python source into names, numbers, strings (contents dropped) and punctuation;
/// comments and whitespace are skipped. Not a full tokenizer: no indentation tokens.
enum PythonTokenizer {
    static func tokenize(_ text: String) -> [PythonToken] {
        let scalars = Array(text.unicodeScalars)
        var tokens: [PythonToken] = []
        var index = 0
        var line = 1
        func isNameStart(_ s: Unicode.Scalar) -> Bool { s == "_" || s.properties.isAlphabetic }
        func isNamePart(_ s: Unicode.Scalar) -> Bool { isNameStart(s) || ("0"..."9").contains(s) }
        while index < scalars.count {
            let scalar = scalars[index]
            if scalar == "\n" { line += 1; index += 1; continue }
            if scalar == " " || scalar == "\t" || scalar == "\r" || scalar == "\\" || scalar == "\u{FEFF}" { index += 1; continue }
            if scalar == "#" {
                while index < scalars.count, scalars[index] != "\n" { index += 1 }
                continue
            }
            if scalar == "\"" || scalar == "'" {
                let start = line
                index = skipString(scalars, at: index, line: &line)
                tokens.append(PythonToken(kind: .string, text: "", line: start))
                continue
            }
            if isNameStart(scalar) {
                var end = index
                while end < scalars.count, isNamePart(scalars[end]) { end += 1 }
                let word = String(String.UnicodeScalarView(scalars[index..<end]))
                // A string prefix (r, b, f, u, rb, br, fr, rf, any case) right before a quote.
                if end < scalars.count, scalars[end] == "\"" || scalars[end] == "'", word.count <= 2,
                   word.lowercased().allSatisfy({ "rbfu".contains($0) }) {
                    let start = line
                    index = skipString(scalars, at: end, line: &line)
                    tokens.append(PythonToken(kind: .string, text: "", line: start))
                    continue
                }
                tokens.append(PythonToken(kind: .name, text: word, line: line))
                index = end
                continue
            }
            if ("0"..."9").contains(scalar) {
                var end = index
                while end < scalars.count, isNamePart(scalars[end]) || scalars[end] == "." { end += 1 }
                tokens.append(PythonToken(kind: .number, text: String(String.UnicodeScalarView(scalars[index..<end])), line: line))
                index = end
                continue
            }
            tokens.append(PythonToken(kind: .punctuation, text: String(scalar), line: line))
            index += 1
        }
        return tokens
    }

    /// Skips a string literal opening at `index` (single or triple quoted); returns the
    /// index after it. An unterminated string ends the file.
    private static func skipString(_ scalars: [Unicode.Scalar], at index: Int, line: inout Int) -> Int {
        let quote = scalars[index]
        let triple = index + 2 < scalars.count && scalars[index + 1] == quote && scalars[index + 2] == quote
        var i = index + (triple ? 3 : 1)
        while i < scalars.count {
            let s = scalars[i]
            if s == "\\" {
                if i + 1 < scalars.count, scalars[i + 1] == "\n" { line += 1 }
                i += 2
                continue
            }
            if s == "\n" {
                if !triple { return i } // an unterminated one-line string ends at the line
                line += 1
            }
            if s == quote {
                if !triple { return i + 1 }
                if i + 2 < scalars.count, scalars[i + 1] == quote, scalars[i + 2] == quote { return i + 3 }
            }
            i += 1
        }
        return scalars.count
    }
}
