import DoctorFacts

/// hypercorn's options (argparse, hypercorn/__main__.py): `-b/--bind` and `--insecure-bind`,
/// repeatable, `unix:` and `fd://` forms; 127.0.0.1:8000 when neither is given and no
/// `-c/--config` could name one.
enum HypercornCommandLine {
    static let options = AppServerOptions(
        AppServerOptions.spellings("bind", "-b", "--bind"),
        AppServerOptions.spellings("insecure-bind", "--insecure-bind"),
        AppServerOptions.spellings("config", "-c", "--config"),
        AppServerOptions.skipped(
            "-w", "--workers", "-k", "--worker-class", "--quic-bind", "--access-logfile", "--access-log-format",
            "--error-logfile", "--log-file", "--log-config", "--log-level", "-g", "--group", "-u", "--user", "-m",
            "--umask", "-p", "--pid", "--root-path", "--backlog", "--certfile", "--keyfile", "--keyfile-password",
            "--ca-certs", "--ciphers", "--graceful-timeout", "--read-timeout", "--max-requests",
            "--max-requests-jitter", "--server-name", "--statsd-host", "--statsd-prefix", "-e", "--env"
        )
    )

    static func parse(_ arguments: ArraySlice<String>, workingDirectory: String?) -> ParsedAppServer {
        let items = options.scan(arguments)
        var result = ParsedAppServer(kind: "hypercorn", directory: workingDirectory)
        for item in items {
            guard case let .option(name, value?) = item, name == "bind" || name == "insecure-bind" else { continue }
            let reading = AppServerAddress.hypercorn(value, directory: workingDirectory)
            result.binds.append(AppServerBind(endpoint: reading.endpoint, raw: value, source: AppServerCommandLine.source))
            if let note = reading.note { result.notes.append(note) }
        }
        if let config = items.last("config") {
            if config.hasPrefix("python:") {
                result.notes.append("hypercorn reads its settings from the Python module `\(config.dropFirst(7))`, which is not read here")
            } else {
                let path = config.hasPrefix("file:") ? String(config.dropFirst(5)) : config
                if AppServerPath.isAbsolute(path) || !(workingDirectory?.isEmpty ?? true) {
                    result.configFile = AppServerPath.resolve(path, against: workingDirectory)
                } else {
                    result.unresolvedConfigFiles.append(path)
                    result.notes.append("`--config \(path)`: \(AppServerDirectories.unknown(path)); what it sets is not read")
                }
            }
        } else if result.binds.isEmpty {
            result.binds = AppServerDefaults.binds(kind: "hypercorn") ?? []
            result.bindsAreDefault = true
        }
        return result
    }
}
