import Foundation

/// Variable values a service gets, read only to hand them to the one command gwdoctor runs
/// with the app's own settings (`manage.py shell -c` reading `django_migrations`).
///
/// Everywhere else gwdoctor keeps names only; these values exist in memory for the length of
/// that command, are passed to it through its environment (never its argv, which any user can
/// read in /proc), and `description` / `debugDescription` / mirrors show names only.
public struct CommandEnvironment: Hashable, Sendable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable {
    private var storage: [String: String]

    public init(_ values: [String: String] = [:]) { storage = values }

    public var names: [String] { storage.keys.sorted() }
    public var isEmpty: Bool { storage.isEmpty }
    /// The values, for the process launcher only.
    public var values: [String: String] { storage }

    /// Later assignments win (systemd: `EnvironmentFile=` over `Environment=`).
    public mutating func merge(_ other: CommandEnvironment) {
        storage.merge(other.storage) { _, new in new }
    }

    public var description: String { "environment with \(storage.count) variables (\(names.joined(separator: ", ")))" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["names": names]) }
}

/// Reads variable values from the places service managers take them, with each manager's
/// own syntax, for `CommandEnvironment`. Deliberately separate from the key-only parsers the
/// diagnosis uses (`EnvFile`, `SupervisorProgramSources`), which never copy a value.
public enum MigrationCommandEnvironmentParser {
    /// supervisor `[program:NAME] environment=KEY="value",KEY2=value2` of one config file
    /// (`%(here)s` and `%(ENV_X)s` expanded when `supervisordEnvironment` has them).
    public static func supervisorProgram(_ name: String, configText: String, file: String,
                                         supervisordEnvironment: [String: String] = [:]) -> CommandEnvironment? {
        let sections = SupervisorConfig.iniSections(configText, file: file)
        guard let section = sections.last(where: { $0.name == "program:" + name }) else { return nil }
        guard let raw = section.values["environment"] else { return CommandEnvironment() }
        var names: [String: String] = ["here": (file as NSString).deletingLastPathComponent, "program_name": name]
        for (key, value) in supervisordEnvironment { names["ENV_" + key] = value }
        let text = SupervisorConfig.expand(raw, names).text
        // supervisor's dict_of_key_value_pairs: shlex-like, commas outside quotes split.
        var values: [String: String] = [:]
        var pieces: [String] = []
        var current = ""
        var quote: Character?
        for character in text {
            if let open = quote {
                if character == open { quote = nil } else { current.append(character) }
                continue
            }
            if character == "\"" || character == "'" { quote = character; continue }
            if character == "," { pieces.append(current); current = ""; continue }
            current.append(character)
        }
        pieces.append(current)
        for piece in pieces {
            guard let equals = piece.firstIndex(of: "=") else { continue }
            let key = piece[..<equals].trimmingCharacters(in: .whitespacesAndNewlines)
            guard !key.isEmpty else { continue }
            values[key] = piece[piece.index(after: equals)...].trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return CommandEnvironment(values)
    }

    /// A systemd `EnvironmentFile=` or dotenv file: `KEY=value` lines, `#`/`;` comments,
    /// `export ` dropped (dotenv), one level of `'…'`/`"…"` quotes removed. Multi-line quoted
    /// values and backslash continuations are outside what this reader needs (the settings
    /// module, database location and secret key are one-liners) and are skipped.
    public static func envFile(_ text: String) -> CommandEnvironment {
        var values: [String: String] = [:]
        for rawLine in text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            var line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.hasSuffix("\r") { line.removeLast() }
            guard let first = line.first, first != "#", first != ";" else { continue }
            if line.hasPrefix("export ") { line = String(line.dropFirst(7)).trimmingCharacters(in: .whitespaces) }
            guard let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            guard isName(key) else { continue }
            values[key] = unquote(line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces))
        }
        return CommandEnvironment(values)
    }

    /// systemd `Environment=` lines of a unit file (and drop-ins): space-separated
    /// `KEY=value` words, each possibly quoted as a whole (`"KEY=a b"`); an empty
    /// `Environment=` resets the list, as systemd does.
    public static func systemdUnit(_ text: String) -> CommandEnvironment {
        var values: [String: String] = [:]
        var inService = false
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: true) {
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.hasPrefix("[") { inService = line == "[Service]"; continue }
            guard inService, line.hasPrefix("Environment"), let equals = line.firstIndex(of: "=") else { continue }
            guard line[..<equals].trimmingCharacters(in: .whitespaces) == "Environment" else { continue }
            let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.isEmpty { values = [:]; continue }
            for word in words(value) {
                guard let split = word.firstIndex(of: "=") else { continue }
                let key = String(word[..<split])
                if isName(key) { values[key] = String(word[word.index(after: split)...]) }
            }
        }
        return CommandEnvironment(values)
    }

    /// uWSGI `env = KEY=value` lines of one ini section (one variable a line, no quoting: the
    /// value is everything after the first `=`, as uWSGI's `putenv` takes it), with the
    /// placeholders the file settles expanded (`%d`, `%(key)`; `UWSGIIniFile.assignments`).
    /// uWSGI sets them in its own environment at startup, so the app's settings see them.
    public static func uwsgiIni(_ text: String, file: String, section: String = "uwsgi",
                                placeholders: [String: String] = [:]) -> CommandEnvironment {
        var values: [String: String] = [:]
        for entry in UWSGIIniFile.assignments(text, file: file, section: section, placeholders: placeholders).entries where entry.key == "env" {
            guard let equals = entry.value.firstIndex(of: "=") else { continue }
            let key = String(entry.value[..<equals])
            if isName(key) { values[key] = String(entry.value[entry.value.index(after: equals)...]) }
        }
        return CommandEnvironment(values)
    }

    /// gunicorn.conf.py `raw_env = ["KEY=value", …]` (a string or a list or tuple of literal
    /// strings, possibly over several lines; the last top-level assignment wins, as when
    /// Python runs the file). gunicorn puts them in `os.environ` before it loads the app. A
    /// computed value (`raw_env = [f"…"]`, a name, a call) is not evaluated and gives nothing.
    public static func gunicornConfig(_ text: String) -> CommandEnvironment {
        var values: [String: String] = [:]
        for assignment in GunicornConfigFile.assignments(text) where assignment.name == "raw_env" {
            values = [:]
            let items: [PythonLiteral]
            switch PythonLiteral.parse(assignment.expression) {
            case let .string(single)?: items = [.string(single)]
            case let .sequence(elements)?: items = elements
            default: continue
            }
            for case let .string(item) in items {
                guard let equals = item.firstIndex(of: "=") else { continue }
                let key = String(item[..<equals]).trimmingCharacters(in: .whitespaces)
                if isName(key) { values[key] = String(item[item.index(after: equals)...]) }
            }
        }
        return CommandEnvironment(values)
    }

    /// `/proc/PID/environ` (NUL-separated `KEY=value`): supervisord's own environment, which
    /// `%(ENV_X)s` in its config expands from.
    public static func processEnvironment(_ bytes: [UInt8]) -> [String: String] {
        var values: [String: String] = [:]
        for entry in bytes.split(separator: 0) {
            let text = String(decoding: entry, as: UTF8.self)
            guard let equals = text.firstIndex(of: "=") else { continue }
            let key = String(text[..<equals])
            if isName(key) { values[key] = String(text[text.index(after: equals)...]) }
        }
        return values
    }

    static func isName(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, first == "_" || first.properties.isAlphabetic, first.isASCII else { return false }
        return text.unicodeScalars.allSatisfy { $0.isASCII && ($0 == "_" || $0.properties.isAlphabetic || ("0"..."9").contains($0)) }
    }

    static func unquote(_ value: String) -> String {
        guard value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first else {
            // dotenv: an unquoted value ends at ` #`.
            if let comment = value.range(of: " #") { return value[..<comment.lowerBound].trimmingCharacters(in: .whitespaces) }
            return value
        }
        return String(value.dropFirst().dropLast())
    }

    /// Whitespace-separated words with `"…"`/`'…'` quoting and `\` escapes inside double quotes.
    static func words(_ text: String) -> [String] {
        var words: [String] = []
        var current = ""
        var quote: Character?
        var escaped = false
        var inWord = false
        for character in text {
            if escaped { current.append(character); escaped = false; continue }
            if let open = quote {
                if character == "\\" && open == "\"" { escaped = true } else if character == open { quote = nil } else { current.append(character) }
                continue
            }
            if character == "\"" || character == "'" { quote = character; inWord = true; continue }
            if character == " " || character == "\t" {
                if inWord { words.append(current); current = ""; inWord = false }
                continue
            }
            current.append(character)
            inWord = true
        }
        if inWord { words.append(current) }
        return words
    }
}
