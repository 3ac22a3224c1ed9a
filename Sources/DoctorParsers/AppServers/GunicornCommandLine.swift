import DoctorFacts

/// gunicorn's options (argparse, gunicorn/config.py), as far as they decide where it listens.
///
/// Not visible in argv, so not handled: `GUNICORN_CMD_ARGS` and `PORT` in its environment,
/// argparse's abbreviations (`--bi`), and `--paste` ini files.
enum GunicornCommandLine {
    static let options = AppServerOptions(
        AppServerOptions.spellings("bind", "-b", "--bind"),
        AppServerOptions.spellings("config", "-c", "--config"),
        AppServerOptions.spellings("timeout", "-t", "--timeout"),
        AppServerOptions.spellings("chdir", "--chdir"),
        AppServerOptions.spellings("workers", "-w", "--workers"),
        AppServerOptions.spellings("threads", "--threads"),
        AppServerOptions.spellings("worker-class", "-k", "--worker-class"),
        AppServerOptions.spellings("worker-connections", "--worker-connections"),
        AppServerOptions.spellings("graceful-timeout", "--graceful-timeout"),
        AppServerOptions.spellings("keep-alive", "--keep-alive"),
        AppServerOptions.spellings("limit-request-line", "--limit-request-line"),
        AppServerOptions.spellings("limit-request-field_size", "--limit-request-field_size", "--limit-request-field-size"),
        // Listed in `skipped` too; the spellings above come first and win.
        AppServerOptions.skipped(
            "-w", "--workers", "-k", "--worker-class", "--threads", "--worker-connections", "--max-requests",
            "--max-requests-jitter", "--graceful-timeout", "--keep-alive", "--backlog", "-u", "--user", "-g", "--group",
            "-m", "--umask", "--worker-tmp-dir", "-n", "--name", "-p", "--pid", "-e", "--env", "--error-logfile",
            "--log-file", "--access-logfile", "--access-logformat", "--log-level", "--log-config", "--log-config-json",
            "--logger-class", "--log-syslog-to", "--log-syslog-prefix", "--log-syslog-facility", "--forwarded-allow-ips",
            "--proxy-allow-from", "--proxy-protocol", "--statsd-host", "--statsd-prefix", "--dogstatsd-tags",
            "--paste", "--paste-global", "--reload-engine", "--reload-extra-file", "--limit-request-line",
            "--limit-request-fields", "--limit-request-field_size", "--certfile", "--keyfile", "--ca-certs",
            "--ciphers", "--ssl-version", "--cert-reqs", "--do-handshake-on-connect", "--worker-class-args",
            "--control-socket", "--control-socket-mode", "--pythonpath", "--initgroups", "--header-map",
            "--forwarder-headers", "--raw-paste-global-conf", "--sendfile", "--strip-header-spaces"
        )
    )

    static func parse(_ arguments: ArraySlice<String>, workingDirectory: String?, startDirectory: String? = nil) -> ParsedAppServer {
        let items = options.scan(arguments)
        let chdir = items.last("chdir")
        let directories = AppServerDirectories(chdir: chdir, workingDirectory: workingDirectory, startDirectory: startDirectory)
        var result = ParsedAppServer(kind: "gunicorn", directory: directories.run)

        for raw in items.values("bind") {
            let reading = AppServerAddress.gunicorn(raw, directory: directories.run)
            result.binds.append(AppServerBind(endpoint: reading.endpoint, raw: raw, source: AppServerCommandLine.source))
            if let note = reading.note { result.notes.append(note) }
        }
        if let timeout = items.last("timeout") { result.timeoutSeconds = Int(AppServerText.trim(timeout)) }
        func setting(_ name: String) -> AppServerSetting? {
            items.last(name).map { AppServerSetting(String(AppServerText.trim($0)), source: AppServerCommandLine.source) }
        }
        result.limits = AppServerLimits(timeout: setting("timeout"), gracefulTimeout: setting("graceful-timeout"),
                                        workers: setting("workers"), threads: setting("threads"),
                                        workerClass: setting("worker-class"), workerConnections: setting("worker-connections"),
                                        keepAlive: setting("keep-alive"), requestLineLimit: setting("limit-request-line"),
                                        requestFieldSizeLimit: setting("limit-request-field_size"))

        if let config = items.last("config") {
            if config.hasPrefix("python:") {
                result.notes.append("gunicorn reads its settings from the Python module `\(config.dropFirst(7))`, which is not read here")
            } else {
                let path = config.hasPrefix("file:") ? String(config.dropFirst(5)) : config
                result.configFile = directories.resolveStartPath(path)
                if result.configFile == nil {
                    // gunicorn resolved it against its start directory, before `--chdir`: not gwdoctor's.
                    result.unresolvedConfigFiles.append(path)
                    result.notes.append("`-c \(path)`: \(AppServerDirectories.unknown(path)); what it sets is not read (an absolute `-c` path, or the service's working directory, removes the doubt)")
                }
            }
        } else {
            // Without -c, gunicorn reads gunicorn.conf.py from where it was started, if it exists.
            result.defaultConfigFile = directories.start.map { AppServerPath.resolve("gunicorn.conf.py", against: $0) }
        }

        // With a config file the binds are unknown until it is read (`applying` falls back to the default).
        if result.binds.isEmpty, items.last("config") == nil {
            result.binds = AppServerDefaults.binds(kind: "gunicorn") ?? []
            result.bindsAreDefault = true
        }
        return result
    }
}
