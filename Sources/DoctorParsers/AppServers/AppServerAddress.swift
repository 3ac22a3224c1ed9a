import DoctorFacts

/// Bind addresses in each app server's own syntax, read the way that server reads them,
/// because the same text means different things: `:8000` is every IPv4 address to
/// gunicorn, hypercorn and uWSGI, and `8000` is not a port to gunicorn at all.
enum AppServerAddress {
    /// The result of reading one address: the endpoint (nil for inherited descriptors and
    /// addresses the server itself cannot bind), and a note when something is off.
    struct Reading: Equatable {
        var endpoint: Endpoint?
        var note: String?
    }

    /// gunicorn's `parse_address` (gunicorn/util.py): `unix:PATH`, `unix://PATH`, `fd://N`,
    /// `tcp://…`, `[v6]:port`, `[v6]`, `host:port`, `host` (port 8000), `` (0.0.0.0:8000).
    static func gunicorn(_ raw: String, directory: String?) -> Reading {
        if raw.hasPrefix("unix:") {
            var path = raw.dropFirst(5)
            if path.hasPrefix("//") { path = path.dropFirst(2) }
            return unixReading(String(path), directory: directory)
        }
        if raw.hasPrefix("fd://") { return Reading(endpoint: nil) }
        var address = Substring(raw)
        if address.hasPrefix("tcp://") { address = address.dropFirst(6) }
        var host = address
        var portText: Substring = "8000"
        if let open = address.firstIndex(of: "["), let close = address.firstIndex(of: "]"), open < close {
            // Python: netloc.split(']')[0][1:] and the text after `]:`.
            host = address[address.index(after: address.startIndex)..<close]
            let afterClose = address[address.index(after: close)...]
            if afterClose.hasPrefix(":") { portText = afterClose.dropFirst() }
        } else if address.contains(":") {
            let parts = address.split(separator: ":", omittingEmptySubsequences: false)
            host = parts[0]
            portText = parts.count > 1 ? parts[1] : "8000"
        }
        guard let port = port(portText) else {
            return Reading(endpoint: nil, note: "gunicorn cannot bind `\(raw)`: `\(portText)` is not a port number")
        }
        if AppServerText.isDigits(host) {
            // gunicorn takes a lone number for a host name on port 8000 and fails with
            // "Invalid address" (observed with 27.0.1); the port was meant to be `:N`.
            return Reading(endpoint: nil,
                           note: "gunicorn reads `\(raw)` as host \(host) on port 8000 and cannot bind it; `:\(host)` would be port \(host)")
        }
        return Reading(endpoint: tcp(host: host.lowercased(), port: port))
    }

    /// hypercorn (`config.py _create_sockets`): `unix:PATH`, `fd://N`, brackets dropped,
    /// `host:port` split at the last colon, anything without a port on 8000.
    static func hypercorn(_ raw: String, directory: String?) -> Reading {
        if raw.hasPrefix("unix:") { return unixReading(String(raw.dropFirst(5)), directory: directory) }
        if raw.hasPrefix("fd://") { return Reading(endpoint: nil) }
        let address = raw.filter { $0 != "[" && $0 != "]" }
        if let colon = address.lastIndex(of: ":"), let port = port(address[address.index(after: colon)...]) {
            return Reading(endpoint: tcp(host: String(address[..<colon]), port: port))
        }
        return Reading(endpoint: tcp(host: address, port: 8000))
    }

    /// uWSGI socket options: `127.0.0.1:3031`, `:3031` (every IPv4 address), `[::]:3031`,
    /// `@name` (abstract unix socket), `=N` (a shared socket, no address of its own), and
    /// anything without a colon is a unix socket path.
    static func uwsgi(_ raw: String, directory: String?) -> Reading {
        if raw.hasPrefix("=") { return Reading(endpoint: nil) }
        if raw.hasPrefix("@") { return Reading(endpoint: .unix(path: raw)) }
        guard let colon = raw.lastIndex(of: ":") else {
            return unixReading(raw, directory: directory)
        }
        guard let port = port(raw[raw.index(after: colon)...]) else {
            return Reading(endpoint: nil, note: "uWSGI cannot bind `\(raw)`: no port after the colon")
        }
        var host = raw[..<colon]
        if host.hasPrefix("["), host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        return Reading(endpoint: tcp(host: String(host), port: port))
    }

