import Foundation

/// Where supervisord sends one stream of a program.
public enum SupervisorLogFile: Sendable, Equatable {
    /// `AUTO` (the default): a generated name under `childlogdir`, not knowable statically.
    case auto
    /// `NONE`: discarded.
    case none
    case syslog
    case path(String)

    init(_ value: String?) {
        guard let value else { self = .auto; return }
        switch value.uppercased() {
        case "AUTO", "": self = .auto
        case "NONE", "OFF": self = .none
        case "SYSLOG": self = .syslog
        default: self = .path(value)
        }
    }
}

/// One `[program:NAME]` section, with supervisor's expansions applied.
public struct SupervisorProgram: Sendable, Equatable {
    public var name: String
    /// `command=` after expansion, split with `shlex.split` as supervisor does. `nil`
    /// when missing or unsplittable (supervisor refuses to start then).
    public var argv: [String]?
    public var command: String?
    public var directory: String?
    public var user: String?
    /// Names from `environment=`; values are never kept.
    public var environmentNames: [String]
    /// `autorestart=` normalised: `true`, `false` or `unexpected` (the default); an
    /// invalid value is kept as written and listed in `problems`.
    public var autorestart: String
    public var stdoutLogfile: SupervisorLogFile
    /// `stderr_logfile=`; irrelevant when `redirectStderr` (stderr goes to stdout's log).
    public var stderrLogfile: SupervisorLogFile
    public var redirectStderr: Bool
    public var numprocs: Int
    /// The process names supervisord will create (`process_name` expanded per
    /// process_num), as `supervisorctl status` shows them after the group prefix.
    public var processNames: [String]
    /// The group the processes are in: the program name unless a `[group:X]` lists it.
    public var group: String
    /// `file:line` of the section header.
    public var location: String
    /// Problems supervisor would report (unknown `%(name)s`, bad numbers, …).
    public var problems: [String]

    /// Names as `supervisorctl status` prints them: `group:process`, or the bare
    /// process name when the group is the program itself with one process of that name.
    public var statusNames: [String] {
        processNames.map { group == name && processNames == [name] ? $0 : "\(group):\($0)" }
    }
}

/// What one supervisord config file defines.
public struct SupervisorConfigFile: Sendable, Equatable {
    public var programs: [SupervisorProgram]
    /// `[include] files=` globs, expanded and made absolute against the file's
    /// directory, in order. Resolve them (glob), parse each file and call
    /// `SupervisorConfig.resolveGroups` on the union.
    public var includeGlobs: [String]
    /// `[group:NAME] programs=a,b`.
    public var groups: [String: [String]]
    public var problems: [String]
}

/// supervisord's config format: Python's `RawConfigParser` with `;`/`#` comments
/// (inline ones only after whitespace), `=` or `:` delimiters, lower-cased keys,
/// indented continuation lines, and `%(name)s` expansions in most values.
public enum SupervisorConfig {
    public static let maxLineBytes = 1 << 20

    /// Parses one file. `environment` supplies `%(ENV_X)s` (supervisord's own
    /// environment, normally the gatherer's view of it).
    public static func parse(_ text: String, file: String, environment: [String: String] = [:]) -> SupervisorConfigFile {
        let sections = iniSections(text, file: file)
        let here = (file as NSString).deletingLastPathComponent
        var base: [String: String] = ["here": here, "host_node_name": ProcessInfo.processInfo.hostName]
        for (key, value) in environment { base["ENV_" + key] = value }
        var programs: [SupervisorProgram] = []
        var includes: [String] = []
        var groups: [String: [String]] = [:]
        var problems: [String] = []

        for section in sections {
            if section.name == "include" {
                guard let files = section.values["files"] else { continue }
                let expanded = expand(files, base)
                if let missing = expanded.unknown.first { problems.append("\(section.location): unknown %(\(missing))s") }
                for glob in expanded.text.split(whereSeparator: \.isWhitespace) {
                    includes.append(glob.hasPrefix("/") ? String(glob) : here + "/" + glob)
                }
            } else if section.name.hasPrefix("group:") {
                let name = String(section.name.dropFirst("group:".count))
                groups[name] = (section.values["programs"] ?? "").split(separator: ",")
                    .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            } else if section.name.hasPrefix("program:") {
                programs.append(program(section, base: base))
            }
        }
        var result = SupervisorConfigFile(programs: programs, includeGlobs: includes, groups: groups, problems: problems)
        result.programs = resolveGroups(result.programs, groups: groups)
        return result
    }

