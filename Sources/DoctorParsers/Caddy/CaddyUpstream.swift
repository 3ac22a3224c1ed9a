import DoctorFacts

/// One upstream address of a proxy (`localhost:8000`, `unix//run/app.sock`,
/// `http://10.0.0.2:8000`, `{$APP_ADDR}`) and where it connects.
public struct CaddyUpstream: Hashable, Codable, Sendable {
    /// As written in the file, before env placeholders are substituted.
    public var raw: String
    /// Where Caddy dials: TCP host:port (a missing port defaults from the scheme: 80 for
    /// http/h2c/none, 443 for https) or a unix socket path. nil when it holds a placeholder
    /// the parser cannot resolve (`{$APP_ADDR}` without default, `{http.request.host}`).
    public var endpoint: Endpoint?
    public var source: SourceLocation
    /// The scheme written (`http`, `https`, `h2c`); nil when none.
    public var scheme: String?

    public init(raw: String, endpoint: Endpoint?, source: SourceLocation, scheme: String? = nil) {
        self.raw = raw
        self.endpoint = endpoint
        self.source = source
        self.scheme = scheme
    }
}
