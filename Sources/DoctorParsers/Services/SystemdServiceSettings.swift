import Foundation

/// One command line of `ExecStart=` (or `ExecStartPre=` …), split the way systemd does.
public struct SystemdExecCommand: Sendable, Equatable {
    /// The executable as written (first word after the prefixes). Specifiers (`%i`) and
    /// `$VAR` references are kept as written: the gatherer knows their values.
    public var path: String
    /// argv as the process sees it: `argv[0]` is `path` unless `@` gave another one.
    public var argv: [String]
    /// `-`: a failing exit status is not a failure of the unit.
    public var ignoresFailure: Bool
    /// `@`: the second word was passed as `argv[0]`.
    public var overridesArgv0: Bool
    /// `:`: no environment variable substitution.
    public var noEnvironmentExpansion: Bool
    /// `+`, `!` or `!!`: runs with full privileges / ignoring `User=` for this command.
    public var privileged: Bool
    public var location: String

    public init(path: String, argv: [String], ignoresFailure: Bool = false, overridesArgv0: Bool = false,
                noEnvironmentExpansion: Bool = false, privileged: Bool = false, location: String) {
        self.path = path
        self.argv = argv
        self.ignoresFailure = ignoresFailure
        self.overridesArgv0 = overridesArgv0
        self.noEnvironmentExpansion = noEnvironmentExpansion
        self.privileged = privileged
        self.location = location
    }
}

/// `WorkingDirectory=`.
public struct SystemdWorkingDirectory: Sendable, Equatable {
    /// The path, `nil` for `~` (the home directory of `User=`).
    public var path: String?
    /// `-` prefix: a missing directory is not an error.
    public var optional: Bool
    public var location: String

    public var isHome: Bool { path == nil }
}

/// One `EnvironmentFile=` entry.
public struct SystemdEnvironmentFile: Sendable, Equatable {
    public var path: String
    /// `-` prefix: a missing file is silently ignored.
    public var optional: Bool
    public var location: String
}

/// One variable set by `Environment=`. The value is never kept (it may be a secret),
/// only whether it is empty.
public struct SystemdEnvironmentName: Sendable, Equatable {
    public var name: String
    public var isEmpty: Bool
    public var location: String
}

/// Typed accessors for the `[Service]` settings the static checks need.
extension SystemdUnit {
    /// `ExecStart=` command lines after resets, in order. A line systemd would reject
    /// (unterminated quote, bad escape, empty command) is skipped and reported in
    /// `execStartErrors`. More than one entry is only valid for `Type=oneshot`.
    public var execStart: [SystemdExecCommand] { execCommands("ExecStart").commands }

    /// `file:line: reason` for `ExecStart=` lines systemd would ignore.
    public var execStartErrors: [String] { execCommands("ExecStart").errors }

    /// Any `Exec*=` list setting (`ExecStartPre`, `ExecReload`, …), with errors.
    public func execCommands(_ key: String) -> (commands: [SystemdExecCommand], errors: [String]) {
        var commands: [SystemdExecCommand] = []
        var errors: [String] = []
        for assignment in values("Service", key) {
            switch SystemdExecCommand.parse(assignment.value, location: assignment.location) {
            case .success(let parsed): commands += parsed
            case .failure(let error): errors.append("\(assignment.location): \(error.reason)")
            }
        }
        return (commands, errors)
    }

    public var workingDirectory: SystemdWorkingDirectory? {
        guard let assignment = value("Service", "WorkingDirectory") else { return nil }
        var text = Substring(assignment.value)
        let optional = text.hasPrefix("-")
        if optional { text = text.dropFirst() }
        // systemd takes the rest literally (no unquoting): `"/srv/x"` is not an absolute path.
        return SystemdWorkingDirectory(path: text == "~" ? nil : String(text), optional: optional,
                                       location: assignment.location)
    }

    public var environmentFiles: [SystemdEnvironmentFile] {
        values("Service", "EnvironmentFile").map { assignment in
            let optional = assignment.value.hasPrefix("-")
            let path = optional ? String(assignment.value.dropFirst()) : assignment.value
            return SystemdEnvironmentFile(path: path, optional: optional, location: assignment.location)
        }
    }

