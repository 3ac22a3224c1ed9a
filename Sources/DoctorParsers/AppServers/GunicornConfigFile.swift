import DoctorFacts

/// The `bind` and `timeout` settings of a `gunicorn.conf.py`, read without running Python.
///
/// Only top-level assignments count, and the last one wins, as when Python runs the
/// file. A literal (`bind = "127.0.0.1:8000"`, `bind = ["unix:/run/app.sock", "…"]`,
/// `timeout = 60`) is read; anything computed (`bind = f"0.0.0.0:{port}"`,
/// `os.environ[…]`) still shows up as one bind without an endpoint, its expression as
/// `raw`, so a reader sees that the file sets it rather than the default applying.
/// Assignments inside `if` blocks or functions are not followed.
public enum GunicornConfigFile {
    /// The binds (source `file:line`) and timeout the file sets; both empty/`nil` when it sets neither.
    ///
    /// - Parameter workingDirectory: where gunicorn runs (its `--chdir`), for relative `unix:` paths.
    public static func binds(_ text: String, file: String,
                             workingDirectory: String? = nil) -> (binds: [AppServerBind], timeoutSeconds: Int?) {
        var binds: [AppServerBind] = []
        var timeout: Int?
        for assignment in assignments(text) where assignment.name == "bind" || assignment.name == "timeout" {
            let source = "\(file):\(assignment.line)"
            let literal = PythonLiteral.parse(assignment.expression)
            if assignment.name == "timeout" {
                timeout = literal.flatMap(integer)
                continue
            }
            binds = []
            guard let literal, let addresses = strings(literal) else {
                binds = [AppServerBind(endpoint: nil, raw: String(AppServerText.trim(assignment.expression).prefix(200)), source: source)]
                continue
            }
            for address in addresses {
                let reading = AppServerAddress.gunicorn(address, directory: workingDirectory)
                binds.append(AppServerBind(endpoint: reading.endpoint, raw: address, source: source))
            }
        }
        return (binds, timeout)
    }

    /// One top-level `name = expression` of the file; `expression` runs over the following
    /// lines while a bracket is open or a line ends in `\`, and `line` is where it starts (1-based).
    struct Assignment {
        let name: Substring
        let expression: Substring
        let line: Int
    }

    /// Every top-level assignment in file order, continuation lines folded into the one they
    /// continue (so a `workers=4` inside a multi-line call is not taken for an assignment).
    /// The one walker the binds, limits and log-file readers share.
    static func assignments(_ text: String) -> [Assignment] {
        var result: [Assignment] = []
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        var index = 0
        while index < lines.count {
            guard let (name, afterEquals) = assignment(lines[index]) else {
                index += 1
                continue
            }
            let (expression, lastLine) = expressionText(lines, from: index, startingWith: afterEquals)
            result.append(Assignment(name: name, expression: expression, line: index + 1))
            index = lastLine + 1
        }
        return result
    }

    /// `name = …` or `name: type = …` starting in column 0; not `==`, `+=`, or an indented line.
    static func assignment(_ line: Substring) -> (name: Substring, rest: Substring)? {
        guard let first = line.first, first.isLetter || first == "_" else { return nil }
        let name = line.prefix { $0.isLetter || $0.isNumber || $0 == "_" }
        var rest = line[name.endIndex...].drop { $0 == " " || $0 == "\t" }
        if rest.first == ":" {
            // An annotation: skip to the `=`.
            guard let equals = rest.firstIndex(of: "=") else { return nil }
            rest = rest[equals...]
        }
        guard rest.first == "=", rest.dropFirst().first != "=" else { return nil }
        return (name, rest.dropFirst())
    }

    /// The value's text, continued over following lines while a bracket is open or a line ends in `\`.
    private static func expressionText(_ lines: [Substring], from start: Int,
                                       startingWith first: Substring) -> (Substring, lastLine: Int) {
        var text = String(first)
        var depth = depthChange(first)
        var lineIndex = start
        // A bound keeps a file with an unclosed bracket from swallowing the rest of itself.
        while (depth > 0 || text.hasSuffix("\\")) && lineIndex + 1 < lines.count && lineIndex - start < 200 {
            lineIndex += 1
            text += "\n" + lines[lineIndex]
            depth += depthChange(lines[lineIndex])
        }
        return (Substring(text), lineIndex)
    }

    /// Brackets opened minus closed on one line, outside strings and comments.
    private static func depthChange(_ line: Substring) -> Int {
        var depth = 0
        var quote: Character?
        var escaped = false
        for character in line {
            if let open = quote {
                if escaped { escaped = false } else if character == "\\" { escaped = true } else if character == open { quote = nil }
                continue
            }
            switch character {
            case "\"", "'": quote = character
            case "#": return depth
            case "[", "(", "{": depth += 1
            case "]", ")", "}": depth -= 1
            default: break
            }
        }
        return depth
    }

    /// gunicorn's `validate_list_string` takes one string or a list of them.
    private static func strings(_ literal: PythonLiteral) -> [String]? {
        switch literal {
        case let .string(value):
            return [value]
        case let .sequence(elements):
            var values: [String] = []
            for element in elements {
                guard case let .string(value) = element else { return nil }
                values.append(value)
            }
            return values
        case .integer:
            return nil
        }
    }

    /// gunicorn's `validate_pos_int` also takes a numeric string.
    private static func integer(_ literal: PythonLiteral) -> Int? {
        switch literal {
        case let .integer(value): return value
        case let .string(value): return Int(AppServerText.trim(value))
        case .sequence: return nil
        }
    }
}
