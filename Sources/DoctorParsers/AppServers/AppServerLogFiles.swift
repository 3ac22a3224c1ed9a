import DoctorFacts

/// A log file an app server writes, named by its command line or config file.
public struct AppServerLogFile: Hashable, Sendable {
    /// What the server writes there.
    public enum Role: String, Hashable, Sendable {
        /// Its own log: boot tracebacks land here (gunicorn `--error-logfile`, uWSGI `--logto`).
        case error
        /// One line per request (gunicorn `--access-logfile`): no tracebacks.
        case access
    }

    /// Absolute when the directory it resolves against is known, else as written.
    public var path: String
    public var role: Role
    /// Where it was named: `--error-logfile`, or `path:line` of a config file.
    public var source: String

    public init(path: String, role: Role, source: String) {
        self.path = path
        self.role = role
        self.source = source
    }
}

/// Where an app server without a manager writes its log, read from its argv and
/// `gunicorn.conf.py`, and where a log says it listened.
///
/// - gunicorn: `--error-logfile`/`--log-file` (one setting; `-` is stderr, the default) and
///   `--access-logfile` (`-` is stdout). gunicorn opens them after `--chdir`, so a relative
///   path is under the `--chdir` directory (observed: `--chdir sub --error-logfile e.log`
///   wrote `sub/e.log`), which is the process's cwd.
/// - uWSGI: `--logto`/`--logto2`, `--daemonize`/`--daemonize2 FILE` (a `host:port` value is a
///   UDP log server, not a file) and `--logger file:PATH`; uWSGI points its stdout and
///   stderr at that file too, so `/proc/PID/fd/2` finds it as well.
/// - Uvicorn has no log-file option: it logs to stderr (`nohup uvicorn … > app.log` leaves
///   the file only in `/proc/PID/fd/1` and `fd/2`, which the gatherer reads). A
///   `--log-config` file is not read.
public enum AppServerLogFiles {
    /// The log files `cmdline` names; empty for a server that names none (or is not one).
    ///
    /// - Parameter workingDirectory: the process's cwd (`/proc/PID/cwd`), which for gunicorn
    ///   is already the `--chdir` one.
    public static func fromCommandLine(_ cmdline: [String], workingDirectory: String?) -> [AppServerLogFile] {
        guard let (kind, arguments) = serverArguments(cmdline) else { return [] }
        switch kind {
        case "gunicorn":
            let items = gunicornOptions.scan(arguments)
            let directory = AppServerDirectories(chdir: items.last("chdir"), workingDirectory: workingDirectory).run
            var files: [AppServerLogFile] = []
            for item in items {
                guard case let .option(name, value?) = item, value != "-", !value.isEmpty else { continue }
                switch name {
                case "errorlog", "accesslog":
                    // Only the last of each counts, as argparse keeps it.
                    files.removeAll { $0.role == (name == "errorlog" ? .error : .access) }
                    files.append(AppServerLogFile(path: AppServerPath.resolve(value, against: directory),
                                                  role: name == "errorlog" ? .error : .access, source: spelledAs[name] ?? name))
                default:
                    continue
                }
            }
            return files
        case "uwsgi":
            let items = uwsgiOptions.scan(arguments)
            let directory = AppServerDirectories(chdir: items.last("chdir"), workingDirectory: workingDirectory)
            var files: [AppServerLogFile] = []
            for item in items {
                guard case let .option(name, value?) = item, !value.isEmpty else { continue }
                var path: String?
                switch name {
                case "logto", "daemonize":
                    path = looksLikeUDPAddress(value) ? nil : value
                case "logger":
                    // `file:/var/log/app.log` or `file:logfile=/var/log/app.log,maxsize=…`
                    if value.hasPrefix("file:") {
                        var rest = value.dropFirst(5)
                        if rest.hasPrefix("logfile=") { rest = rest.dropFirst(8) }
                        path = String(rest.prefix { $0 != "," })
                    }
                default:
                    break
                }
                guard let path, !path.isEmpty else { continue }
                let resolved = AppServerPath.resolve(path, against: directory.start ?? directory.run)
                if !files.contains(where: { $0.path == resolved }) {
                    files.append(AppServerLogFile(path: resolved, role: .error, source: "--\(name)"))
                }
            }
            return files
        default:
            return []
        }
    }

