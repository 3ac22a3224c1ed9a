/// What to gather and how hard to try.
public struct GatherOptions: Sendable {
    /// `--nginx-conf`: diagnose the nginx that runs this config (or this config if none runs).
    public var nginxConfig: String?
    /// `--nginx-prefix`: prefix for relative paths when no running master says (`-p`).
    public var nginxPrefix: String?
    /// `--caddyfile`: diagnose the Caddy that runs this config (or this config if none runs).
    /// With only one of `nginxConfig` / `caddyfile` given, the other proxy is not looked for.
    public var caddyfile: String? = nil
    /// Run the proxy's config test (`nginx -t`). `routes` skips it: it only needs the model.
    public var runConfigTest: Bool
    /// Ask `nginx -V` for compiled-in paths when no master gives them. `routes` skips it:
    /// routes need no prefix, and a subprocess costs more than the rest of a small gather.
    public var resolveCompiledPaths: Bool
    /// Gather what only a diagnosis needs (socket walks, log windows, service managers);
    /// `routes` needs none of it.
    public var forDiagnosis: Bool = true
    /// Probe routes directly and through the proxy (`--no-probe` turns it off).
    public var probe: Bool
    /// How far back logs are read (`--since`), in seconds.
    public var sinceSeconds: Int
    /// Deadline for each external command.
    public var commandTimeout: Duration
    /// Cap on each command's captured output.
    public var commandOutputLimit: Int
    /// `--compose-file` (repeatable): compose files (or directories holding one) to diagnose,
    /// besides those the engine's labels name and those found next to the proxy config.
    public var composeFiles: [String] = []

    public init(nginxConfig: String? = nil, nginxPrefix: String? = nil, runConfigTest: Bool = true,
                resolveCompiledPaths: Bool = true, probe: Bool = false, sinceSeconds: Int = 900, commandTimeout: Duration = .seconds(10), commandOutputLimit: Int = 64 * 1024) {
        self.nginxConfig = nginxConfig
        self.nginxPrefix = nginxPrefix
        self.runConfigTest = runConfigTest
        self.resolveCompiledPaths = resolveCompiledPaths
        self.probe = probe
        self.sinceSeconds = sinceSeconds
        self.commandTimeout = commandTimeout
        self.commandOutputLimit = commandOutputLimit
    }
}
