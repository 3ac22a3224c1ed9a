import DoctorFacts

/// A proxy's `transport http { … }` / `transport fastcgi { … }` block: the protocol and
/// the timeouts that decide when Caddy gives up on an upstream (a 502 on dial, a 504 on
/// headers).
public struct CaddyTransport: Hashable, Codable, Sendable {
    /// `http` or `fastcgi` (`http` when no transport is written; `fastcgi` for `php_fastcgi`).
    public var protocolName: String
    /// Its subdirectives as written (`dial_timeout 3s`, `response_header_timeout 30s`,
    /// `read_timeout`, `write_timeout`, `keepalive`, `tls`, …), each with file:line.
    public var settings: [CaddySetting]
    /// The `transport` line; nil when none was written.
    public var source: SourceLocation?

    public init(protocolName: String = "http", settings: [CaddySetting] = [], source: SourceLocation? = nil) {
        self.protocolName = protocolName
        self.settings = settings
        self.source = source
    }

    /// The last subdirective called `name` (Caddy keeps the last one written).
    public func setting(_ name: String) -> CaddySetting? { settings.last { $0.name == name } }

    public var dialTimeout: CaddySetting? { setting("dial_timeout") }
    public var responseHeaderTimeout: CaddySetting? { setting("response_header_timeout") }
    public var readTimeout: CaddySetting? { setting("read_timeout") }
    public var writeTimeout: CaddySetting? { setting("write_timeout") }
    public var keepalive: CaddySetting? { setting("keepalive") }
}
