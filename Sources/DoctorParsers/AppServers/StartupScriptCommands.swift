/// An app server a startup script starts without a service manager: an `@reboot` crontab
/// line or an `/etc/rc.local` line such as
/// `cd /srv/app && /srv/venv/bin/gunicorn app.wsgi >> /var/log/app.log 2>&1`.
public struct ScriptStartedServer: Hashable, Sendable {
    /// The server's argv as the shell would run it (assignments, `nohup`, `exec` removed).
    public var argv: [String]
    /// The directory a preceding `cd DIR` left, when the line has one.
    public var workingDirectory: String?
    /// Where the shell sends its stdout and stderr (`> FILE`, `>> FILE`, `2>&1`, `&> FILE`),
    /// as written (relative paths resolve against `workingDirectory`).
    public var stdoutFile: String?
    public var stderrFile: String?
    /// `file:line`.
    public var source: String
    /// `@reboot`, `*/5 * * * *`, or `rc.local`.
    public var schedule: String

    public init(argv: [String], workingDirectory: String? = nil, stdoutFile: String? = nil, stderrFile: String? = nil,
                source: String, schedule: String) {
        self.argv = argv
        self.workingDirectory = workingDirectory
        self.stdoutFile = stdoutFile
        self.stderrFile = stderrFile
        self.source = source
        self.schedule = schedule
    }
}

/// Finds app servers started by crontabs and `rc.local`, where an operator looks for how a
/// server with no manager was started once it is gone from the process table.
///
/// The shell line is read the way `/bin/sh -c` runs it, as far as starting a server goes:
/// words with `'…'`, `"…"` and `\` quoting; commands separated by `&&`, `||`, `;`, `&`, `|`;
/// `cd DIR` for the commands after it; leading `VAR=value` assignments and the wrappers
/// `nohup`, `exec`, `setsid`, `env`, `sudo -u USER`; redirections `>`, `>>`, `1>`, `2>`, `2>>`,
/// `&>`, `2>&1`, `>&2` in order; and a nested `sh -c '…'`, `bash -c '…'` or `su USER -c '…'`.
/// Variables (`$HOME`) are not expanded: a path holding one is left as written.
public enum StartupScriptCommands {
    /// A crontab. `/etc/crontab` and `/etc/cron.d/*` have a user field after the schedule
    /// (`hasUserField`); users' crontabs (`/var/spool/cron/crontabs/USER`) do not.
    public static func crontab(_ text: String, file: String, hasUserField: Bool) -> [ScriptStartedServer] {
        var found: [ScriptStartedServer] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.drop { $0 == " " || $0 == "\t" }
            guard let first = line.first, first != "#", !isAssignmentLine(line) else { continue }
            var fields = 0
            let scheduleFields = first == "@" ? 1 : 5
            var rest = line[...]
            var schedule: [Substring] = []
            while fields < scheduleFields + (hasUserField ? 1 : 0) {
                rest = rest.drop { $0 == " " || $0 == "\t" }
                let word = rest.prefix { $0 != " " && $0 != "\t" }
                guard !word.isEmpty else { break }
                if fields < scheduleFields { schedule.append(word) }
                rest = rest.dropFirst(word.count)
                fields += 1
            }
            guard fields == scheduleFields + (hasUserField ? 1 : 0) else { continue }
            // cron turns an unescaped `%` into a newline (what follows is stdin) and `\%` into `%`.
            var command = ""
            var escaped = false
            for character in rest {
                if escaped {
                    if character != "%" { command.append("\\") }
                    command.append(character)
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else if character == "%" {
                    break
                } else {
                    command.append(character)
                }
            }
            if escaped { command.append("\\") }
            found += commandLine(command, source: "\(file):\(index + 1)", schedule: schedule.joined(separator: " "))
        }
        return found
    }

