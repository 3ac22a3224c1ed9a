import DoctorFacts
import Foundation

/// Turns one decisive line (and the traceback frames above it) into a cause and detail.
///
/// Heuristics, all from lines the lab's Gunicorn 27, Uvicorn 0.54 and uWSGI 2.0.21 wrote
/// (fixtures under `Tests/DoctorParsersTests/Fixtures/applogs/`):
///
/// - `KeyError: 'NAME'` raised from `os.environ[...]` (a `<frozen os>` / `os.py` frame or an
///   `environ[` source line in the traceback) is a missing environment variable `NAME`.
///   `DJANGO_SECRET_KEY` missing is reported as `missing-env-var` naming it, since the fix is
///   to set that variable; `missing-secret-key` is Django's *empty* `SECRET_KEY`.
/// - django-environ `ImproperlyConfigured: Set the NAME environment variable` and python-decouple
///   `UndefinedValueError: NAME not found. …` are missing environment variables too.
/// - `ModuleNotFoundError: No module named 'X'`:
///   - **bad settings module** when the traceback's last real (non-`<frozen …>`) frames are
///     `django/conf/__init__.py` followed by `importlib/__init__.py` (Django's `Settings`
///     importing `DJANGO_SETTINGS_MODULE`);
///   - else **import error in the app** when X's top-level package is in `appPackages`, or X
///     is dotted (Python names the *first* missing component, so `'a.b'` means package `a`
///     exists and its submodule `b` does not: the app's code or a mismatched version);
///   - else **missing package**: a top-level module that is not the app's own, not installed
///     in the interpreter's environment.
/// - `ImportError: cannot import name …` is an import error; so is a `SyntaxError` /
///   `IndentationError` (detail: the file and line of the last frame).
/// - When the caller knows `DJANGO_SETTINGS_MODULE` (`settingsModule`), a missing module of
///   exactly that name is a bad settings module whatever the frames (interleaved worker
///   tracebacks can lose them).
/// - `… OperationalError: no such table: T` / `relation "T" does not exist` → migrations not applied.
/// - `… OperationalError:` with `connection to server`, `could not connect`, `Connection refused`,
///   `unable to open database file`, `timeout expired` → database unreachable (detail `host:port`
///   or the socket path when the line names them).
enum AppServerLogClassifier {
    struct Classified: Equatable {
        var cause: StartupCause
        var detail: String?
    }

    /// Exception type and message of a traceback's last line, e.g. `KeyError: 'X'`.
    /// `nil` for lines that are not an exception line (indented, prose, log-prefixed).
    static func exceptionLine(_ line: Substring) -> (type: Substring, message: Substring)? {
        guard let first = line.first, first.isLetter || first == "_" else { return nil }
        var end = line.startIndex
        while end < line.endIndex, line[end].isLetter || line[end].isNumber || line[end] == "_" || line[end] == "." {
            end = line.index(after: end)
        }
        let type = line[line.startIndex..<end]
        let last = type.split(separator: ".").last ?? type
        guard last.hasSuffix("Error") || last.hasSuffix("Exception") || last.hasSuffix("Configured")
            || last == "HaltServer" || last == "SystemExit" || last == "KeyboardInterrupt" else { return nil }
        if end == line.endIndex { return (type, line[end...]) }
        guard line[end] == ":" else { return nil }
        var message = line[line.index(after: end)...]
        while message.first == " " { message = message.dropFirst() }
        return (type, message)
    }

    /// Exceptions that report the server shutting down, not why the app failed.
    static func isShutdownException(_ type: Substring) -> Bool {
        let last = type.split(separator: ".").last ?? type
        return last == "HaltServer" || last == "SystemExit" || last == "KeyboardInterrupt"
    }

