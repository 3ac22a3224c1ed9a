import DoctorFacts

/// daphne's options (argparse, daphne/cli.py): `-b/--bind HOST`, `-p/--port PORT`,
/// `-u/--unix-socket PATH`, `--fd N`, `-e/--endpoint` (Twisted endpoint strings),
/// `-t/--http-timeout`. With none of them it listens on 127.0.0.1:8000; a host alone
/// gets port 8000 and a port alone host 127.0.0.1.
enum DaphneCommandLine {
    static let options = AppServerOptions(
        AppServerOptions.spellings("host", "-b", "--bind"),
        AppServerOptions.spellings("port", "-p", "--port"),
        AppServerOptions.spellings("unix", "-u", "--unix-socket"),
        AppServerOptions.spellings("fd", "--fd"),
        AppServerOptions.spellings("endpoint", "-e", "--endpoint"),
        AppServerOptions.spellings("timeout", "-t", "--http-timeout"),
        AppServerOptions.skipped(
            "-v", "--verbosity", "--websocket_timeout", "--websocket_connect_timeout", "--access-log", "--log-fmt",
            "--ping-interval", "--ping-timeout", "--application-close-timeout", "--root-path", "--proxy-headers-host",
            "--proxy-headers-port", "--server-name"
        )
    )

    static func parse(_ arguments: ArraySlice<String>, workingDirectory: String?) -> ParsedAppServer {
        let items = options.scan(arguments)
        let source = AppServerCommandLine.source
        var result = ParsedAppServer(kind: "daphne", directory: workingDirectory)
        if let timeout = items.last("timeout") { result.timeoutSeconds = Int(AppServerText.trim(timeout)) }

        let host = items.last("host")
        let portText = items.last("port")
        let unixPath = items.last("unix")
        let fd = items.last("fd")
        let endpoints = items.values("endpoint")
        if host == nil, portText == nil, unixPath == nil, fd == nil, endpoints.isEmpty {
            result.binds = AppServerDefaults.binds(kind: "daphne") ?? []
            result.bindsAreDefault = true
            return result
        }
        if host != nil || portText != nil {
            // nil when a port was given but is not one.
            let port: Int? = portText.map { AppServerAddress.port($0) } ?? 8000
            let hostText = host ?? "127.0.0.1"
            result.binds.append(AppServerBind(endpoint: port.map { AppServerAddress.hostAndPort(hostText, $0) },
                                              raw: "\(hostText):\(portText ?? "8000")", source: source))
        }
        if let unixPath {
            result.binds.append(AppServerBind(endpoint: AppServerAddress.unix(unixPath, directory: workingDirectory),
                                              raw: unixPath, source: source))
        }
        if let fd { result.binds.append(AppServerBind(endpoint: nil, raw: "fd://\(fd)", source: source)) }
        for endpoint in endpoints {
            result.binds.append(AppServerBind(endpoint: twistedEndpoint(endpoint, directory: workingDirectory),
                                              raw: endpoint, source: source))
        }
        return result
    }

    /// The common Twisted server endpoint strings: `tcp:8000`, `tcp:port=8000:interface=127.0.0.1`,
    /// `tcp6:…`, `ssl:443:…`, `unix:/path`, `unix:address=/path`. Colons inside values are escaped `\:`.
    static func twistedEndpoint(_ text: String, directory: String?) -> Endpoint? {
        var parts: [String] = []
        var current = ""
        var escaped = false
        for character in text {
            if escaped {
                current.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == ":" {
                parts.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        parts.append(current)
        guard let type = parts.first else { return nil }
        var positional: [String] = []
        var named: [String: String] = [:]
        for part in parts.dropFirst() {
            if let equals = part.firstIndex(of: "=") {
                named[String(part[..<equals])] = String(part[part.index(after: equals)...])
            } else {
                positional.append(part)
            }
        }
        switch type {
        case "tcp", "tcp6", "ssl":
            guard let portText = named["port"] ?? positional.first, let port = AppServerAddress.port(portText) else { return nil }
            let interface = named["interface"] ?? (type == "tcp6" ? "::" : "")
            return AppServerAddress.hostAndPort(interface, port)
        case "unix":
            guard let path = named["address"] ?? positional.first else { return nil }
            return AppServerAddress.unix(path, directory: directory)
        default:
            return nil
        }
    }
}