    /// Names set by `Environment=`, in order (a name may repeat; the last wins in
    /// systemd). Words that are not `NAME=VALUE` with a valid name are skipped, and a
    /// line stops at a syntax error (unbalanced quote, unknown escape), as systemd 252
    /// does ("Invalid environment assignment, ignoring" / "Invalid syntax, ignoring",
    /// checked with `systemd-analyze verify`).
    public var environmentNames: [SystemdEnvironmentName] {
        var result: [SystemdEnvironmentName] = []
        for assignment in values("Service", "Environment") {
            let words = SystemdWords.extract(assignment.value).words
            for word in words {
                guard let equals = word.firstIndex(of: "=") else { continue }
                let name = String(word[..<equals])
                guard SystemdWords.isValidEnvironmentName(name) else { continue }
                result.append(SystemdEnvironmentName(name: name, isEmpty: word.index(after: equals) == word.endIndex,
                                                     location: assignment.location))
            }
        }
        return result
    }

    public var user: String? { value("Service", "User")?.value }
    public var group: String? { value("Service", "Group")?.value }
    /// `Restart=`; `nil` means systemd's default, `no`.
    public var restart: String? { value("Service", "Restart")?.value }
    /// `Type=`; `nil` means `simple` (or `oneshot` when there is no `ExecStart=`).
    public var type: String? { value("Service", "Type")?.value }

    /// `RuntimeDirectory=` names (relative to /run), whitespace-separated, accumulated
    /// over lines, reset by an empty assignment.
    public var runtimeDirectories: [String] {
        values("Service", "RuntimeDirectory").flatMap { SystemdWords.extract($0.value).words }
    }
}

/// A value systemd itself would reject ("Invalid syntax, ignoring"); the setting is skipped
/// and the reason reported, as systemd logs it when it loads the unit.
public struct SystemdSyntaxError: Error, Sendable, Equatable {
    /// What is wrong with the value, in words an operator can match against the unit file.
    public var reason: String
}

extension SystemdExecCommand {
    /// Splits one `ExecStart=` value: leading prefixes `-@:+!` (any order, `!!` too),
    /// then words with systemd's quoting (`man systemd.service`, "Command lines"):
    /// whitespace separates words, `"…"` and `'…'` quote anywhere in a word, C escapes
    /// (`\n`, `\t`, `\xNN`, `\NNN`, `\"`, `\\`, …) are decoded, and a lone `;` word
    /// separates several commands (`\;` is a literal `;`). As systemd 252 does
    /// (checked with `systemd-analyze verify`), an unknown or invalid escape is kept
    /// literally ("Ignoring unknown escape sequences") while an unbalanced quote makes
    /// the whole line invalid ("Unbalanced quoting, ignoring").
    public static func parse(_ value: String, location: String) -> Result<[SystemdExecCommand], SystemdSyntaxError> {
        let (words, complete) = SystemdWords.extract(value, relaxEscapes: true, markSeparators: true)
        guard complete else {
            return .failure(SystemdSyntaxError(reason: "unbalanced quoting in command line"))
        }
        var commands: [SystemdExecCommand] = []
        var current: [String] = []
        func flush() -> SystemdSyntaxError? {
            defer { current = [] }
            guard var first = current.first else { return nil }
            var ignores = false, at = false, noEnv = false, privileged = false
            while let prefix = first.first, "-@:+!".contains(prefix) {
                switch prefix {
                case "-": ignores = true
                case "@": at = true
                case ":": noEnv = true
                default: privileged = true
                }
                first.removeFirst()
            }
            var rest = Array(current.dropFirst())
            if first.isEmpty {
                // Prefixes written apart from the path ("- /bin/x") are not valid in systemd.
                return SystemdSyntaxError(reason: "empty executable path")
            }
            var argv = [first]
            if at {
                guard !rest.isEmpty else { return SystemdSyntaxError(reason: "'@' without an argv[0] word") }
                argv = [rest.removeFirst()]
            }
            argv += rest
            commands.append(SystemdExecCommand(path: first, argv: argv, ignoresFailure: ignores, overridesArgv0: at,
                                               noEnvironmentExpansion: noEnv, privileged: privileged,
                                               location: location))
            return nil
        }
        for word in words {
            if word == SystemdWords.separatorMark {
                if let error = flush() { return .failure(error) }
            } else {
                current.append(word)
            }
        }
        if let error = flush() { return .failure(error) }
        if commands.isEmpty { return .failure(SystemdSyntaxError(reason: "empty command line")) }
        return .success(commands)
    }
}

/// systemd's `extract_first_word()` with `EXTRACT_UNQUOTE | EXTRACT_CUNESCAPE`.
enum SystemdWords {
    /// Stands for an unquoted, unescaped `;` word when `markSeparators` is set.
    static let separatorMark = "\u{0};"

