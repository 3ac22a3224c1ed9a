import DoctorFacts

/// What a Caddyfile says, read without running Caddy: the global options, every site
/// block with its proxies (file:line on each), and the problems met on the way.
///
/// It is the Caddyfile as written, after snippets, `import`s and env-placeholder
/// defaults are expanded; it is not Caddy's adapted JSON (see `CaddyJSONConfig` for that,
/// and `CaddyConfigComparison` to cross-check the two).
public struct CaddyConfig: Hashable, Codable, Sendable {
    /// The `{ … }` block at the top of the main file, or defaults when there is none.
    public var global: CaddyGlobalOptions
    /// Site blocks in file order (imports spliced where they are written).
    public var sites: [CaddySite]
    /// Missing imports, import cycles, syntax errors, binary or oversized files.
    public var diagnostics: [ConfigDiagnostic]
    /// Every file that was read, the main file first.
    public var files: [String]

    public init(global: CaddyGlobalOptions = CaddyGlobalOptions(), sites: [CaddySite] = [],
                diagnostics: [ConfigDiagnostic] = [], files: [String] = []) {
        self.global = global
        self.sites = sites
        self.diagnostics = diagnostics
        self.files = files
    }

    /// Every proxy of every site, in file order.
    public var proxyHandlers: [CaddyProxyHandler] { sites.flatMap(\.handlers) }
}