    /// A shell script run at boot (`/etc/rc.local`): every line is a command.
    public static func script(_ text: String, file: String) -> [ScriptStartedServer] {
        var found: [ScriptStartedServer] = []
        var directory: String?
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.drop { $0 == " " || $0 == "\t" }
            guard let first = line.first, first != "#" else { continue }
            let (servers, after) = commands(String(line), source: "\(file):\(index + 1)", schedule: "rc.local", directory: directory)
            found += servers
            directory = after
        }
        return found
    }

    /// The servers one shell command line starts.
    public static func commandLine(_ command: String, source: String, schedule: String) -> [ScriptStartedServer] {
        commands(command, source: source, schedule: schedule, directory: nil).servers
    }

    // MARK: Shell

    enum Token: Equatable {
        case word(String)
        /// `&&`, `||`, `;`, `&`, `|`
        case separator
        /// A redirection operator: `>`, `>>`, `1>`, `2>`, `2>>`, `&>`, `&>>`, `2>&1`, `>&2`, `<`.
        case redirect(String)
    }

    private static func commands(_ command: String, source: String, schedule: String,
                                 directory start: String?, depth: Int = 0) -> (servers: [ScriptStartedServer], directory: String?) {
        guard depth < 4, let tokens = tokenize(command) else { return ([], start) }
        var found: [ScriptStartedServer] = []
        var directory = start
        var segment: [Token] = []
        func finish() {
            defer { segment = [] }
            var words: [String] = []
            var stdout: String?
            var stderr: String?
            var index = 0
            while index < segment.count {
                switch segment[index] {
                case let .word(word):
                    words.append(word)
                case let .redirect(op):
                    var target: String?
                    if index + 1 < segment.count, case let .word(next) = segment[index + 1], !op.hasSuffix("&1"), !op.hasSuffix("&2") {
                        target = next
                        index += 1
                    }
                    switch op {
                    case ">", ">>", "1>", "1>>": stdout = target
                    case "2>", "2>>": stderr = target
                    case "&>", "&>>": stdout = target; stderr = target
                    case "2>&1": stderr = stdout
                    case ">&2", "1>&2": stdout = stderr
                    default: break
                    }
                case .separator:
                    break
                }
                index += 1
            }
            let argv = unwrap(words)
            guard let program = argv.first else { return }
            if program == "cd" {
                if argv.count > 1 { directory = resolve(argv[1], against: directory) }
                return
            }
            if let nested = nestedCommand(argv) {
                var inner = commands(nested, source: source, schedule: schedule, directory: directory, depth: depth + 1).servers
                for index in inner.indices {
                    if inner[index].stdoutFile == nil { inner[index].stdoutFile = stdout }
                    if inner[index].stderrFile == nil { inner[index].stderrFile = stderr }
                }
                found += inner
                return
            }
            guard AppServerCommandLine.parse(argv, workingDirectory: directory) != nil else { return }
            found.append(ScriptStartedServer(argv: argv, workingDirectory: directory, stdoutFile: stdout, stderrFile: stderr,
                                             source: source, schedule: schedule))
        }
        for token in tokens {
            if token == .separator { finish() } else { segment.append(token) }
        }
        finish()
        return (found, directory)
    }

    /// Drops leading `VAR=value` words and the wrappers that run the rest as is.
    static func unwrap(_ words: [String]) -> [String] {
        var rest = words[...]
        while let first = rest.first {
            if isAssignment(first) { rest = rest.dropFirst(); continue }
            switch AppServerPath.basename(first) {
            case "nohup", "exec", "setsid", "stdbuf", "nice", "ionice", "chrt":
                rest = rest.dropFirst()
                while let option = rest.first, option.hasPrefix("-") { rest = rest.dropFirst() }
            case "env":
                rest = rest.dropFirst()
                while let next = rest.first, next.hasPrefix("-") || isAssignment(next) { rest = rest.dropFirst() }
            case "sudo":
                rest = rest.dropFirst()
                while let option = rest.first, option.hasPrefix("-") {
                    rest = rest.dropFirst()
                    // Options that take a value.
                    if ["-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U"].contains(option), !rest.isEmpty { rest = rest.dropFirst() }
                }
            default:
                return Array(rest)
            }
        }
        return []
    }

    /// `sh -c 'CMD'`, `bash -lc 'CMD'`, `su [-] USER -c 'CMD'`, `runuser -u USER -- CMD…` → CMD.
    static func nestedCommand(_ argv: [String]) -> String? {
        let program = AppServerPath.basename(argv[0])
        if ["sh", "bash", "dash", "zsh"].contains(program) {
            for (index, word) in argv.enumerated().dropFirst() where word.hasPrefix("-") && !word.hasPrefix("--") && word.contains("c") {
                return index + 1 < argv.count ? argv[index + 1] : nil
            }
            return nil
        }
        if program == "su", let flag = argv.firstIndex(where: { $0 == "-c" || $0 == "--command" }), flag + 1 < argv.count {
            return argv[flag + 1]
        }
        if program == "runuser", let dashes = argv.firstIndex(of: "--"), dashes + 1 < argv.count {
            return argv[(dashes + 1)...].map(quoteIfNeeded).joined(separator: " ")
        }
        return nil
    }

    /// Splits a shell line into words, separators and redirections.
    static func tokenize(_ text: String) -> [Token]? {
        var tokens: [Token] = []
        var word = ""
        var inWord = false
        var quote: Character?
        let characters = Array(text)
        var index = 0
        func endWord() {
            if inWord { tokens.append(.word(word)) }
            word = ""
            inWord = false
        }
        while index < characters.count {
            let character = characters[index]
            if let open = quote {
                if character == open {
                    quote = nil
                } else if open == "\"", character == "\\", index + 1 < characters.count, "\"\\$`".contains(characters[index + 1]) {
                    index += 1
                    word.append(characters[index])
                } else {
                    word.append(character)
                }
                index += 1
                continue
            }
            switch character {
            case " ", "\t", "\r":
                endWord()
            case "#" where !inWord:
                index = characters.count
                continue
            case "'", "\"":
                quote = character
                inWord = true
            case "\\":
                if index + 1 < characters.count {
                    index += 1
                    word.append(characters[index])
                    inWord = true
                }
            case ";", "|", "&", ">", "<":
                // A digit word right before `>` is the fd (`2>`), not a word.
                var op = String(character)
                if character == ">" || character == "<", inWord, word == "1" || word == "2" {
                    op = word + op
                    word = ""
                    inWord = false
                } else {
                    endWord()
                }
                let next = index + 1 < characters.count ? characters[index + 1] : nil
                if character == "&", next == ">" {
                    op = "&>"
                    index += 1
                    if index + 1 < characters.count, characters[index + 1] == ">" { op += ">"; index += 1 }
                    tokens.append(.redirect(op))
                } else if character == "&" || character == "|" || character == ";" {
                    if next == character { index += 1 }
                    tokens.append(.separator)
                } else {
                    if next == ">" { op += ">"; index += 1 }
                    if index + 1 < characters.count, characters[index + 1] == "&",
                       index + 2 < characters.count, characters[index + 2] == "1" || characters[index + 2] == "2" {
                        op += "&" + String(characters[index + 2])
                        index += 2
                    }
                    tokens.append(.redirect(op))
                }
            default:
                word.append(character)
                inWord = true
            }
            index += 1
        }
        if quote != nil { return nil }
        endWord()
        return tokens
    }

    private static func isAssignment(_ word: String) -> Bool {
        guard let equals = word.firstIndex(of: "="), equals != word.startIndex else { return false }
        return word[..<equals].allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" } && !(word.first?.isNumber ?? true)
    }

    /// `MAILTO=root`, `PATH=/usr/bin:/bin` in a crontab: environment settings, not commands.
    private static func isAssignmentLine(_ line: Substring) -> Bool {
        let name = line.prefix { $0.isLetter || $0.isNumber || $0 == "_" }
        guard !name.isEmpty else { return false }
        return line.dropFirst(name.count).drop { $0 == " " || $0 == "\t" }.first == "="
    }

    private static func resolve(_ path: String, against directory: String?) -> String {
        AppServerPath.resolve(path, against: directory)
    }

    private static func quoteIfNeeded(_ word: String) -> String {
        word.contains(where: { " \t'\"\\;&|<>".contains($0) }) ? "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'" : word
    }
}
