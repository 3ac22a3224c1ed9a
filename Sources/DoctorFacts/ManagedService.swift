import Foundation

/// A service that runs (or should run) an app server, as its manager sees it:
/// a supervisord program, a systemd unit, or a bare process with no manager.
public struct ManagedService: Hashable, Codable, Sendable {
    /// `supervisor`, `systemd`, or `none`.
    public var manager: String
    /// The program or unit name (`app`, `gunicorn.service`).
    public var name: String
    /// The manager's state word (`RUNNING`, `FATAL`, `BACKOFF`, `active`, `failed`), when known.
    public var state: String?
    /// The manager's description of that state (`Exited too quickly (process log may have details)`).
    public var stateDetail: String?
    public var pid: Int?
    /// The command it runs, redacted.
    public var command: [String]
    /// Where the app server says it binds, read from that command.
    public var binds: [AppServerBind]
    /// The logs read for it (stdout/stderr files, an `--error-logfile`).
    public var logFiles: [String]
    /// Boot failures found in those logs inside the window, oldest first.
    public var startupFailures: [StartupFailure]
    /// Where it is defined (`/etc/supervisor/conf.d/app.conf:1`).
    public var source: String?
    /// Its start settings resolved against the host, for the static unit and env checks.
    public var definition: ServiceDefinition?
    /// Restarts the manager counted (systemd `NRestarts`), when it counts them.
    public var restarts: Int?
    /// systemd `Result=` (`success`, `exit-code`, `signal`, `oom-kill`, `start-limit-hit`, `timeout`).
    public var result: String?
    /// The main process's last exit status (systemd `ExecMainStatus`, supervisor's `exit status N`).
    public var exitStatus: Int?
    /// When the manager last saw it become active / inactive.
    public var activeSince: Date?
    public var inactiveSince: Date?
    /// Its processes killed in the window (OOM, worker timeout, signal), oldest first.
    public var kills: [WorkerKill] = []
    /// The manager's own config that controls it: the supervisord.conf that `supervisorctl -c`
    /// was given to read its status (so `gwdoctor fix` starts it through the same supervisord).
    /// `nil` for systemd units and bare processes.
    public var managerConfig: String? = nil

    public init(manager: String, name: String, state: String? = nil, stateDetail: String? = nil, pid: Int? = nil,
                command: [String] = [], binds: [AppServerBind] = [], logFiles: [String] = [],
                startupFailures: [StartupFailure] = [], source: String? = nil) {
        self.manager = manager
        self.name = name
        self.state = state
        self.stateDetail = stateDetail
        self.pid = pid
        self.command = command
        self.binds = binds
        self.logFiles = logFiles
        self.startupFailures = startupFailures
        self.source = source
        self.definition = nil
    }

    /// Whether the manager says it is up (supervisor `RUNNING`, systemd `active`; `running`
    /// for a bare process found in the process table).
    public var isRunning: Bool { state == "RUNNING" || state == "active" || state == "running" }
}