    /// `errorlog` and `accesslog` of a `gunicorn.conf.py` (top-level literal assignments, the
    /// last one winning, as when Python runs it); a command-line option wins over these.
    ///
    /// - Parameter workingDirectory: gunicorn's `--chdir` directory, for relative paths.
    public static func fromGunicornConfig(_ text: String, file: String, workingDirectory: String?) -> [AppServerLogFile] {
        var found: [AppServerLogFile.Role: AppServerLogFile] = [:]
        for assignment in GunicornConfigFile.assignments(text) where assignment.name == "errorlog" || assignment.name == "accesslog" {
            let role: AppServerLogFile.Role = assignment.name == "errorlog" ? .error : .access
            // PythonLiteral skips a trailing comment itself.
            guard case let .string(value)? = PythonLiteral.parse(assignment.expression) else {
                found[role] = nil // computed: unknown
                continue
            }
            if value == "-" || value.isEmpty {
                found[role] = nil
            } else {
                found[role] = AppServerLogFile(path: AppServerPath.resolve(value, against: workingDirectory), role: role,
                                               source: "\(file):\(assignment.line)")
            }
        }
        return [found[.error], found[.access]].compactMap { $0 }
    }

    /// `logto`, `logto2`, `daemonize`, `daemonize2` and `logger = file:PATH` of one section of a
    /// uWSGI ini file (read as `UWSGIIniFile` reads it: `key = value`, `%n`/`%d`/`%(key)`
    /// placeholders the file settles expanded); a value still holding a placeholder or naming
    /// a UDP `host:port` is not a file and is left out.
    public static func fromUWSGIIni(_ text: String, file: String, section: String = "uwsgi",
                                    workingDirectory: String?) -> [AppServerLogFile] {
        var files: [AppServerLogFile] = []
        for entry in UWSGIIniFile.assignments(text, file: file, section: section).entries {
            let (key, value) = (entry.key, entry.value)
            var path: String?
            switch key {
            case "logto", "logto2", "daemonize", "daemonize2":
                path = looksLikeUDPAddress(value) ? nil : value
            case "logger" where value.hasPrefix("file:"):
                var rest = value.dropFirst(5)
                if rest.hasPrefix("logfile=") { rest = rest.dropFirst(8) }
                path = String(rest.prefix { $0 != "," })
            default:
                break
            }
            guard let path, !path.isEmpty, !path.contains("%("), !path.contains("$(") else { continue }
            let resolved = AppServerPath.resolve(path, against: workingDirectory)
            if !files.contains(where: { $0.path == resolved }) {
                files.append(AppServerLogFile(path: resolved, role: .error, source: "\(file):\(entry.line)"))
            }
        }
        return files
    }

