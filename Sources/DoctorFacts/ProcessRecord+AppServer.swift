extension ProcessRecord {
    /// Known app-server and proxy program names, in the order they are looked for.
    /// Matching is on argv words, because `python3 /venv/bin/gunicorn …` and
    /// `gunicorn: master [app]` both name gunicorn only in their arguments.
    public static let knownServerNames = [
        "gunicorn", "uvicorn", "uwsgi", "daphne", "hypercorn", "nginx", "caddy", "node", "php-fpm",
    ]

    /// The server program this process runs (`gunicorn`, `uvicorn`, `nginx`, …), else its command name.
    public var serverName: String {
        for argument in cmdline.prefix(3) {
            for word in argument.split(separator: " ").prefix(3) {
                let base = word.split(separator: "/").last.map { String($0).lowercased() } ?? ""
                let trimmed = base.hasSuffix(":") ? String(base.dropLast()) : base
                for name in Self.knownServerNames where trimmed == name || trimmed.hasPrefix(name + "-") || trimmed.hasPrefix(name + "3") {
                    return name
                }
            }
        }
        return comm
    }

    /// `gunicorn pid 412 (www-data)`: how a report names a process.
    public var label: String {
        if let user { return "\(serverName) pid \(pid) (\(user))" }
        if let uid { return "\(serverName) pid \(pid) (uid \(uid))" }
        return "\(serverName) pid \(pid)"
    }
}
