import Foundation

/// Everything gathered from one host (live or snapshot), typed. Checks read only this.
public struct Facts: Codable, Sendable {
    /// When the facts were gathered; on a snapshot, when it was captured.
    public var gatheredAt: Date
    /// `true` when read from a snapshot directory rather than this machine.
    public var fromSnapshot: Bool
    public var proxies: [ProxyInstance]
    public var routes: [Route]
    public var processes: [ProcessRecord]
    public var listeners: [Listener]
    public var probes: [ProbeResult]
    /// App servers (gunicorn, uvicorn, uwsgi, …) found in the process table.
    public var appServers: [AppServer]
    /// Direct and through-the-proxy probes per route (empty with `--no-probe` or on a snapshot without them).
    public var routeProbes: [RouteProbe]
    /// For every unix-socket target: can the proxy's worker user reach it.
    public var socketAccess: [SocketAccess]
    /// What sits at every unix-socket target path (`missing` when nothing does).
    public var socketFiles: [String: FileKind]
    /// Services (supervisord programs, systemd units, bare app servers) with their state and boot failures.
    public var services: [ManagedService] = []
    /// The kernel OOM killer's kills in the window (`dmesg`), whether or not a service claims them;
    /// `nil` when the kernel log could not be read (then a bare Gunicorn SIGKILL stays unexplained).
    public var kernelOOMKills: [WorkerKill]? = nil
    /// Capistrano/Deployer-style deploy roots (`releases/<id>`, `current`) the app servers and services run from.
    public var releases: [ReleaseLayout] = []
    /// Filesystems holding the stack's logs, sockets, working and temp directories, each once.
    public var filesystems: [FilesystemUsage] = []
    /// /proc/meminfo and pressure stall figures; `nil` when unreadable (see `unavailable`).
    public var memory: MemoryStatus? = nil
    /// Docker Compose projects found (`--compose-file`, engine labels, next to the proxy config, conventional places).
    public var composeProjects: [ComposeProject] = []
    /// The proxy error logs' windows.
    public var errorLogs: [ErrorLogWindow]
    /// The proxy access logs' windows: status counts per route and upstream, failure times, per-minute series.
    public var accessLogs: [AccessLogWindow] = []
    /// How far back logs were read.
    public var windowStart: Date?
    /// Facts that could not be read, and why.
    public var unavailable: [Unavailable]

    public init(gatheredAt: Date = Date(), fromSnapshot: Bool = false, proxies: [ProxyInstance] = [],
                routes: [Route] = [], processes: [ProcessRecord] = [], listeners: [Listener] = [],
                probes: [ProbeResult] = [], appServers: [AppServer] = [], routeProbes: [RouteProbe] = [],
                socketAccess: [SocketAccess] = [], socketFiles: [String: FileKind] = [:], errorLogs: [ErrorLogWindow] = [],
                windowStart: Date? = nil, unavailable: [Unavailable] = []) {
        self.gatheredAt = gatheredAt
        self.fromSnapshot = fromSnapshot
        self.proxies = proxies
        self.routes = routes
        self.processes = processes
        self.listeners = listeners
        self.probes = probes
        self.appServers = appServers
        self.routeProbes = routeProbes
        self.socketAccess = socketAccess
        self.socketFiles = socketFiles
        self.errorLogs = errorLogs
        self.windowStart = windowStart
        self.unavailable = unavailable
    }

    /// The process with this pid, if it was in the table.
    public func process(_ pid: Int) -> ProcessRecord? {
        processes.first { $0.pid == pid }
    }
}