    /// The words of `text`; `complete` is false when an unbalanced quote or (unless
    /// `relaxEscapes`, systemd's `EXTRACT_UNESCAPE_RELAX`, which keeps `\q` as written)
    /// a bad escape stopped the split, and `words` holds the words before it.
    static func extract(_ text: String, relaxEscapes: Bool = false,
                        markSeparators: Bool = false) -> (words: [String], complete: Bool) {
        let relaxed = relaxEscapes
        let scalars = Array(text.unicodeScalars)
        var words: [String] = []
        var word = String.UnicodeScalarView()
        var inWord = false
        var quote: Unicode.Scalar?
        var sawEscapeOrQuote = false
        var index = 0
        func isSpace(_ scalar: Unicode.Scalar) -> Bool { scalar == " " || scalar == "\t" || scalar == "\n" || scalar == "\r" }
        func finish() {
            let finished = String(word)
            if markSeparators, finished == ";", !sawEscapeOrQuote { words.append(separatorMark) } else { words.append(finished) }
            word = String.UnicodeScalarView()
            inWord = false
            sawEscapeOrQuote = false
        }
        while index < scalars.count {
            let scalar = scalars[index]
            if let open = quote {
                if scalar == open {
                    quote = nil
                } else if scalar == "\\" {
                    guard let (decoded, next) = unescape(scalars, index + 1) else {
                        if relaxed { word.append(scalar); index += 1; continue }
                        return (words, false)
                    }
                    word.append(contentsOf: decoded)
                    index = next
                    continue
                } else {
                    word.append(scalar)
                }
                index += 1
                continue
            }
            if isSpace(scalar) {
                if inWord { finish() }
                index += 1
                continue
            }
            inWord = true
            if scalar == "\"" || scalar == "'" {
                quote = scalar
                sawEscapeOrQuote = true
                index += 1
            } else if scalar == "\\" {
                sawEscapeOrQuote = true
                guard let (decoded, next) = unescape(scalars, index + 1) else {
                    if relaxed { word.append(scalar); index += 1; continue }
                    return (words, false)
                }
                word.append(contentsOf: decoded)
                index = next
            } else {
                word.append(scalar)
                index += 1
            }
        }
        if quote != nil { return (words, false) }
        if inWord { finish() }
        return (words, true)
    }

    /// Decodes the C escape starting after a backslash at `index`.
    private static func unescape(_ scalars: [Unicode.Scalar], _ index: Int) -> ([Unicode.Scalar], Int)? {
        guard index < scalars.count else { return nil }
        let scalar = scalars[index]
        let simple: [Unicode.Scalar: Unicode.Scalar] = [
            "a": "\u{07}", "b": "\u{08}", "f": "\u{0C}", "n": "\n", "r": "\r", "t": "\t", "v": "\u{0B}",
            "\\": "\\", "\"": "\"", "'": "'", "s": " ", ";": ";", " ": " ",
        ]
        if let decoded = simple[scalar] { return ([decoded], index + 1) }
        func number(_ start: Int, _ count: Int, radix: Int) -> UInt32? {
            guard start + count <= scalars.count else { return nil }
            return UInt32(String(String.UnicodeScalarView(scalars[start..<(start + count)])), radix: radix)
        }
        switch scalar {
        case "x":
            guard let value = number(index + 1, 2, radix: 16), value != 0, let decoded = Unicode.Scalar(value) else { return nil }
            return ([decoded], index + 3)
        case "u":
            guard let value = number(index + 1, 4, radix: 16), value != 0, let decoded = Unicode.Scalar(value) else { return nil }
            return ([decoded], index + 5)
        case "U":
            guard let value = number(index + 1, 8, radix: 16), value != 0, let decoded = Unicode.Scalar(value) else { return nil }
            return ([decoded], index + 9)
        case "0"..."7":
            guard let value = number(index, 3, radix: 8), value != 0, value < 256, let decoded = Unicode.Scalar(value) else { return nil }
            return ([decoded], index + 3)
        default:
            return nil
        }
    }

    /// Environment variable names systemd accepts: not empty, no `=`, no leading digit,
    /// only ASCII letters, digits and `_`.
    static func isValidEnvironmentName(_ name: String) -> Bool {
        guard let first = name.utf8.first, !(48...57).contains(first) else { return false }
        return name.utf8.allSatisfy { ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 95 }
    }
}
