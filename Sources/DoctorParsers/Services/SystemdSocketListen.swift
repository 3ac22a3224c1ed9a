import DoctorFacts

/// What a `.socket` unit listens on (`ListenStream=`), as binds of the service it activates:
/// with socket activation systemd holds the socket and the app server inherits it, so the
/// service's own command line has no address (or only `fd://3`).
public enum SystemdSocketListen {
    /// One bind per `ListenStream=` value after resets (`man systemd.socket`): an absolute path
    /// is a unix socket, `@name` an abstract one (no endpoint a proxy could name in a path),
    /// a bare port listens on every address (`[::]:PORT`, dual-stack, and `0.0.0.0` for the
    /// proxy's purposes), `ADDR:PORT` / `[ADDR6]:PORT` one address. Values using specifiers or
    /// a `vsock:` / netlink form give a bind without an endpoint.
    public static func binds(_ unit: SystemdUnit) -> [AppServerBind] {
        unit.values("Socket", "ListenStream").map { assignment in
            AppServerBind(endpoint: endpoint(assignment.value), raw: assignment.value, source: assignment.location)
        }
    }

    static func endpoint(_ value: String) -> Endpoint? {
        if value.hasPrefix("/") { return value.contains("%") ? nil : .unix(path: value) }
        if let port = Int(value), (1...65535).contains(port) { return .tcp(host: "0.0.0.0", port: port) }
        if value.hasPrefix("["), let close = value.firstIndex(of: "]") {
            let host = String(value[value.index(after: value.startIndex)..<close])
            let rest = value[value.index(after: close)...]
            guard rest.hasPrefix(":"), let port = Int(rest.dropFirst()), (1...65535).contains(port) else { return nil }
            return .tcp(host: host, port: port)
        }
        if let colon = value.lastIndex(of: ":"), !value[..<colon].contains(":"),
           let port = Int(value[value.index(after: colon)...]), (1...65535).contains(port) {
            let host = String(value[..<colon])
            guard !host.isEmpty, !host.contains("%"), !host.hasPrefix("vsock") else { return nil }
            return .tcp(host: host, port: port)
        }
        return nil
    }
}
