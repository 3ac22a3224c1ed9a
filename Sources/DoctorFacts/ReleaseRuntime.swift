/// An app-server process running from a deploy root, and the release it really runs from.
///
/// `/proc/PID/cwd` is the resolved directory (`ROOT/releases/20261120`) even when the
/// process was started in `ROOT/current`: after `current` is switched, it still names the
/// release the process booted from.
public struct ReleaseProcess: Hashable, Codable, Sendable {
    public var pid: Int
    /// `gunicorn pid 412 (www-data)`.
    public var label: String
    /// The release id it runs from; `nil` when neither its cwd nor its argv says.
    public var release: String?
    /// How that is known (`/proc/412/cwd → /srv/app/releases/1`).
    public var evidence: String?
    /// Where it binds.
    public var binds: [Endpoint]

    public init(pid: Int, label: String, release: String?, evidence: String?, binds: [Endpoint] = []) {
        self.pid = pid
        self.label = label
        self.release = release
        self.evidence = evidence
        self.binds = binds
    }
}

/// A service whose working directory or command names a deploy root.
public struct ReleaseService: Hashable, Codable, Sendable {
    /// `supervisor`, `systemd`, `none`.
    public var manager: String
    public var name: String
    public var state: String?
    public var isRunning: Bool
    /// The path that names the root (`directory=/srv/app/current`, `--chdir /srv/app/current`).
    public var reference: String
    public var binds: [Endpoint]
    /// The running master's pid, for the kill and start of a server no manager runs.
    public var pid: Int? = nil

    public init(manager: String, name: String, state: String?, isRunning: Bool, reference: String, binds: [Endpoint],
                pid: Int? = nil) {
        self.manager = manager
        self.name = name
        self.state = state
        self.isRunning = isRunning
        self.reference = reference
        self.binds = binds
        self.pid = pid
    }

    /// `supervisorctl restart app` / `systemctl restart app.service` (`ServiceRestart`).
    public var restartCommand: String {
        ServiceRestart.command(manager: manager, name: name, pid: isRunning ? pid : nil)
    }
}

/// A unix socket under a deploy root, as a route or a bind names it, and where its file
/// really is.
public struct ReleaseSocket: Hashable, Codable, Sendable {
    /// The path as named (`/srv/app/current/run/gunicorn.sock`).
    public var path: String
    /// The same path with `current` replaced by the release it points at now.
    public var realPath: String
    /// The release whose directory holds `realPath`; `nil` for `shared/` and other places.
    public var release: String?
    /// What is at `path` now (followed, as connect(2) follows it).
    public var kind: FileKind
    /// Pids listening on `path` (from the listener table).
    public var holders: [Int]
    /// Releases the holders run from (their cwd), when known.
    public var holderReleases: [String]
    /// Whether a route of the proxy targets it.
    public var routed: Bool

    public init(path: String, realPath: String, release: String?, kind: FileKind, holders: [Int],
                holderReleases: [String], routed: Bool) {
        self.path = path
        self.realPath = realPath
        self.release = release
        self.kind = kind
        self.holders = holders
        self.holderReleases = holderReleases
        self.routed = routed
    }
}
