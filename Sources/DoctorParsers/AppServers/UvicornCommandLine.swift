import DoctorFacts

/// uvicorn's options (click, uvicorn/main.py): `--host` (127.0.0.1), `--port` (8000),
/// `--uds PATH`, `--fd N`. `UVICORN_*` environment variables are not visible in argv.
enum UvicornCommandLine {
    static let options = AppServerOptions(
        AppServerOptions.spellings("host", "--host"),
        AppServerOptions.spellings("port", "--port"),
        AppServerOptions.spellings("uds", "--uds"),
        AppServerOptions.spellings("fd", "--fd"),
        // Also in `skipped`; these come first and win.
        AppServerOptions.spellings("workers", "--workers"),
        AppServerOptions.spellings("limit-concurrency", "--limit-concurrency"),
        AppServerOptions.spellings("timeout-keep-alive", "--timeout-keep-alive"),
        AppServerOptions.skipped(
            "--app-dir", "--env-file", "--log-config", "--log-level", "--workers", "--loop", "--http", "--ws",
            "--ws-max-size", "--ws-max-queue", "--ws-ping-interval", "--ws-ping-timeout", "--ws-per-message-deflate",
            "--lifespan", "--interface", "--reload-dir", "--reload-include", "--reload-exclude", "--reload-delay",
            "--root-path", "--limit-concurrency", "--limit-max-requests", "--backlog", "--timeout-keep-alive",
            "--timeout-graceful-shutdown", "--timeout-worker-healthcheck", "--ssl-keyfile", "--ssl-certfile",
            "--ssl-keyfile-password", "--ssl-version", "--ssl-cert-reqs", "--ssl-ca-certs", "--ssl-ciphers",
            "--header", "--forwarded-allow-ips", "--h11-max-incomplete-event-size"
        )
    )

    static func parse(_ arguments: ArraySlice<String>, workingDirectory: String?) -> ParsedAppServer {
        let items = options.scan(arguments)
        var result = ParsedAppServer(kind: "uvicorn", directory: workingDirectory)
        let source = AppServerCommandLine.source
        result.limits.workers = items.last("workers").map { AppServerSetting(String(AppServerText.trim($0)), source: source) }
        result.limits.keepAlive = items.last("timeout-keep-alive").map { AppServerSetting(String(AppServerText.trim($0)), source: source) }
        if let limit = items.last("limit-concurrency") {
            result.limits.notes.append("--limit-concurrency \(limit): uvicorn answers 503 beyond that many connections and tasks")
        }
        // A single uvicorn process prefers --fd over --uds (uvicorn/server.py), and either over host and port.
        if let fd = items.last("fd") {
            result.binds = [AppServerBind(endpoint: nil, raw: "fd://\(fd)", source: source)]
        } else if let uds = items.last("uds") {
            result.binds = [AppServerBind(endpoint: AppServerAddress.unix(uds, directory: workingDirectory), raw: uds, source: source)]
        } else {
            let host = items.last("host")
            let portText = items.last("port")
            // nil when a port was given but is not one.
            let port: Int? = portText.map { AppServerAddress.port($0) } ?? 8000
            let raw = "\(host ?? "127.0.0.1"):\(portText ?? "8000")"
            result.binds = [AppServerBind(endpoint: port.map { AppServerAddress.hostAndPort(host ?? "127.0.0.1", $0) },
                                          raw: raw, source: host == nil && portText == nil ? AppServerDefaults.source : source)]
            result.bindsAreDefault = host == nil && portText == nil
            if port == nil, let portText { result.notes.append("uvicorn cannot listen on port `\(portText)`") }
        }
        return result
    }
}
