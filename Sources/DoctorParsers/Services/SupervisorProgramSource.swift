import Foundation

/// One `NAME=value` of a supervisor `environment=` line: the name, whether the value is empty,
/// and the value only for `DJANGO_SETTINGS_MODULE` (a module name, not a secret).
public struct SupervisorEnvironmentEntry: Sendable, Equatable {
    public var name: String
    public var isEmpty: Bool
    /// Kept only for `DJANGO_SETTINGS_MODULE`; every other value is dropped while scanning.
    public var settingsModule: String?

    public init(name: String, isEmpty: Bool, settingsModule: String? = nil) {
        self.name = name
        self.isEmpty = isEmpty
        self.settingsModule = settingsModule
    }
}

/// Where each setting of a `[program:NAME]` section is written, and its `environment=` entries:
/// what the static service checks need for a fix that names `file:line`, beyond `SupervisorProgram`.
public struct SupervisorProgramSource: Sendable, Equatable {
    /// Lower-cased key → 1-based line of its (last) assignment in the section.
    public var lines: [String: Int]
    public var environment: [SupervisorEnvironmentEntry]

    public init(lines: [String: Int] = [:], environment: [SupervisorEnvironmentEntry] = []) {
        self.lines = lines
        self.environment = environment
    }

    /// `file:line` of `key`, when the section sets it.
    public func location(_ key: String, file: String) -> String? {
        lines[key].map { "\(file):\($0)" }
    }
}

/// Reads `[program:NAME]` sections of one supervisor config file for setting lines and
/// environment entries, following `SupervisorConfig`'s reading of the format (a repeated
/// section merges into the first; indented lines continue the previous value; `;`/`#`
/// comments, inline ones only after whitespace).
public enum SupervisorProgramSources {
    /// Program name → its source.
    public static func parse(_ text: String, file: String) -> [String: SupervisorProgramSource] {
        var sources: [String: SupervisorProgramSource] = [:]
        for section in SupervisorConfig.iniSections(text, file: file) where section.name.hasPrefix("program:") {
            let name = String(section.name.dropFirst("program:".count))
            var source = SupervisorProgramSource()
            if let environment = section.values["environment"] {
                source.environment = environmentEntries(environment)
            }
            sources[name] = source
        }
        // Key lines: a second, line-oriented pass (the ini reader keeps values, not lines).
        var current: String?
        var lineNumber = 0
        for rawLine in serviceTextLines(text) {
            lineNumber += 1
            var line = String(rawLine.prefix(SupervisorConfig.maxLineBytes))
            if line.hasSuffix("\r") { line.removeLast() }
            guard let first = line.first, first != " ", first != "\t", first != ";", first != "#" else { continue }
            let stripped = line.trimmingCharacters(in: .whitespaces)
            if stripped.hasPrefix("["), let close = stripped.firstIndex(of: "]") {
                let section = String(stripped[stripped.index(after: stripped.startIndex)..<close])
                current = section.hasPrefix("program:") ? String(section.dropFirst("program:".count)) : nil
                continue
            }
            guard let current, let delimiter = stripped.firstIndex(where: { $0 == "=" || $0 == ":" }) else { continue }
            let key = stripped[..<delimiter].trimmingCharacters(in: .whitespaces).lowercased()
            sources[current, default: SupervisorProgramSource()].lines[key] = lineNumber
        }
        return sources
    }

    /// supervisor's `dict_of_key_value_pairs`: `KEY="value",KEY2=value2`, a comma inside quotes
    /// does not split, and quotes around a value are stripped (`KEY=""` is empty).
    public static func environmentEntries(_ text: String) -> [SupervisorEnvironmentEntry] {
        var entries: [SupervisorEnvironmentEntry] = []
        var pieces: [String] = []
        var current = ""
        var quote: Character?
        for character in text {
            if let open = quote {
                if character == open { quote = nil }
                current.append(character)
                continue
            }
            if character == "\"" || character == "'" { quote = character }
            if character == "," { pieces.append(current); current = ""; continue }
            current.append(character)
        }
        pieces.append(current)
        for piece in pieces {
            guard let equals = piece.firstIndex(of: "=") else { continue }
            let name = piece[..<equals].trimmingCharacters(in: .whitespacesAndNewlines)
            guard !name.isEmpty else { continue }
            let value = piece[piece.index(after: equals)...].trimmingCharacters(in: .whitespacesAndNewlines)
                .trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
            entries.append(SupervisorEnvironmentEntry(name: name, isEmpty: value.isEmpty,
                                                      settingsModule: name == "DJANGO_SETTINGS_MODULE" ? value : nil))
        }
        return entries
    }
}