    /// Where a server's own log says it bound, from the lines of its last start in `lines`:
    /// gunicorn `Listening at: http://127.0.0.1:8000 (123)` / `Listening at: unix:/run/app.sock (123)`,
    /// Uvicorn `Uvicorn running on http://127.0.0.1:8000 (Press CTRL+C to quit)` / `… on unix socket PATH …`,
    /// uWSGI `uwsgi socket 0 bound to TCP address 127.0.0.1:8000 fd 3` / `… to UNIX address PATH fd 3`.
    /// For a server that is gone, this is all that tells which route it served.
    public static func listeningBinds(lines: [Substring], source: String) -> [AppServerBind] {
        var binds: [AppServerBind] = []
        for line in lines {
            if line.contains("Starting gunicorn") || line.contains("*** Starting uWSGI") || line.contains("Started server process") {
                binds = [] // a new start: only its binds count
            }
            var raw: Substring?
            if let rest = after(line, "Listening at: ") {
                raw = rest.prefix { $0 != " " }
            } else if let rest = after(line, "Uvicorn running on unix socket ") {
                raw = "unix:" + rest.prefix { $0 != " " }
            } else if let rest = after(line, "Uvicorn running on ") {
                raw = rest.prefix { $0 != " " }
            } else if let rest = after(line, " bound to TCP address ") ?? after(line, " bound to UNIX address ") {
                let address = rest.prefix { $0 != " " }
                raw = line.contains("UNIX address") ? "unix:" + address : address
            }
            guard var text = raw, !text.isEmpty else { continue }
            for scheme in ["http://", "https://"] where text.hasPrefix(scheme) { text = text.dropFirst(scheme.count) }
            let reading = AppServerAddress.gunicorn(String(text), directory: nil)
            guard let endpoint = reading.endpoint, !binds.contains(where: { $0.endpoint == endpoint }) else { continue }
            binds.append(AppServerBind(endpoint: endpoint, raw: String(text), source: source))
        }
        return binds
    }

    // MARK: argv

    private static let spelledAs = ["errorlog": "--error-logfile", "accesslog": "--access-logfile"]

    /// gunicorn's own option table with the log options read instead of skipped.
    static let gunicornOptions = AppServerOptions(
        AppServerOptions.spellings("errorlog", "--error-logfile", "--log-file"),
        AppServerOptions.spellings("accesslog", "--access-logfile"),
        GunicornCommandLine.options.valued
    )

    /// uWSGI's option table with the log options read instead of skipped.
    static let uwsgiOptions = AppServerOptions(
        AppServerOptions.spellings("logto", "--logto", "--logto2"),
        AppServerOptions.spellings("daemonize", "-d", "--daemonize", "--daemonize2"),
        AppServerOptions.spellings("logger", "--logger"),
        UWSGICommandLine.options.valued
    )

    /// The server's kind and its own arguments: after the program (`/venv/bin/gunicorn …`),
    /// after a script or `-m` module run by Python (`python3 -m gunicorn …`).
    static func serverArguments(_ cmdline: [String]) -> (kind: String, arguments: ArraySlice<String>)? {
        var argv = cmdline
        while let last = argv.last, last.isEmpty { argv.removeLast() }
        if argv.count == 1, argv[0].contains(" ") { argv = argv[0].split(separator: " ").map(String.init) }
        guard let first = argv.first else { return nil }
        let program = AppServerPath.basename(first)
        if let kind = AppServerCommandLine.serverKind(program) { return (kind, argv.dropFirst()) }
        guard AppServerCommandLine.isPython(program) else { return nil }
        var index = 1
        while index < argv.count {
            let word = argv[index]
            index += 1
            if word == "-m", index < argv.count {
                let root = argv[index].split(separator: ".").first ?? Substring(argv[index])
                guard let kind = AppServerCommandLine.serverKind(root) else { return nil }
                return (kind, argv[(index + 1)...])
            }
            if word.hasPrefix("-m"), word.count > 2 {
                let root = word.dropFirst(2).split(separator: ".").first ?? ""
                guard let kind = AppServerCommandLine.serverKind(root) else { return nil }
                return (kind, argv[index...])
            }
            if word == "-c" || word == "-" { return nil }
            if word.hasPrefix("-") { continue }
            guard let kind = AppServerCommandLine.serverKind(AppServerPath.basename(word)) else { return nil }
            return (kind, argv[index...])
        }
        return nil
    }

    /// uWSGI sends logs over UDP when the value is `host:port` (`192.168.0.1:1717`).
    private static func looksLikeUDPAddress(_ value: String) -> Bool {
        !value.contains("/") && value.contains(":") && value.split(separator: ":").last.map { $0.allSatisfy(\.isNumber) } == true
    }

    private static func after(_ line: Substring, _ marker: String) -> Substring? {
        line.range(of: marker).map { line[$0.upperBound...] }
    }
}
