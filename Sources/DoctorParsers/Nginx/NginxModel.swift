import DoctorFacts

/// What an nginx configuration means for diagnosis: its routes, listening
/// addresses, worker user, logs and upstream groups.
public struct NginxModel: Hashable, Sendable {
    /// One per pass directive (`proxy_pass`, `uwsgi_pass`, `fastcgi_pass`, `grpc_pass`,
    /// `scgi_pass`) in an `http` server, in file order.
    public var routes: [Route]
    /// Every `listen` of every `http`, `stream` and `mail` server. An `http` server with
    /// no `listen` gets the implicit one nginx uses: raw `80`, bound to `0.0.0.0:80`,
    /// with the `server` line as its source.
    public var listens: [ListenDirective]
    /// The main-context `user`; `nil` when absent (nginx then runs workers as `nobody`
    /// when started as root, or keeps the current user otherwise).
    public var user: NginxUser?
    /// Every `error_log`, anywhere; paths resolved against the prefix, level (default
    /// `error`) as qualifier. `stderr`, `syslog:…` and `memory:…` are kept as written.
    /// When none is written nginx uses its compiled-in path (`NginxBuildInfo.errorLogPath`).
    public var errorLogs: [LogFileDirective]
    /// Every `access_log` in `http`; format name (default `combined`) as qualifier,
    /// `off` and `syslog:…` kept as written.
    public var accessLogs: [LogFileDirective]
    /// The `pid` file, resolved against the prefix; `nil` when not set in the config.
    public var pidFile: String?
    public var pidFileSource: SourceLocation?
    /// `log_format` name → format string (parts joined), always holding `combined`.
    public var logFormats: [String: String]
    /// `upstream` name (as written) → its servers.
    public var upstreams: [String: [UpstreamServer]]
    /// Every `resolver` directive, so a variable target without one can be flagged.
    public var resolvers: [SourceLocation]
    /// The loader's diagnostics, then problems met while interpreting directives
    /// (an unparseable `listen` or pass target).
    public var diagnostics: [ConfigDiagnostic]

    /// nginx's built-in `combined` access log format.
    public static let combinedLogFormat =
        #"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent""#

    public init(routes: [Route] = [], listens: [ListenDirective] = [], user: NginxUser? = nil,
                errorLogs: [LogFileDirective] = [], accessLogs: [LogFileDirective] = [],
                pidFile: String? = nil, pidFileSource: SourceLocation? = nil,
                logFormats: [String: String] = ["combined": NginxModel.combinedLogFormat],
                upstreams: [String: [UpstreamServer]] = [:], resolvers: [SourceLocation] = [],
                diagnostics: [ConfigDiagnostic] = []) {
        self.routes = routes
        self.listens = listens
        self.user = user
        self.errorLogs = errorLogs
        self.accessLogs = accessLogs
        self.pidFile = pidFile
        self.pidFileSource = pidFileSource
        self.logFormats = logFormats
        self.upstreams = upstreams
        self.resolvers = resolvers
        self.diagnostics = diagnostics
    }

    /// Interprets a loaded configuration. `prefix` is nginx's `-p` prefix (or the
    /// compiled-in `--prefix`), which relative log and pid paths resolve against.
    public static func build(config: NginxConfig, prefix: String) -> NginxModel {
        var builder = NginxModelBuilder(prefix: prefix)
        builder.model.diagnostics = config.diagnostics
        builder.collectUpstreams(config.directives)
        builder.walkMain(config.directives)
        return builder.model
    }
}
