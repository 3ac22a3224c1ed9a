/// One running (or configured) reverse proxy and what its configuration says about it.
public struct ProxyInstance: Hashable, Codable, Sendable {
    public var kind: ProxyKind
    /// The main configuration file, absolute.
    public var configPath: String
    /// The prefix relative paths resolve against (nginx `-p`, else `--nginx-prefix`, else compiled-in).
    public var prefix: String?
    /// The master process when the proxy runs; `nil` means no master process was found for this config.
    public var masterPID: Int?
    public var workerPIDs: [Int]
    /// The master's command line, kept so a config test can reuse its `-p/-c/-g`.
    public var masterCmdline: [String]
    /// The worker user from the config (`user www-data;`) or from the worker processes.
    public var workerUser: String?
    public var workerGroup: String?
    public var workerUserSource: SourceLocation?
    /// Every `listen` of every server block.
    public var listens: [ListenDirective]
    public var errorLogs: [LogFileDirective]
    public var accessLogs: [LogFileDirective]
    /// `log_format` name → format string, so access logs can be parsed later.
    public var logFormats: [String: String]
    /// Problems met while reading the configuration (missing includes, cycles, syntax).
    public var diagnostics: [ConfigDiagnostic]
    /// The proxy's own configuration test (`nginx -t`), when it could be run.
    public var configTest: ConfigTest?
    /// When the running workers loaded the config, and which config files changed on disk
    /// since; `nil` when no master runs, the workers' start is unknown (an older snapshot),
    /// or for Caddy (which reloads through its API without new processes).
    public var generation: ConfigGeneration? = nil
    /// Caddy: the adapter its config is read with (`caddyfile`, `json`) — not always the
    /// command line's: `--resume` runs autosave.json whatever `--adapter` says. `nil` for nginx
    /// and in older snapshots.
    public var configAdapter: String? = nil

    public init(kind: ProxyKind, configPath: String, prefix: String? = nil, masterPID: Int? = nil,
                workerPIDs: [Int] = [], masterCmdline: [String] = [], workerUser: String? = nil,
                workerGroup: String? = nil, workerUserSource: SourceLocation? = nil,
                listens: [ListenDirective] = [], errorLogs: [LogFileDirective] = [],
                accessLogs: [LogFileDirective] = [], logFormats: [String: String] = [:],
                diagnostics: [ConfigDiagnostic] = [], configTest: ConfigTest? = nil) {
        self.kind = kind
        self.configPath = configPath
        self.prefix = prefix
        self.masterPID = masterPID
        self.workerPIDs = workerPIDs
        self.masterCmdline = masterCmdline
        self.workerUser = workerUser
        self.workerGroup = workerGroup
        self.workerUserSource = workerUserSource
        self.listens = listens
        self.errorLogs = errorLogs
        self.accessLogs = accessLogs
        self.logFormats = logFormats
        self.diagnostics = diagnostics
        self.configTest = configTest
    }
}

/// One `listen` directive, parsed.
public struct ListenDirective: Hashable, Codable, Sendable {
    /// The value as written (`80`, `[::]:443 ssl`, `unix:/run/nginx.sock`).
    public var raw: String
    /// The address it binds; `nil` when it could not be parsed.
    public var endpoint: Endpoint?
    public var source: SourceLocation

    public init(raw: String, endpoint: Endpoint?, source: SourceLocation) {
        self.raw = raw
        self.endpoint = endpoint
        self.source = source
    }
}

/// An `error_log` or `access_log` directive with its resolved path.
public struct LogFileDirective: Hashable, Codable, Sendable {
    /// Absolute path after prefix resolution, or a special target (`syslog:…`, `stderr`, `off`).
    public var path: String
    /// Level for error logs, format name for access logs.
    public var qualifier: String?
    public var source: SourceLocation?

    public init(path: String, qualifier: String? = nil, source: SourceLocation? = nil) {
        self.path = path
        self.qualifier = qualifier
        self.source = source
    }

    /// Whether this names a file gwdoctor can read (not syslog, stderr or off).
    public var isFile: Bool { path.hasPrefix("/") }
}
