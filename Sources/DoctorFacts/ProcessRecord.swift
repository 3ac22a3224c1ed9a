/// One process from the process table (`/proc/PID`).
public struct ProcessRecord: Hashable, Codable, Sendable {
    public var pid: Int
    public var ppid: Int
    /// Real uid and gid; `nil` when `/proc/PID/status` was unreadable.
    public var uid: Int?
    public var gid: Int?
    /// Supplementary groups from `/proc/PID/status`.
    public var groups: [Int]
    /// Resolved user name, when /etc/passwd knows the uid.
    public var user: String?
    /// Arguments as the process set them (`nginx: worker process` rewrites argv).
    public var cmdline: [String]
    /// Short command name from `/proc/PID/comm`.
    public var comm: String
    /// Working directory (`/proc/PID/cwd`), when readable.
    public var cwd: String?
    /// Socket inodes this process holds open (from `/proc/PID/fd`), to map listeners to pids.
    public var socketInodes: [UInt64]
    /// The network namespace (`net:[4026531840]` from `/proc/PID/ns/net`), when readable:
    /// processes in different namespaces have different loopbacks, so a gunicorn on
    /// 127.0.0.1:8000 in one is not reachable at 127.0.0.1:8000 from another.
    public var netNamespace: String?
    /// When the process started, seconds since the epoch (`/proc/PID/stat` starttime on the
    /// boot clock, plus the boot time): nginx starts new workers on every reload that
    /// succeeds, so their start says when the running config was read. `nil` when unreadable
    /// and in snapshots taken before it was recorded.
    public var startedAt: Double?

    public init(pid: Int, ppid: Int, uid: Int? = nil, gid: Int? = nil, groups: [Int] = [], user: String? = nil,
                cmdline: [String], comm: String, cwd: String? = nil, socketInodes: [UInt64] = [],
                netNamespace: String? = nil, startedAt: Double? = nil) {
        self.pid = pid
        self.ppid = ppid
        self.uid = uid
        self.gid = gid
        self.groups = groups
        self.user = user
        self.cmdline = cmdline
        self.comm = comm
        self.cwd = cwd
        self.socketInodes = socketInodes
        self.netNamespace = netNamespace
        self.startedAt = startedAt
    }

    /// The program name: basename of argv[0] with interpreter prefixes kept
    /// (`gunicorn: master [app]` becomes `gunicorn:`, `python3` stays `python3`).
    public var programName: String {
        guard let first = cmdline.first, !first.isEmpty else { return comm }
        let word = first.split(separator: " ").first.map(String.init) ?? first
        return word.split(separator: "/").last.map(String.init) ?? word
    }
}
