extension Facts {
    /// The listeners that accept connections for `endpoint`: exact path for unix
    /// sockets; for TCP the same port on the same address, on a wildcard address, or
    /// on a loopback address when the target names `localhost`.
    public func listeners(for endpoint: Endpoint) -> [Listener] {
        listeners.filter { Self.listener($0.endpoint, accepts: endpoint) }
    }

    /// Whether a socket bound at `bound` accepts a connection addressed to `target`.
    public static func listener(_ bound: Endpoint, accepts target: Endpoint) -> Bool {
        switch (bound, target) {
        case let (.unix(boundPath), .unix(targetPath)):
            return boundPath == targetPath
        case let (.tcp(boundHost, boundPort), .tcp(targetHost, targetPort)):
            guard boundPort == targetPort else { return false }
            let wanted = addresses(for: targetHost)
            if boundHost == "0.0.0.0" { return wanted.contains { !$0.contains(":") } }
            // A [::] socket is dual-stack unless bindv6only is set; treat it as accepting both.
            if boundHost == "::" { return true }
            return wanted.contains(normalized(boundHost))
        default:
            return false
        }
    }

    /// The process that serves `endpoint`: the parent-most holder of its listening socket.
    public func server(for endpoint: Endpoint) -> ProcessRecord? {
        let pids = Set(listeners(for: endpoint).flatMap(\.pids))
        guard !pids.isEmpty else { return nil }
        let holders = processes.filter { pids.contains($0.pid) }
        // Workers inherit the master's socket; the master is the holder whose parent does not hold it.
        return holders.first { !pids.contains($0.ppid) } ?? holders.min { $0.pid < $1.pid }
    }

    /// `gunicorn pid 412 (www-data)` for every endpoint of the route's target that has a
    /// listener, or `nil` when nothing listens (or the target is only known per request).
    public func servingDescription(for route: Route) -> String? {
        let labels = route.target.endpoints.compactMap { endpoint -> String? in
            if let process = server(for: endpoint) { return process.label }
            let held = listeners(for: endpoint)
            return held.isEmpty ? nil : "listener \(endpoint) (process unknown)"
        }
        return labels.isEmpty ? nil : labels.joined(separator: ", ")
    }

    private static func normalized(_ host: String) -> String {
        var host = host
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host.hasPrefix("::ffff:") { host = String(host.dropFirst(7)) }
        return host.lowercased()
    }

    private static func addresses(for host: String) -> [String] {
        let host = normalized(host)
        if host == "localhost" { return ["127.0.0.1", "::1"] }
        return [host]
    }
}
