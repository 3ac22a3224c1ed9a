/// One site address taken apart the way Caddy reads it: `[scheme://]host[:port][/path]`.
///
/// `localhost`, `example.com` → https on 443 (Caddy's automatic HTTPS, still 443 with
/// `auto_https off`); `http://a.test` → 80; `:8080` → every host on 8080 (https only if the
/// port is the HTTPS port). The listen port is `port`, else the scheme's (`http_port` /
/// `https_port` when the global options change them).
public struct CaddySiteAddress: Hashable, Codable, Sendable, CustomStringConvertible {
    /// As written.
    public var written: String
    /// `http`, `https`, or nil when not written.
    public var scheme: String?
    /// Host (or wildcard `*.example.com`); empty for `:8080`. IPv6 without brackets.
    public var host: String
    /// The port written, if any.
    public var port: Int?
    /// A path after the host (`example.com/api*`), rare but legal; nil when none.
    public var path: String?

    public init(parsing text: String) {
        written = text
        var rest = Substring(text)
        if let range = rest.range(of: "://") {
            scheme = rest[..<range.lowerBound].lowercased()
            rest = rest[range.upperBound...]
        } else {
            scheme = nil
        }
        if let slash = rest.firstIndex(of: "/") {
            path = String(rest[slash...])
            rest = rest[..<slash]
        } else {
            path = nil
        }
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
            host = String(rest[rest.index(after: rest.startIndex)..<close])
            let after = rest[rest.index(after: close)...]
            port = after.hasPrefix(":") ? Int(after.dropFirst()) : nil
        } else if let colon = rest.lastIndex(of: ":"), rest.firstIndex(of: ":") == colon {
            host = String(rest[..<colon])
            port = Int(rest[rest.index(after: colon)...])
        } else {
            host = String(rest)
            port = nil
        }
    }

    /// The port Caddy listens on for this address.
    public func listenPort(httpPort: Int? = nil, httpsPort: Int? = nil) -> Int {
        if let port { return port }
        let http = httpPort ?? 80
        let https = httpsPort ?? 443
        return scheme == "http" ? http : https
    }

    /// Whether requests on this address are served over TLS: the scheme when written;
    /// else plain HTTP on the HTTP port or for a host-less address (no name to get a
    /// certificate for) off the HTTPS port; TLS otherwise, as Caddy's automatic HTTPS does.
    public func isHTTPS(httpPort: Int? = nil, httpsPort: Int? = nil) -> Bool {
        if let scheme { return scheme == "https" }
        guard let port else { return true }
        if port == (httpPort ?? 80) { return false }
        if host.isEmpty { return port == (httpsPort ?? 443) }
        return true
    }

    public var description: String { written }
}