    static func classify(type: Substring, message: Substring, frames: [Substring],
                         appPackages: Set<String>, settingsModule: String? = nil) -> Classified {
        let name = type.split(separator: ".").last.map(String.init) ?? String(type)
        switch name {
        case "SyntaxError", "IndentationError", "TabError":
            // The app's code does not compile: its last frame is the file, `File "/x/y.py", line 1`.
            return Classified(cause: .importError, detail: frames.last.flatMap(fileAndLine))
        case "KeyError":
            let key = quoted(message, "'") ?? quoted(message, "\"")
            let fromEnviron = frames.contains { $0.contains("<frozen os>") || $0.contains("/os.py\"") || $0.contains("environ[") }
            if let key, fromEnviron { return Classified(cause: .missingEnvVar, detail: key) }
            return Classified(cause: .other, detail: key)
        case "ModuleNotFoundError", "ImportError":
            if message.hasPrefix("No module named"), let module = quoted(message, "'") {
                if module == settingsModule || isSettingsImport(frames) { return Classified(cause: .badSettingsModule, detail: module) }
                let top = String(module.split(separator: ".").first ?? Substring(module))
                if appPackages.contains(top) || module.contains(".") {
                    return Classified(cause: .importError, detail: module)
                }
                return Classified(cause: .missingPackage, detail: module)
            }
            if message.hasPrefix("cannot import name") {
                // cannot import name 'x' from 'pkg.mod' (path)
                let from = message.range(of: " from ").map { message[$0.upperBound...] }
                return Classified(cause: .importError, detail: from.flatMap { quoted($0, "'") })
            }
            return Classified(cause: .importError, detail: nil)
        case "UndefinedValueError":
            // python-decouple: "NAME not found. Declare it as envvar or define a default value."
            if let end = message.range(of: " not found") {
                let variable = message[..<end.lowerBound]
                if !variable.isEmpty, !variable.contains(" ") { return Classified(cause: .missingEnvVar, detail: String(variable)) }
            }
            return Classified(cause: .missingEnvVar, detail: nil)
        case "ImproperlyConfigured":
            // django-environ: "Set the DATABASE_URL environment variable"
            if message.hasPrefix("Set the "), message.hasSuffix(" environment variable") {
                let variable = message.dropFirst("Set the ".count).dropLast(" environment variable".count)
                return Classified(cause: .missingEnvVar, detail: String(variable))
            }
            if message.contains("SECRET_KEY setting must not be empty") {
                return Classified(cause: .missingSecretKey, detail: "SECRET_KEY")
            }
            return Classified(cause: .other, detail: nil)
        case "OperationalError", "ProgrammingError", "InterfaceError":
            if let table = after(message, "no such table: ") {
                return Classified(cause: .migrationsNotApplied, detail: String(table))
            }
            if message.hasPrefix("relation "), message.contains("does not exist"), let table = quoted(message, "\"") {
                return Classified(cause: .migrationsNotApplied, detail: table)
            }
            if message.contains("unable to open database file") {
                return Classified(cause: .databaseUnreachable, detail: nil)
            }
            let connection = ["connection to server", "could not connect", "Connection refused", "timeout expired",
                              "Can't connect to", "Name or service not known", "could not translate host name"]
            if connection.contains(where: { message.contains($0) }) {
                return Classified(cause: .databaseUnreachable, detail: databaseAddress(message))
            }
            return Classified(cause: .other, detail: nil)
        default:
            return Classified(cause: .other, detail: nil)
        }
    }

    /// `  File "/srv/app/probe/signals.py", line 1` → `/srv/app/probe/signals.py:1`.
    static func fileAndLine(_ frame: Substring) -> String? {
        guard let path = quoted(frame, "\""), let rest = after(frame, "\", line ") else { return nil }
        let number = rest.prefix { $0.isNumber }
        return number.isEmpty ? path : "\(path):\(number)"
    }

    /// Whether Django's settings loader is the importer: the last two real frames are
    /// `django/conf/__init__.py` then `importlib/__init__.py`.
    static func isSettingsImport(_ frames: [Substring]) -> Bool {
        let real = frames.filter { !$0.contains("\"<frozen ") }
        guard real.count >= 2 else { return false }
        return real[real.count - 1].contains("/importlib/__init__.py\"")
            && real[real.count - 2].contains("/django/conf/__init__.py\"")
    }

    /// `connection to server at "127.0.0.1", port 5433 failed` → `127.0.0.1:5433`;
    /// `connection to server on socket "/run/postgresql/.s.PGSQL.5432" failed` → the socket path.
    static func databaseAddress(_ message: Substring) -> String? {
        if let rest = after(message, "server at "), let host = quoted(rest, "\"") {
            if let portPart = after(rest, "port ") {
                let port = portPart.prefix { $0.isNumber }
                if !port.isEmpty { return "\(host):\(port)" }
            }
            return host
        }
        if let rest = after(message, "on socket "), let path = quoted(rest, "\"") { return path }
        return nil
    }

    /// `('127.0.0.1', 8000)` or `(127.0.0.1:8000)` anywhere in the line → `127.0.0.1:8000`
    /// (`[::1]:8000` for IPv6).
    static func tupleAddress(_ line: Substring) -> String? {
        guard let open = line.range(of: "('") else { return nil }
        let rest = line[open.upperBound...]
        guard let close = rest.firstIndex(of: "'") else { return nil }
        let host = rest[..<close]
        var tail = rest[rest.index(after: close)...]
        guard tail.hasPrefix(",") else { return nil }
        tail = tail.dropFirst().drop { $0 == " " }
        let port = tail.prefix { $0.isNumber }
        guard !port.isEmpty else { return nil }
        return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// The text between the first pair of `mark` after the start of `text`.
    static func quoted(_ text: Substring, _ mark: Character) -> String? {
        guard let open = text.firstIndex(of: mark) else { return nil }
        let rest = text[text.index(after: open)...]
        guard let close = rest.firstIndex(of: mark) else { return nil }
        let value = rest[..<close]
        return value.isEmpty ? nil : String(value)
    }

    static func after(_ text: Substring, _ marker: String) -> Substring? {
        text.range(of: marker).map { text[$0.upperBound...] }
    }
}