    /// A host and port as separate options (uvicorn, daphne); brackets around IPv6 dropped.
    static func hostAndPort(_ host: String, _ port: Int) -> Endpoint {
        var host = Substring(host)
        if host.hasPrefix("["), host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        return tcp(host: String(host), port: port)
    }

    /// An empty host binds every IPv4 address, which the rest of gwdoctor writes `0.0.0.0`.
    static func tcp(host: String, port: Int) -> Endpoint {
        .tcp(host: host.isEmpty ? "0.0.0.0" : host, port: port)
    }

    /// A unix socket path, made absolute against `directory` when it is relative; `nil` for a
    /// relative path when the directory is unknown (as written it would name a path in gwdoctor's
    /// own directory, not the server's).
    static func unix(_ path: String, directory: String?) -> Endpoint? {
        guard !path.isEmpty else { return nil }
        if !AppServerPath.isAbsolute(path), directory?.isEmpty ?? true { return nil }
        return .unix(path: AppServerPath.resolve(path, against: directory))
    }

    /// `unix(_:directory:)` with the note a reader needs when the path could not be placed.
    static func unixReading(_ path: String, directory: String?) -> Reading {
        let endpoint = unix(path, directory: directory)
        if endpoint == nil, !path.isEmpty {
            return Reading(endpoint: nil, note: "unix socket `\(path)`: \(AppServerDirectories.unknown(path, base: "working directory"))")
        }
        return Reading(endpoint: endpoint)
    }

    /// A decimal port 0–65535 (0 asks the kernel for any port).
    static func port(_ text: some StringProtocol) -> Int? {
        let trimmed = AppServerText.trim(text)
        guard trimmed.count <= 5, AppServerText.isDigits(trimmed), let value = Int(trimmed),
              value <= 65535 else { return nil }
        return value
    }
}

/// Lexical path arithmetic for paths found in command lines and config files (no file
/// system: the process may belong to a snapshot of another machine).
enum AppServerPath {
    /// `path` itself when absolute or when there is no base; otherwise `base/path`, normalised.
    static func resolve(_ path: String, against base: String?) -> String {
        guard let base, !base.isEmpty, !path.hasPrefix("/") else { return path }
        return NginxPath.normalize(base + "/" + path)
    }

    static func isAbsolute(_ path: String) -> Bool { path.hasPrefix("/") }

    /// The last path component (`/srv/venv/bin/gunicorn` → `gunicorn`).
    static func basename(_ path: some StringProtocol) -> Substring {
        let text = Substring(path)
        guard let slash = text.lastIndex(of: "/") else { return text }
        return text[text.index(after: slash)...]
    }

    /// The directory part (`/etc/uwsgi/app.ini` → `/etc/uwsgi`), `""` when there is none.
    static func directory(of path: String) -> String {
        NginxPath.directory(of: path)
    }
}

/// Small text helpers, kept in a namespace so they cannot collide with extensions
/// other parts of the module add.
enum AppServerText {
    static func isDigit(_ character: Character) -> Bool {
        character.isASCII && character.isNumber
    }

    static func isDigits(_ text: some StringProtocol) -> Bool {
        !text.isEmpty && text.allSatisfy(isDigit)
    }

    /// Without leading and trailing spaces, tabs and line ends (Foundation-free).
    static func trim(_ text: some StringProtocol) -> Substring {
        let text = Substring(text)
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" }
        guard let first = text.firstIndex(where: { !isSpace($0) }), let last = text.lastIndex(where: { !isSpace($0) }) else {
            return text[text.endIndex...]
        }
        return text[first...last]
    }
}