    /// Sets each program's `group` from `[group:X]` sections (which may come from
    /// another file than the program).
    public static func resolveGroups(_ programs: [SupervisorProgram], groups: [String: [String]]) -> [SupervisorProgram] {
        programs.map { program in
            var program = program
            if let group = groups.sorted(by: { $0.key < $1.key }).first(where: { $0.value.contains(program.name) }) {
                program.group = group.key
            }
            return program
        }
    }

    private static func program(_ section: IniSection, base: [String: String]) -> SupervisorProgram {
        let name = String(section.name.dropFirst("program:".count))
        var problems: [String] = []
        let numprocs = section.values["numprocs"].flatMap { Int($0) } ?? 1
        let start = section.values["numprocs_start"].flatMap { Int($0) } ?? 0
        if let raw = section.values["numprocs"], Int(raw) == nil { problems.append("\(section.location): numprocs is not a number") }
        var names = base
        names["program_name"] = name
        names["group_name"] = name
        names["numprocs"] = String(numprocs)
        names["process_num"] = String(start)

        func get(_ key: String, _ expansions: [String: String]) -> String? {
            guard let raw = section.values[key] else { return nil }
            let expanded = expand(raw, expansions)
            for missing in expanded.unknown { problems.append("\(section.location): \(key): unknown %(\(missing))s") }
            return expanded.text
        }
        let command = get("command", names)
        let argv = command.flatMap(SupervisorShlex.split)
        if command != nil, argv == nil { problems.append("\(section.location): command cannot be split (unterminated quote)") }
        if command == nil { problems.append("\(section.location): no command") }
        var processNames: [String] = []
        for number in start..<(start + max(0, min(numprocs, 10_000))) {
            var perProcess = names
            perProcess["process_num"] = String(number)
            let expanded = expand(section.values["process_name"] ?? "%(program_name)s", perProcess)
            processNames.append(expanded.text)
        }
        let environment = get("environment", names).map(environmentNames) ?? []
        return SupervisorProgram(
            name: name, argv: argv, command: command, directory: get("directory", names), user: section.values["user"],
            environmentNames: environment, autorestart: autorestart(section.values["autorestart"], section.location, &problems),
            stdoutLogfile: SupervisorLogFile(get("stdout_logfile", names) ?? get("logfile", names)),
            stderrLogfile: SupervisorLogFile(get("stderr_logfile", names)),
            redirectStderr: ["true", "yes", "on", "1"].contains((section.values["redirect_stderr"] ?? "").lowercased()),
            numprocs: numprocs, processNames: processNames, group: name, location: section.location, problems: problems)
    }

    /// supervisor's `auto_restart()`: `yes/true/on/1` → `true`, `no/false/off/0` → `false`,
    /// `unexpected` (the default); anything else is an error supervisord refuses to start with.
    private static func autorestart(_ value: String?, _ location: String, _ problems: inout [String]) -> String {
        guard let value else { return "unexpected" }
        switch value.lowercased() {
        case "yes", "true", "on", "1": return "true"
        case "no", "false", "off", "0": return "false"
        case "unexpected": return "unexpected"
        default:
            problems.append("\(location): invalid autorestart value \(value)")
            return value
        }
    }

    /// Names of `KEY="value",KEY2=value2` (supervisor's `dict_of_key_value_pairs`), read by
    /// the one splitter `SupervisorProgramSources` uses for the same line.
    static func environmentNames(_ text: String) -> [String] {
        SupervisorProgramSources.environmentEntries(text).map(\.name)
    }

