import DoctorFacts
import DoctorHost

/// One step of a repair plan. Steps are shown before anything runs; only
/// `gwdoctor fix --apply` carries them out (see DESIGN.md, safety rules), each behind
/// its guard, and each followed by a fresh gather that probes the affected routes.
public enum RemedyStep: Hashable, Sendable {
    /// A change a person must make (edit a config line, set an env var, change a group);
    /// printed with the exact edit or command, never applied.
    case manual(description: String, commands: [String])
    /// Restart one app service that its manager reports down (never the proxy). Guarded by
    /// the restart budget; verified by probing `routes` directly, then through the proxy.
    case restartService(ServiceRef, reason: String, routes: [String])
    /// Remove a stale unix socket (a socket file nothing listens on), then start its service.
    /// Guarded right before the unlink: the path is still a socket, no process listens on it
    /// (listener table read again), and the service is still down.
    case removeStaleSocket(path: String, service: ServiceRef, routes: [String])
    /// Run the proxy's config test as the running master would read it; reload the master
    /// (nginx: SIGHUP to its pid; Caddy: `caddy reload` through its own admin endpoint, and
    /// with `admin off` no automatic reload at all) only if it passes. A failing test stops
    /// the plan and shows its error.
    case validateThenReload(ProxyReload)
}

/// What a proxy reload needs: the running master and how it reads its config.
public struct ProxyReload: Hashable, Codable, Sendable {
    public var proxy: ProxyKind
    public var configPath: String
    public var prefix: String?
    public var masterPID: Int
    /// The master's command line, for the test's `-p/-c/-g/-e`.
    public var masterCommandLine: [String]
    /// What the diagnosis's own test said (`nil` when it did not run), to show in the plan.
    public var lastTest: String?
    /// Caddy's `--adapter` (`caddyfile`); `nil` for nginx.
    public var adapter: String?

    public init(proxy: ProxyKind, configPath: String, prefix: String?, masterPID: Int, masterCommandLine: [String],
                lastTest: String? = nil, adapter: String? = nil) {
        self.proxy = proxy
        self.configPath = configPath
        self.prefix = prefix
        self.masterPID = masterPID
        self.masterCommandLine = masterCommandLine
        self.lastTest = lastTest
        self.adapter = adapter
    }

    /// The test run right before the reload (`nginx -t -q -p … -c …`, `caddy validate --config F --adapter A`).
    public var configTest: AllowedCommand {
        if proxy == .caddy {
            return AllowedCommand.caddyValidate(executable: caddyExecutable, config: configPath, adapter: adapter ?? "caddyfile")
        }
        return AllowedCommand.nginxConfigTest(masterCommandLine: masterCommandLine, config: configPath, prefix: prefix)
    }

    /// The running Caddy's binary when its command line names it by absolute path.
    public var caddyExecutable: String? {
        CaddyReloadAccess.running(masterCommandLine)?.executable
    }

    /// How the reload is written for a person: `kill -HUP PID` for nginx; for Caddy the
    /// `caddy reload` gwdoctor runs only when the admin endpoint is tied to this pid.
    public var reloadCommandLine: String {
        if proxy == .caddy {
            // Written as AllowedCommand runs it: a JSON config takes no --adapter (Caddy 2.6 has no json adapter).
            let adapterText = adapter == "json" ? "" : " --adapter \(adapter ?? "caddyfile")"
            return "\(caddyExecutable ?? "caddy") reload --config \(configPath)\(adapterText) --address <its admin address>"
        }
        return "kill -HUP \(masterPID)"
    }
}

extension RemedyStep {
    /// Stable kebab-case kind, used in JSON output and the audit log.
    public var kind: String {
        switch self {
        case .manual: "manual"
        case .restartService: "restart-service"
        case .removeStaleSocket: "remove-stale-socket"
        case .validateThenReload: "validate-then-reload"
        }
    }

    /// Whether `--apply` carries it out (everything but `manual`).
    public var isAutomatic: Bool {
        if case .manual = self { return false }
        return true
    }

    /// Text for the plan listing.
    public var summary: String {
        switch self {
        case let .manual(description, _):
            description
        case let .restartService(service, reason, _):
            "restart \(service) (\(reason))"
        case let .removeStaleSocket(path, service, _):
            "remove the stale socket \(path), then start \(service)"
        case let .validateThenReload(reload) where reload.proxy == .caddy:
            "test caddy config \(reload.configPath) with `caddy validate` as caddy pid \(reload.masterPID) would load it; reload only if it passes"
        case let .validateThenReload(reload):
            "test \(reload.proxy.rawValue) config \(reload.configPath) as master \(reload.masterPID) reads it; reload only if it passes"
        }
    }

    /// What it would run, as a person would type it; for a manual step, the commands or edits to make.
    public var commands: [String] {
        switch self {
        case let .manual(_, commands):
            commands
        case let .restartService(service, _, _):
            [service.commandLine(.restart)]
        case let .removeStaleSocket(path, service, _):
            ["rm \(path)", service.commandLine(.start)]
        case let .validateThenReload(reload):
            [reload.configTest.argv.joined(separator: " "), reload.reloadCommandLine]
        }
    }

    /// The guards checked right before it runs, in words.
    public var guards: [String] {
        switch self {
        case .manual:
            return ["never applied by gwdoctor: review and make this change yourself"]
        case let .restartService(service, _, _):
            return ["\(service) must still be down", "restart budget: at most \(RestartBudget.defaultLimit) restarts per \(Int(RestartBudget.defaultWindow / 60)) min",
             "then: probe the route directly, then through the proxy; stop if it still fails"]
        case let .removeStaleSocket(path, service, _):
            return ["\(path) must still be a socket", "no process may listen on it (listener table read again just before)",
             "\(service) must be down", "restart budget applies to the start",
             "then: probe the route directly, then through the proxy; stop if it still fails"]
        case let .validateThenReload(reload) where reload.proxy == .caddy:
            var guards = ["caddy pid \(reload.masterPID) must still run the same command line",
                          "`caddy validate` must pass, else the plan stops and shows its error (nothing is reloaded)",
                          "the reload goes only to an admin endpoint that pid \(reload.masterPID) holds; with `admin off` nothing is reloaded "
                              + "and the restart of Caddy is left to you (gwdoctor never restarts the proxy)"]
            if let lastTest = reload.lastTest { guards.append("the diagnosis's test said: \(lastTest)") }
            return guards
        case let .validateThenReload(reload):
            var guards = ["master \(reload.masterPID) must still run", "the config test must pass, else the plan stops and shows its error"]
            if let lastTest = reload.lastTest { guards.append("the diagnosis's test said: \(lastTest)") }
            return guards
        }
    }

    /// The routes (`Route.label`) whose health verifies this step; empty means every route.
    public var routes: [String] {
        switch self {
        case let .restartService(_, _, routes), let .removeStaleSocket(_, _, routes): routes
        case .manual, .validateThenReload: []
        }
    }
}
