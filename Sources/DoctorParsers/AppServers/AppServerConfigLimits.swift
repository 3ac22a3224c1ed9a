import DoctorFacts

extension GunicornConfigFile {
    /// Setting names of a `gunicorn.conf.py` that bound its requests, as `AppServerLimits` names them.
    static let limitSettings = ["timeout", "graceful_timeout", "workers", "threads", "worker_class", "worker_connections",
                                "keepalive", "limit_request_line", "limit_request_field_size"]

    /// Workers, threads, worker class and timeouts a `gunicorn.conf.py` sets, each with its
    /// `file:line`. Top-level assignments only, the last one winning, as when Python runs
    /// the file. A value that is not a literal (`workers = multiprocessing.cpu_count() * 2 + 1`)
    /// keeps its expression as the value (so `intValue` is `nil`): the file sets it, and the
    /// running worker count in the process table says what it came to.
    public static func limits(_ text: String, file: String) -> AppServerLimits {
        var found: [String: AppServerSetting] = [:]
        for assignment in assignments(text) where limitSettings.contains(String(assignment.name)) {
            let value: String
            switch PythonLiteral.parse(assignment.expression) {
            case let .string(text)?: value = text
            case let .integer(number)?: value = String(number)
            default:
                // The expression's first line, without its comment: what a reader recognises in the file.
                let code = assignment.expression.prefix { $0 != "#" && $0 != "\n" }
                value = String(AppServerText.trim(code).prefix(200))
            }
            guard !value.isEmpty else { continue }
            found[String(assignment.name)] = AppServerSetting(value, source: "\(file):\(assignment.line)")
        }
        return AppServerLimits(timeout: found["timeout"], gracefulTimeout: found["graceful_timeout"], workers: found["workers"],
                               threads: found["threads"], workerClass: found["worker_class"],
                               workerConnections: found["worker_connections"], keepAlive: found["keepalive"],
                               requestLineLimit: found["limit_request_line"], requestFieldSizeLimit: found["limit_request_field_size"])
    }
}

extension UWSGIIniFile {
    /// `harakiri`, `processes` (or its alias `workers`) and `threads` of one section of a
    /// uWSGI ini file, each with its `file:line`; the last one wins, as for any single-valued
    /// uWSGI option. Placeholders the file settles are expanded as for sockets.
    public static func limits(_ text: String, file: String, section: String = "uwsgi",
                              placeholders: [String: String] = [:]) -> AppServerLimits {
        var result = AppServerLimits()
        for entry in assignments(text, file: file, section: section, placeholders: placeholders).entries where !entry.value.isEmpty {
            let setting = AppServerSetting(entry.value, source: "\(file):\(entry.line)")
            switch entry.key {
            case "harakiri": result.timeout = setting
            case "processes", "workers": result.workers = setting
            case "threads": result.threads = setting
            case "buffer-size": result.bufferSize = setting
            case "limit-post": result.postLimit = setting
            default: break
            }
        }
        return result
    }
}
