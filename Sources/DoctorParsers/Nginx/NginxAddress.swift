import DoctorFacts

/// Addresses as nginx writes them in `listen`, upstream `server` and `*_pass`.
enum NginxAddress {
    /// `unix:/path`, `[v6]:port`, `[v6]`, `host:port`, `host` (with `defaultPort`);
    /// with `bareNumberIsPort` (listen), `8080` means every IPv4 address on port 8080.
    /// `*` stands for every address and is written `0.0.0.0`. `nil` when malformed.
    static func endpoint(_ text: Substring, defaultPort: Int, bareNumberIsPort: Bool = false) -> Endpoint? {
        if text.hasPrefix("unix:") {
            let path = text.dropFirst(5)
            return path.isEmpty ? nil : .unix(path: String(path))
        }
        if text.first == "[" {
            guard let close = text.firstIndex(of: "]") else { return nil }
            let host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard !host.isEmpty else { return nil }
            if rest.isEmpty { return .tcp(host: String(host), port: defaultPort) }
            guard rest.first == ":", let port = port(rest.dropFirst()) else { return nil }
            return .tcp(host: String(host), port: port)
        }
        if bareNumberIsPort, let port = port(text) { return .tcp(host: "0.0.0.0", port: port) }
        let colons = text.utf8.reduce(0) { $0 + ($1 == Byte.colon ? 1 : 0) }
        var host = text
        var portNumber = defaultPort
        if colons == 1, let colon = text.firstIndex(of: ":") {
            guard let parsed = port(text[text.index(after: colon)...]) else { return nil }
            host = text[..<colon]
            portNumber = parsed
        } else if colons > 1 {
            return nil // an IPv6 address must be bracketed
        }
        guard !host.isEmpty else { return nil }
        return .tcp(host: host == "*" ? "0.0.0.0" : String(host), port: portNumber)
    }

    static func port(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.utf8.count <= 5, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              let value = Int(text), value > 0, value <= 65535 else { return nil }
        return value
    }

    /// What a pass directive (`proxy_pass`, `uwsgi_pass`, …) points at.
    static func passTarget(directive: String, argument: String,
                           upstreams: [String: (name: String, servers: [UpstreamServer])]) -> RouteTarget? {
        if argument.utf8.contains(Byte.dollar) { return .variable(raw: argument) }
        let implicitScheme: String
        switch directive {
        case "uwsgi_pass": implicitScheme = "uwsgi"
        case "fastcgi_pass": implicitScheme = "fastcgi"
        case "scgi_pass": implicitScheme = "scgi"
        case "grpc_pass": implicitScheme = "grpc"
        default: implicitScheme = "http"
        }
        var scheme = implicitScheme
        var rest = Substring(argument)
        if let (written, afterScheme) = splitScheme(rest) {
            scheme = written.lowercased()
            rest = afterScheme
        } else if directive == "proxy_pass" {
            return nil // nginx requires a scheme here
        }
        let defaultPort = scheme == "https" || scheme == "grpcs" ? 443 : 80

        if rest.hasPrefix("unix:") {
            // `unix:/run/app.sock:/uri`: the path runs to the next colon.
            let path = rest.dropFirst(5)
            let end = path.firstIndex(of: ":") ?? path.endIndex
            guard end > path.startIndex else { return nil }
            return .endpoint(scheme: scheme, .unix(path: String(path[..<end])))
        }
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        if let upstream = upstreams[authority.lowercased()] {
            return .upstream(scheme: scheme, name: String(authority), servers: upstream.servers)
        }
        guard let endpoint = endpoint(authority, defaultPort: defaultPort) else { return nil }
        return .endpoint(scheme: scheme, endpoint)
    }

    /// `http://x` → (`http`, `x`); `nil` when there is no `scheme://`.
    private static func splitScheme(_ text: Substring) -> (Substring, Substring)? {
        guard let colon = text.firstIndex(of: ":") else { return nil }
        let after = text[text.index(after: colon)...]
        guard after.hasPrefix("//"), colon > text.startIndex,
              text[..<colon].utf8.allSatisfy({ ($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x7A }) else { return nil }
        return (text[..<colon], after.dropFirst(2))
    }
}