    /// Python `%`-formatting with a dict: `%(name)s`, `%(name)02d`, `%%`. Unknown names
    /// are left as written and reported.
    static func expand(_ text: String, _ names: [String: String]) -> (text: String, unknown: [String]) {
        guard text.contains("%") else { return (text, []) }
        var output = ""
        var unknown: [String] = []
        let characters = Array(text)
        var index = 0
        while index < characters.count {
            let character = characters[index]
            guard character == "%", index + 1 < characters.count else {
                output.append(character); index += 1; continue
            }
            if characters[index + 1] == "%" { output.append("%"); index += 2; continue }
            guard characters[index + 1] == "(",
                  let close = characters[(index + 2)..<min(characters.count, index + 258)].firstIndex(of: ")") else {
                output.append(character); index += 1; continue
            }
            let name = String(characters[(index + 2)..<close])
            var cursor = close + 1
            var spec = ""
            while cursor < characters.count, "-+ #0123456789.".contains(characters[cursor]) { spec.append(characters[cursor]); cursor += 1 }
            guard cursor < characters.count, "sdirfx".contains(characters[cursor]) else {
                output.append(character); index += 1; continue
            }
            let conversion = characters[cursor]
            guard let value = names[name] else {
                unknown.append(name)
                output += String(characters[index...cursor]); index = cursor + 1; continue
            }
            if conversion == "d" || conversion == "i", let number = Int(value) {
                let zeroPad = spec.hasPrefix("0")
                let width = Int(spec.drop { $0 == "0" || $0 == "-" }) ?? 0
                var digits = String(abs(number))
                let padding = max(0, width - digits.count - (number < 0 ? 1 : 0))
                if zeroPad { digits = String(repeating: "0", count: padding) + digits }
                let signed = (number < 0 ? "-" : "") + digits
                output += zeroPad ? signed : String(repeating: " ", count: padding) + signed
            } else {
                output += value
            }
            index = cursor + 1
        }
        return (output, unknown)
    }

    struct IniSection {
        var name: String
        var values: [String: String]
        var location: String
    }

    /// Python 3 `RawConfigParser(inline_comment_prefixes=(';', '#'), strict=False)`.
    static func iniSections(_ text: String, file: String) -> [IniSection] {
        var sections: [IniSection] = []
        var currentKey: String?
        var indexByName: [String: Int] = [:]
        var current: Int?
        var lineNumber = 0
        for rawLine in serviceTextLines(text) {
            lineNumber += 1
            var line = String(rawLine.prefix(maxLineBytes))
            if line.hasSuffix("\r") { line.removeLast() }
            // Inline comments: a prefix preceded by whitespace.
            var cut = line.endIndex
            var previous: Character = " "
            for index in line.indices {
                let character = line[index]
                if (character == ";" || character == "#") && previous.isWhitespace { cut = index; break }
                previous = character
            }
            let full = line.trimmingCharacters(in: .whitespaces)
            if full.hasPrefix(";") || full.hasPrefix("#") { continue }
            let content = String(line[..<cut])
            let stripped = content.trimmingCharacters(in: .whitespaces)
            if stripped.isEmpty { currentKey = nil; continue }
            let indented = content.first.map { $0 == " " || $0 == "\t" } ?? false
            if indented, let key = currentKey, let current {
                sections[current].values[key, default: ""] += "\n" + stripped
                continue
            }
            if stripped.hasPrefix("["), let close = stripped.firstIndex(of: "]") {
                let name = String(stripped[stripped.index(after: stripped.startIndex)..<close])
                if let existing = indexByName[name] {
                    // strict=False: a repeated section merges into the first one.
                    current = existing
                } else {
                    indexByName[name] = sections.count
                    current = sections.count
                    sections.append(IniSection(name: name, values: [:], location: "\(file):\(lineNumber)"))
                }
                currentKey = nil
                continue
            }
            guard let current else { continue }
            let delimiter = stripped.firstIndex { $0 == "=" || $0 == ":" }
            guard let delimiter else { continue }
            let key = stripped[..<delimiter].trimmingCharacters(in: .whitespaces).lowercased()
            let value = stripped[stripped.index(after: delimiter)...].trimmingCharacters(in: .whitespaces)
            sections[current].values[key] = value
            currentKey = key
        }
        return sections
    }
}

/// Python's `shlex.split(s)` (POSIX mode, no comments).
enum SupervisorShlex {
    static func split(_ text: String) -> [String]? {
        var words: [String] = []
        var word = ""
        var inWord = false
        var quote: Character?
        var escaping = false
        var escapeInDouble = false
        for character in text {
            if escaping {
                if escapeInDouble && character != "\"" && character != "\\" { word.append("\\") }
                word.append(character)
                escaping = false
                continue
            }
            if let open = quote {
                if character == open { quote = nil }
                else if open == "\"" && character == "\\" { escaping = true; escapeInDouble = true }
                else { word.append(character) }
                continue
            }
            switch character {
            case " ", "\t", "\n", "\r":
                if inWord { words.append(word); word = ""; inWord = false }
            case "\"", "'":
                quote = character; inWord = true
            case "\\":
                escaping = true; escapeInDouble = false; inWord = true
            default:
                word.append(character); inWord = true
            }
        }
        if quote != nil || escaping { return nil }
        if inWord { words.append(word) }
        return words
    }
}
