import DoctorFacts

/// Addresses as nginx writes them in `listen`, upstream `server` and `*_pass`.
///
/// Parsed on UTF-8 bytes: one call per route and per upstream server, thousands per config.
enum NginxAddress {
    /// `unix:/path`, `[v6]:port`, `[v6]`, `host:port`, `host` (with `defaultPort`);
    /// with `bareNumberIsPort` (listen), `8080` means every IPv4 address on port 8080.
    /// `*` stands for every address and is written `0.0.0.0`. `nil` when malformed.
    static func endpoint(_ text: String, defaultPort: Int, bareNumberIsPort: Bool = false) -> Endpoint? {
        var text = text
        return text.withUTF8 { endpoint(bytes: $0, defaultPort: defaultPort, bareNumberIsPort: bareNumberIsPort) }
    }

    private static func endpoint(bytes: UnsafeBufferPointer<UInt8>, defaultPort: Int, bareNumberIsPort: Bool) -> Endpoint? {
        if hasPrefix(bytes, "unix:") {
            return bytes.count > 5 ? .unix(path: string(bytes, 5, bytes.count)) : nil
        }
        if bytes.first == NginxByte.openBracket {
            guard let close = bytes.firstIndex(of: NginxByte.closeBracket), close > 1 else { return nil }
            let host = string(bytes, 1, close)
            if close + 1 == bytes.count { return .tcp(host: host, port: defaultPort) }
            guard bytes[close + 1] == NginxByte.colon, let port = port(bytes, close + 2, bytes.count) else { return nil }
            return .tcp(host: host, port: port)
        }
        if bareNumberIsPort, let port = port(bytes, 0, bytes.count) { return .tcp(host: "0.0.0.0", port: port) }
        var colon: Int?
        for index in bytes.indices where bytes[index] == NginxByte.colon {
            guard colon == nil else { return nil } // an IPv6 address must be bracketed
            colon = index
        }
        let hostEnd = colon ?? bytes.count
        guard hostEnd > 0 else { return nil }
        var portNumber = defaultPort
        if let colon {
            guard let parsed = port(bytes, colon + 1, bytes.count) else { return nil }
            portNumber = parsed
        }
        let host = hostEnd == 1 && bytes[0] == UInt8(ascii: "*") ? "0.0.0.0" : string(bytes, 0, hostEnd)
        return .tcp(host: host, port: portNumber)
    }

    /// A decimal port 1–65535 in `bytes[start..<end]`.
    private static func port(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Int? {
        guard end > start, end - start <= 5 else { return nil }
        var value = 0
        for index in start..<end {
            let digit = Int(bytes[index]) - 0x30
            guard digit >= 0, digit <= 9 else { return nil }
            value = value * 10 + digit
        }
        return value >= 1 && value <= 65535 ? value : nil
    }

    /// What a pass directive (`proxy_pass`, `uwsgi_pass`, …) points at; `nil` when malformed.
    /// `upstreams` maps lower-cased group names (nginx compares them case-insensitively).
    static func passTarget(directive: String, argument: String,
                           upstreams: [String: (name: String, servers: [UpstreamServer])]) -> RouteTarget? {
        if argument.utf8.contains(NginxByte.dollar) { return .variable(raw: argument) }
        var argument = argument
        return argument.withUTF8 { bytes -> RouteTarget? in
            var scheme: String
            var start = 0
            if let separator = schemeEnd(bytes) {
                scheme = string(bytes, 0, separator).lowercased()
                start = separator + 3
            } else {
                switch directive {
                case "uwsgi_pass": scheme = "uwsgi"
                case "fastcgi_pass": scheme = "fastcgi"
                case "scgi_pass": scheme = "scgi"
                case "grpc_pass": scheme = "grpc"
                default: return nil // proxy_pass requires a scheme
                }
            }
            let rest = UnsafeBufferPointer(rebasing: bytes[start...])
            if hasPrefix(rest, "unix:") {
                // `unix:/run/app.sock:/uri`: the path runs to the next colon.
                var end = 5
                while end < rest.count, rest[end] != NginxByte.colon { end += 1 }
                guard end > 5 else { return nil }
                return .endpoint(scheme: scheme, .unix(path: string(rest, 5, end)))
            }
            var authorityEnd = 0
            while authorityEnd < rest.count, rest[authorityEnd] != NginxByte.slash, rest[authorityEnd] != UInt8(ascii: "?") {
                authorityEnd += 1
            }
            let authority = UnsafeBufferPointer(rebasing: rest[..<authorityEnd])
            // Only a name without a port can be a group.
            if !authority.contains(NginxByte.colon) {
                let name = string(authority, 0, authority.count)
                if let upstream = upstreams[name] ?? upstreams[name.lowercased()] {
                    return .upstream(scheme: scheme, name: name, servers: upstream.servers)
                }
            }
            let defaultPort = scheme == "https" || scheme == "grpcs" ? 443 : 80
            guard let endpoint = endpoint(bytes: authority, defaultPort: defaultPort, bareNumberIsPort: false) else {
                return nil
            }
            return .endpoint(scheme: scheme, endpoint)
        }
    }

    /// Index of `://` after a run of letters (`http`, `grpcs`, `uwsgi`), if any.
    private static func schemeEnd(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        var index = 0
        while index < bytes.count, (bytes[index] | 0x20) >= UInt8(ascii: "a"), (bytes[index] | 0x20) <= UInt8(ascii: "z") {
            index += 1
        }
        guard index > 0, index + 2 < bytes.count, bytes[index] == NginxByte.colon,
              bytes[index + 1] == NginxByte.slash, bytes[index + 2] == NginxByte.slash else { return nil }
        return index
    }

    private static func hasPrefix(_ bytes: UnsafeBufferPointer<UInt8>, _ prefix: StaticString) -> Bool {
        let count = prefix.utf8CodeUnitCount
        guard bytes.count >= count else { return false }
        for index in 0..<count where bytes[index] != prefix.utf8Start[index] { return false }
        return true
    }

    private static func string(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
    }
}
