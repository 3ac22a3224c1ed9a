import DoctorFacts

/// Reads one upstream address of `reverse_proxy`/`php_fastcgi`/`to` the way Caddy's
/// `parseUpstreamDialAddress` does, and renders it as Caddy's `dial` string.
///
/// - `unix//run/app.sock` (network `unix`, address `/run/app.sock`; also `unix+h2c//…`);
/// - `http://host[:port]`, `https://…`, `h2c://…` (no port: 80, or 443 for https);
/// - `host[:port]`, `[v6]:port`, `:port` (no port: 80; no host: the local machine, read
///   here as `localhost`, which is what Go's dialer does);
/// - `host:8001-8003` is a port range: one upstream per port.
/// A placeholder left in the address (`{$APP}` without default, `{http.request.host}`,
/// `{env.APP}`) makes the endpoint unknown (nil).
enum CaddyUpstreamAddress {
    /// The endpoints of one written address (several for a port range, none when it cannot be read).
    static func endpoints(_ text: String) -> (scheme: String?, endpoints: [Endpoint?]) {
        if text.contains("{") { return (schemeOf(text), [nil]) }
        if let slash = text.range(of: "/"), !text.contains("://") {
            let network = text[..<slash.lowerBound].lowercased()
            let address = String(text[slash.upperBound...])
            if network == "unix" || network.hasPrefix("unix+") {
                return (nil, address.isEmpty ? [nil] : [.unix(path: address)])
            }
            if ["tcp", "tcp4", "tcp6", "udp", "udp4", "udp6", "ip", "ip4", "ip6"].contains(network) {
                return (nil, hostPort(address, defaultPort: 80))
            }
            return (nil, [nil])
        }
        var rest = Substring(text)
        var scheme: String?
        if let separator = rest.range(of: "://") {
            scheme = rest[..<separator.lowerBound].lowercased()
            rest = rest[separator.upperBound...]
            if let path = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) { rest = rest[..<path] }
            guard scheme == "http" || scheme == "https" || scheme == "h2c" else { return (scheme, [nil]) }
        }
        return (scheme, hostPort(String(rest), defaultPort: scheme == "https" ? 443 : 80))
    }

    /// Caddy's `dial` string for an endpoint (`host:port`, `[::1]:8000`, `unix//path`).
    static func dial(_ endpoint: Endpoint) -> String {
        switch endpoint {
        case let .tcp(host, port): host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        case let .unix(path): "unix/\(path)"
        }
    }

    /// A dial string as Caddy writes it in JSON, back to endpoints (port ranges expanded);
    /// nil entries for dials holding placeholders.
    static func endpoints(dial: String) -> [Endpoint?] {
        endpoints(dial).endpoints
    }

    private static func schemeOf(_ text: String) -> String? {
        guard let separator = text.range(of: "://") else { return nil }
        return text[..<separator.lowerBound].lowercased()
    }

    private static func hostPort(_ text: String, defaultPort: Int) -> [Endpoint?] {
        var host: Substring
        var portText: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return [nil] }
            host = text[text.index(after: text.startIndex)..<close]
            let after = text[text.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() } else if !after.isEmpty { return [nil] }
        } else if let colon = text.lastIndex(of: ":"), text.firstIndex(of: ":") == colon {
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        } else if text.contains(":") {
            // A bare IPv6 address without brackets and port.
            host = Substring(text)
        } else {
            host = Substring(text)
        }
        let hostName = host.isEmpty ? "localhost" : String(host)
        guard let portText, !portText.isEmpty else { return [.tcp(host: hostName, port: defaultPort)] }
        if let dash = portText.firstIndex(of: "-"),
           let low = Int(portText[..<dash]), let high = Int(portText[portText.index(after: dash)...]),
           low <= high, high - low < 1024 {
            return (low...high).map { .tcp(host: hostName, port: $0) }
        }
        guard let port = Int(portText), (0...65535).contains(port) else { return [nil] }
        return [.tcp(host: hostName, port: port)]
    }
}
