import DoctorFacts

/// Recognises an app server from its command line and reads where it listens.
///
/// The program is found in the argv words, not in `comm`: a venv's gunicorn runs as
/// `/srv/venv/bin/python3 /srv/venv/bin/gunicorn …`, `python -m uvicorn …` names it only
/// as a module, and setproctitle rewrites gunicorn's argv to `gunicorn: master [app]`.
/// Wrappers that start a server as a child (`uv run`, `poetry run`, `npm start`) and
/// Python's multiprocessing children (`python -c "from multiprocessing…"`) are not servers
/// themselves and give `nil`; so does a uWSGI emperor.
public enum AppServerCommandLine {
    /// `AppServerBind.source` of binds read from argv.
    public static let source = "command line"

    /// The server this command line runs, or `nil` when it is not one.
    ///
    /// - Parameter workingDirectory: the process's current directory (`/proc/PID/cwd`),
    ///   which for gunicorn and uWSGI is already the `--chdir` one. Relative socket paths
    ///   resolve against it; relative config files only when there is no `--chdir`.
    /// - Parameter startDirectory: where the service manager started it (supervisord's
    ///   `directory=`, systemd's `WorkingDirectory=`): relative config files resolve here
    ///   first. With neither known, a relative config file stays unresolved.
    public static func parse(_ cmdline: [String], workingDirectory: String? = nil,
                             startDirectory: String? = nil) -> ParsedAppServer? {
        var argv = cmdline
        while let last = argv.last, last.isEmpty { argv.removeLast() }
        guard let first = argv.first, !first.isEmpty else { return nil }
        if let title = rewrittenTitle(first) { return title }
        if argv.count == 1, first.contains(" ") {
            // One string with spaces: an argv squashed by whoever recorded it.
            argv = first.split(separator: " ").map(String.init)
        }
        let arguments = argv.dropFirst()
        let program = AppServerPath.basename(argv[0])
        if let kind = serverKind(program) {
            return parse(kind: kind, arguments: arguments, workingDirectory: workingDirectory, startDirectory: startDirectory)
        }
        if isPython(program) { return parsePython(arguments, workingDirectory: workingDirectory, startDirectory: startDirectory) }
        return nil
    }

    private static func parse(kind: String, arguments: ArraySlice<String>, workingDirectory: String?,
                              startDirectory: String?) -> ParsedAppServer? {
        // Without a --chdir these run where they were started.
        let runDirectory = workingDirectory ?? startDirectory
        return switch kind {
        case "gunicorn": GunicornCommandLine.parse(arguments, workingDirectory: workingDirectory, startDirectory: startDirectory)
        case "uvicorn": UvicornCommandLine.parse(arguments, workingDirectory: runDirectory)
        case "uwsgi": UWSGICommandLine.parse(arguments, workingDirectory: workingDirectory, startDirectory: startDirectory)
        case "daphne": DaphneCommandLine.parse(arguments, workingDirectory: runDirectory)
        case "hypercorn": HypercornCommandLine.parse(arguments, workingDirectory: runDirectory)
        case "node": NodeCommandLine.parse(arguments)
        default: nil
        }
    }

    /// `gunicorn`, `gunicorn3` (Debian's old name), `uwsgi`, `uwsgi-core`, `uwsgi_python311`,
    /// `uvicorn`, `daphne`, `hypercorn`, `node`, `nodejs`; not `gunicornc` (gunicorn's control client).
    static func serverKind(_ program: Substring) -> String? {
        switch program {
        case "gunicorn", "uvicorn", "daphne", "hypercorn", "uwsgi", "node": return String(program)
        case "nodejs": return "node"
        default: break
        }
        if program.hasPrefix("gunicorn"), AppServerText.isDigits(program.dropFirst(8)) { return "gunicorn" }
        if program.hasPrefix("uwsgi-") || program.hasPrefix("uwsgi_") { return "uwsgi" }
        return nil
    }

    /// The servers Python runs as a script or a module (`-m gunicorn.app.wsgiapp` counts as gunicorn).
    private static func pythonServerKind(_ name: Substring) -> String? {
        let kind = serverKind(name)
        return kind == "node" || kind == "uwsgi" ? nil : kind
    }

    /// `python`, `python3`, `python3.11`, `pypy3`.
    static func isPython(_ program: Substring) -> Bool {
        for prefix in ["python", "pypy"] where program.hasPrefix(prefix) {
            return program.dropFirst(prefix.count).allSatisfy { AppServerText.isDigit($0) || $0 == "." }
        }
        return false
    }

    /// Skips the interpreter's own options, then looks at the script or `-m` module.
    private static func parsePython(_ arguments: ArraySlice<String>, workingDirectory: String?,
                                    startDirectory: String?) -> ParsedAppServer? {
        var index = arguments.startIndex
        while index < arguments.endIndex {
            let word = arguments[index]
            index += 1
            if word == "-" || word == "--" { return nil }
            if !word.hasPrefix("-") {
                guard let kind = pythonServerKind(AppServerPath.basename(word)) else { return nil }
                return parse(kind: kind, arguments: arguments[index...], workingDirectory: workingDirectory,
                             startDirectory: startDirectory)
            }
            if word == "--check-hash-based-pycs" {
                index += 1
                continue
            }
            if word.hasPrefix("--") { continue }
            // A cluster of one-letter options (`-u`, `-OO`, `-Bm gunicorn`, `-Wignore`).
            var letters = word.dropFirst()
            while let letter = letters.first {
                letters = letters.dropFirst()
                switch letter {
                case "c":
                    return nil // a command string: multiprocessing children and the like
                case "m":
                    var module = String(letters)
                    if module.isEmpty {
                        guard index < arguments.endIndex else { return nil }
                        module = arguments[index]
                        index += 1
                    }
                    let root = module.split(separator: ".", omittingEmptySubsequences: false).first ?? Substring(module)
                    guard let kind = pythonServerKind(root) else { return nil }
                    return parse(kind: kind, arguments: arguments[index...], workingDirectory: workingDirectory,
                             startDirectory: startDirectory)
                case "W", "X":
                    if letters.isEmpty { index += 1 }
                    letters = ""
                default:
                    continue
                }
            }
        }
        return nil
    }

    /// setproctitle's titles: gunicorn's `gunicorn: master [app.wsgi]` / `gunicorn: worker [app.wsgi]`,
    /// uWSGI's `uWSGI master` / `uWSGI worker 1` / `uWSGI http 1` (`--auto-procname`).
    private static func rewrittenTitle(_ first: String) -> ParsedAppServer? {
        let note = "the process rewrote its title (`\(first)`), so its options are not in argv"
        if first.hasPrefix("gunicorn: ") {
            return ParsedAppServer(kind: "gunicorn", titleRewritten: true, notes: [note])
        }
        if first.hasPrefix("uWSGI "), let role = first.dropFirst(6).split(separator: " ").first,
           ["master", "worker", "http", "https", "mule", "spooler", "cheaper"].contains(role) {
            return ParsedAppServer(kind: "uwsgi", titleRewritten: true, notes: [note])
        }
        return nil
    }
}
