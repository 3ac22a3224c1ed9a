import DoctorFacts

/// The Caddyfile's global options block (`{ admin off; http_port 8080; … }`), the parts
/// that decide where Caddy listens, whether it can be asked for its live config, and
/// where it logs.
public struct CaddyGlobalOptions: Hashable, Codable, Sendable {
    /// `admin off`: no admin endpoint, so `caddy reload`/`caddy stop` cannot reach it and
    /// the live config cannot be read from `:2019/config/`.
    public var adminDisabled: Bool
    /// `admin ADDRESS` as written (`localhost:2019`, `unix//run/caddy-admin.sock`); nil when
    /// not written (Caddy's default is `localhost:2019`).
    public var adminAddress: String?
    /// `http_port N` (default 80).
    public var httpPort: Int?
    /// `https_port N` (default 443).
    public var httpsPort: Int?
    /// `auto_https off|disable_redirects|disable_certs|ignore_loaded_certs` as written.
    public var autoHTTPS: String?
    /// `default_bind` hosts, applied to sites that have no `bind` of their own.
    public var defaultBind: [String]
    /// Global `log { … }` blocks (Caddy's runtime log, where dial errors go unless a site
    /// logs elsewhere).
    public var logs: [CaddyLogOutput]
    /// The line of the opening `{`; nil when the file has no global block.
    public var source: SourceLocation?
    /// Every global option as written (name, arguments, file:line), including those with a
    /// field of their own above, so nothing read is lost.
    public var options: [CaddySetting]

    public init(adminDisabled: Bool = false, adminAddress: String? = nil, httpPort: Int? = nil,
                httpsPort: Int? = nil, autoHTTPS: String? = nil, defaultBind: [String] = [],
                logs: [CaddyLogOutput] = [], source: SourceLocation? = nil, options: [CaddySetting] = []) {
        self.adminDisabled = adminDisabled
        self.adminAddress = adminAddress
        self.httpPort = httpPort
        self.httpsPort = httpsPort
        self.autoHTTPS = autoHTTPS
        self.defaultBind = defaultBind
        self.logs = logs
        self.source = source
        self.options = options
    }
}
