import DoctorFacts

/// nginx's `upstream: "…"` value: scheme, the peer it tried, then the URI it sent.
///
/// nginx writes `schema + peer name + separator + uri`, where the separator is `:` only
/// while the peer's address is still attached to the request
/// (`http://unix:/run/app.sock:/health/`); after a read timeout it is gone
/// (`http://unix:/run/app.sock/health/`, observed with nginx 1.22.1), so where a socket
/// path ends has to be worked out. A peer without a port (`http://backend/…`) is an
/// upstream group's name (`no live upstreams`) or an unresolved host, not an address.
struct NginxErrorLogUpstream: Equatable {
    /// The peer it tried, when the text names one.
    var endpoint: Endpoint?
    /// Scheme and peer without the URI (`http://127.0.0.1:8000`, `uwsgi://unix:/run/u.sock`),
    /// which is what events are counted by when there is no endpoint.
    var target: String
    /// The text with its URI redacted (the URI carries the client's query string).
    var redacted: String

    init(_ text: String, requestURI: String?) {
        var rest = Substring(text)
        var scheme = ""
        if let separator = rest.firstRange(of: "://"),
           rest[..<separator.lowerBound].allSatisfy({ $0.isASCII && $0.isLetter }), separator.lowerBound > rest.startIndex {
            scheme = String(rest[..<separator.upperBound])
            rest = rest[separator.upperBound...]
        }
        let peerEnd: Substring.Index
        let uriStart: Substring.Index
        if rest.hasPrefix("unix:") {
            let path = Self.socketPath(rest, requestURI: requestURI)
            endpoint = path.isEmpty ? nil : .unix(path: String(path))
            peerEnd = path.endIndex
            uriStart = peerEnd < rest.endIndex && rest[peerEnd] == ":" ? rest.index(after: peerEnd) : peerEnd
        } else {
            peerEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
            uriStart = peerEnd
            endpoint = Self.address(rest[..<peerEnd])
        }
        target = scheme + rest[..<peerEnd]
        redacted = scheme + rest[..<uriStart] + Redactor.redact(String(rest[uriStart...]))
    }

    /// `host:port` or `[v6]:port` with a port; anything else names no address.
    private static func address(_ authority: Substring) -> Endpoint? {
        let hasPort: Bool
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            hasPort = authority[close...].hasPrefix("]:")
        } else {
            hasPort = authority.contains(":")
        }
        guard hasPort else { return nil }
        return NginxAddress.endpoint(String(authority), defaultPort: 0)
    }

    /// The socket path in `unix:/P…`: before the `:` separator when there is one; else the
    /// text before the request's URI when it ends with it; else up to a `.sock` or
    /// `.socket` component; else all of it.
    private static func socketPath(_ rest: Substring, requestURI: String?) -> Substring {
        let afterScheme = rest.dropFirst(5)
        if let requestURI, !requestURI.isEmpty, afterScheme.hasSuffix(requestURI) {
            var path = afterScheme.dropLast(requestURI.count)
            if path.hasSuffix(":") { path = path.dropLast() }
            if !path.isEmpty, !path.contains(":") { return path }
        }
        if let colon = afterScheme.firstIndex(of: ":") { return afterScheme[..<colon] }
        for suffix in [".sock/", ".socket/", ".sock?", ".socket?"] {
            if let range = afterScheme.firstRange(of: suffix) {
                return afterScheme[..<afterScheme.index(before: range.upperBound)]
            }
        }
        return afterScheme
    }
}
