import DoctorFacts

/// Compose variable interpolation as the compose specification defines it: `$VAR`, `${VAR}`,
/// `${VAR:-default}` / `${VAR-default}`, `${VAR:?err}` / `${VAR?err}`, `${VAR:+alt}` /
/// `${VAR+alt}`, nested (`${A:-${B:-8000}}`), and `$$` for a literal `$`. A `$` not followed by
/// a name or `{` stays as written (the specification's "preserved without attempting to
/// interpolate"); `${VAR/foo/bar}` and other shell forms are errors, as in Compose.
///
/// Where Compose substitutes an empty string for a variable that is not set (with a warning),
/// and stops for `${VAR:?err}`, this reports the text as not resolvable: the variable may well
/// have been set in the shell that ran `docker compose up`, which gwdoctor cannot see, and a
/// guessed value would put a wrong port in a verdict. A default written in the text is used
/// when the variable is not in `.env`, because that is what Compose does without a shell value.
public enum ComposeInterpolator {
    /// A variable's value and the `.env` line it came from.
    public typealias Lookup = (String) -> (value: String, line: Int)?

    public enum Outcome: Hashable, Sendable {
        /// The text with every variable substituted, and the variables used in order.
        case resolved(String, [ComposeVariableUse])
        /// A variable with no value and no default (or a required one), by name.
        case unresolved(missing: [String])
        /// Not valid interpolation syntax (`${VAR/a/b}`, an unclosed `${`).
        case invalid(String)
    }

    /// Interpolates `text`. `unsetIsEmpty` is for `.env` files themselves, where an unknown
    /// variable expands to nothing (as Compose's env-file reader does).
    public static func interpolate(_ text: String, lookup: Lookup, unsetIsEmpty: Bool = false) -> Outcome {
        guard text.contains("$") else { return .resolved(text, []) }
        return withoutActuallyEscaping(lookup) { lookup in
            var scanner = Scanner(characters: Array(text), lookup: lookup, unsetIsEmpty: unsetIsEmpty)
            do throws(SyntaxError) {
                let value = try scanner.expand(until: Character?.none)
                if !scanner.missing.isEmpty { return Outcome.unresolved(missing: scanner.missing) }
                return Outcome.resolved(value, scanner.uses)
            } catch {
                return Outcome.invalid(error.message)
            }
        }
    }

    struct SyntaxError: Error { var message: String }

    private struct Scanner {
        let characters: [Character]
        let lookup: Lookup
        let unsetIsEmpty: Bool
        var position = 0
        var uses: [ComposeVariableUse] = []
        var missing: [String] = []

        init(characters: [Character], lookup: @escaping Lookup, unsetIsEmpty: Bool) {
            self.characters = characters
            self.lookup = lookup
            self.unsetIsEmpty = unsetIsEmpty
        }

        /// Expands up to the end, or up to the `}` closing the braced expression being read
        /// (which is consumed). `evaluate: false` reads a branch that is not taken: its
        /// variables are neither looked up nor reported missing.
        mutating func expand(until terminator: Character?, evaluate: Bool = true) throws(SyntaxError) -> String {
            var result = ""
            while position < characters.count {
                let character = characters[position]
                if let terminator, character == terminator {
                    position += 1
                    return result
                }
                guard character == "$" else {
                    result.append(character)
                    position += 1
                    continue
                }
                let next = position + 1 < characters.count ? characters[position + 1] : nil
                if next == "$" {
                    result.append("$")
                    position += 2
                } else if next == "{" {
                    position += 2
                    result += try braced(evaluate: evaluate)
                } else if let next, next == "_" || (next.isASCII && next.isLetter) {
                    position += 1
                    let name = readName()
                    if evaluate { result += value(of: name) ?? "" }
                } else {
                    result.append("$")
                    position += 1
                }
            }
            if terminator != nil { throw SyntaxError(message: "an unclosed `${`") }
            return result
        }

        mutating func readName() -> String {
            var name = ""
            while position < characters.count {
                let character = characters[position]
                guard character == "_" || (character.isASCII && (character.isLetter || character.isNumber)) else { break }
                name.append(character)
                position += 1
            }
            return name
        }

        /// After `${`: a name, then `}` or an operator and the text up to the matching `}`.
        mutating func braced(evaluate: Bool) throws(SyntaxError) -> String {
            let name = readName()
            guard !name.isEmpty, let first = name.first, !first.isNumber else {
                throw SyntaxError(message: "`${` is not followed by a variable name")
            }
            guard position < characters.count else { throw SyntaxError(message: "an unclosed `${\(name)`") }
            var operation = String(characters[position])
            if operation == ":" {
                guard position + 1 < characters.count else { throw SyntaxError(message: "an unclosed `${\(name):`") }
                operation += String(characters[position + 1])
            }
            if operation == "}" {
                position += 1
                guard evaluate else { return "" }
                if let found = found(name) { return found }
                return missingValue(name)
            }
            guard ["-", ":-", "?", ":?", "+", ":+"].contains(operation) else {
                throw SyntaxError(message: "`${\(name)\(operation)…}` is not a form Compose supports")
            }
            position += operation.count
            let entry = evaluate ? lookup(name) : nil
            let isSet = entry != nil
            let nonEmpty = entry.map { !$0.value.isEmpty } ?? false
            let colon = operation.hasPrefix(":")
            switch operation.last {
            case "-":
                let useDefault = colon ? !nonEmpty : !isSet
                let text = try expand(until: "}", evaluate: evaluate && useDefault)
                guard evaluate else { return "" }
                if useDefault {
                    uses.append(ComposeVariableUse(name: name, envLine: entry?.line, fallback: .defaultValue))
                    return text
                }
                uses.append(ComposeVariableUse(name: name, envLine: entry?.line))
                return entry?.value ?? ""
            case "?":
                _ = try expand(until: "}", evaluate: false)
                guard evaluate else { return "" }
                if colon ? nonEmpty : isSet {
                    uses.append(ComposeVariableUse(name: name, envLine: entry?.line))
                    return entry?.value ?? ""
                }
                if !missing.contains(name) { missing.append(name) }
                return ""
            default:
                let useAlternative = colon ? nonEmpty : isSet
                let text = try expand(until: "}", evaluate: evaluate && useAlternative)
                guard evaluate else { return "" }
                uses.append(ComposeVariableUse(name: name, envLine: entry?.line, fallback: useAlternative ? .alternative : .empty))
                return useAlternative ? text : ""
            }
        }

        mutating func value(of name: String) -> String? {
            found(name) ?? missingValue(name)
        }

        mutating func found(_ name: String) -> String? {
            guard let entry = lookup(name) else { return nil }
            uses.append(ComposeVariableUse(name: name, envLine: entry.line))
            return entry.value
        }

        mutating func missingValue(_ name: String) -> String {
            if !unsetIsEmpty, !missing.contains(name) { missing.append(name) }
            return ""
        }
    }
}
