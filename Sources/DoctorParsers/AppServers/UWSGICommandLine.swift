import DoctorFacts

/// uWSGI's options (getopt_long) that decide where it listens and for how long a request may run.
///
/// Sockets from the command line and from ini files all get bound. `--socket` speaks the
/// uwsgi protocol unless `--protocol` says otherwise, which is what decides whether
/// nginx must use `uwsgi_pass` or `proxy_pass` to reach it.
enum UWSGICommandLine {
    /// Socket options and the protocol each speaks; `nil` means the default protocol (`--protocol`, else uwsgi).
    static let socketOptions: [(name: String, protocolName: String?)] = [
        ("socket", nil), ("uwsgi-socket", "uwsgi"), ("http-socket", "http"), ("http11-socket", "http"),
        ("fastcgi-socket", "fastcgi"), ("scgi-socket", "scgi"), ("http", "http"), ("https", "https"),
    ]

    static let options = AppServerOptions(
        AppServerOptions.spellings("socket", "-s", "--socket"),
        AppServerOptions.spellings("uwsgi-socket", "--uwsgi-socket"),
        AppServerOptions.spellings("http-socket", "--http-socket"),
        AppServerOptions.spellings("http11-socket", "--http11-socket"),
        AppServerOptions.spellings("fastcgi-socket", "--fastcgi-socket"),
        AppServerOptions.spellings("scgi-socket", "--scgi-socket"),
        AppServerOptions.spellings("http", "--http"),
        AppServerOptions.spellings("https", "--https"),
        AppServerOptions.spellings("protocol", "--protocol"),
        AppServerOptions.spellings("ini", "--ini", "--inherit"),
        AppServerOptions.spellings("other-config", "--xml", "-x", "--yaml", "--yml", "-y", "--json", "-j"),
        AppServerOptions.spellings("harakiri", "-t", "--harakiri"),
        AppServerOptions.spellings("chdir", "--chdir"),
        AppServerOptions.spellings("emperor", "--emperor"),
        // Also in `skipped`; these come first and win.
        AppServerOptions.spellings("buffer-size", "-b", "--buffer-size"),
        AppServerOptions.spellings("limit-post", "--limit-post"),
        // `-w` is uWSGI's --module; `--workers` is --processes. Also in `skipped`; these come first and win.
        AppServerOptions.spellings("processes", "-p", "--processes", "--workers"),
        AppServerOptions.spellings("threads", "--threads"),
        AppServerOptions.skipped(
            "--plugin", "--plugins", "--wsgi-file", "--file", "-w", "--module", "--callable", "-p", "--processes",
            "--workers", "--threads", "-H", "--home", "--virtualenv", "--venv", "--pythonpath", "--pp", "--uid",
            "--gid", "-d", "--daemonize", "--daemonize2", "--logto", "--logto2", "--pidfile", "--pidfile2",
            "--master-fifo", "--stats", "-l", "--listen", "-b", "--buffer-size", "--max-requests", "--env",
            "--mount", "--static-map", "--touch-reload", "--procname", "--procname-prefix", "--procname-master",
            "--logger", "--req-logger", "--log-format", "--logformat", "-z", "--socket-timeout", "--cheaper",
            "--attach-daemon", "--cron", "--spooler", "--limit-as", "--reload-on-rss", "--evil-reload-on-rss",
            "--http-timeout", "--offload-threads", "--chown-socket", "--set", "--set-placeholder", "--route",
            "--chdir2", "--mule", "--py-autoreload", "--max-worker-lifetime", "--worker-reload-mercy", "--vassal-set"
        )
    )

    /// `nil` for an emperor: it starts vassals (each its own uWSGI) and serves nothing itself.
    static func parse(_ arguments: ArraySlice<String>, workingDirectory: String?, startDirectory: String? = nil) -> ParsedAppServer? {
        let items = options.scan(arguments)
        if items.has("emperor") { return nil }
        let directories = AppServerDirectories(chdir: items.last("chdir"), workingDirectory: workingDirectory,
                                               startDirectory: startDirectory)
        var result = ParsedAppServer(kind: "uwsgi", directory: directories.run)
        let defaultProtocol = items.last("protocol") ?? "uwsgi"

        var iniArguments: [String] = []
        for item in items {
            switch item {
            case let .option(name, value?):
                if let socket = socketOptions.first(where: { $0.name == name }) {
                    let address = name == "https" ? String(value.prefix { $0 != "," }) : value
                    let reading = AppServerAddress.uwsgi(address, directory: directories.run)
                    result.binds.append(AppServerBind(endpoint: reading.endpoint, raw: value, source: AppServerCommandLine.source,
                                                      protocolName: socket.protocolName ?? defaultProtocol))
                    if let note = reading.note { result.notes.append(note) }
                    if name == "http" || name == "https" {
                        result.notes.append("`--\(name) \(value)` starts uWSGI's HTTP router, a separate process that forwards to the workers' own socket")
                    }
                } else if name == "ini" {
                    iniArguments.append(value)
                } else if name == "other-config" {
                    result.notes.append("uWSGI also reads `\(value)`, which is not read here (only ini files are)")
                }
            case let .positional(word):
                // uWSGI loads trailing arguments as config files by their extension.
                if word.hasSuffix(".ini") || word.contains(".ini:") { iniArguments.append(word) }
            default:
                break
            }
        }
        if let harakiri = items.last("harakiri") { result.timeoutSeconds = Int(AppServerText.trim(harakiri)) }
        func setting(_ name: String) -> AppServerSetting? {
            items.last(name).map { AppServerSetting(String(AppServerText.trim($0)), source: AppServerCommandLine.source) }
        }
        result.limits = AppServerLimits(timeout: setting("harakiri"), workers: setting("processes"), threads: setting("threads"),
                                        bufferSize: setting("buffer-size"), postLimit: setting("limit-post"))

        for argument in iniArguments {
            var reference = iniReference(argument, previous: result.iniFiles.last?.path)
            // A URL (`http://…/app.ini`) is fetched, not resolved.
            if !AppServerPath.isAbsolute(reference.path), !reference.path.contains("://") {
                guard let path = directories.resolveStartPath(reference.path) else {
                    result.unresolvedConfigFiles.append(reference.path)
                    result.notes.append("`--ini \(reference.path)`: \(AppServerDirectories.unknown(reference.path)); what it sets is not read (an absolute `--ini` path, or the service's working directory, removes the doubt)")
                    continue
                }
                reference.path = path
            }
            result.iniFiles.append(reference)
        }
        return result
    }

    /// `app.ini`, `app.ini:section`, `:section` (the previous file again), as uWSGI's ini loader splits them.
    static func iniReference(_ argument: String, previous: String?) -> UWSGIIniReference {
        // For a URL (`http://host/app.ini:prod`) only a colon after the last `/` names a section.
        let searchFrom = argument.contains("://") ? (argument.lastIndex(of: "/") ?? argument.startIndex) : argument.startIndex
        guard let colon = argument[searchFrom...].lastIndex(of: ":") else { return UWSGIIniReference(path: argument) }
        var path = String(argument[..<colon])
        let section = String(argument[argument.index(after: colon)...])
        if path.isEmpty, let previous { path = previous }
        return UWSGIIniReference(path: path, section: section.isEmpty ? "uwsgi" : section)
    }
}
