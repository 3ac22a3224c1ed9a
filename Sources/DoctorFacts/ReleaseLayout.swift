/// A Capistrano/Deployer-style deploy root: `ROOT/releases/<id>/` directories, a
/// `ROOT/current` symlink naming the live one, and `ROOT/shared/` for what outlives a
/// release (the `.env`, media, sometimes the virtualenv or the socket).
///
/// The gatherer finds roots from what runs (an app server's cwd and argv, a service's
/// working directory and command, a unix socket's path), never from fixed paths, and
/// stats everything a release check needs: checks never touch the host.
public struct ReleaseLayout: Hashable, Codable, Sendable {
    /// `/srv/app` (the directory holding `releases/` and `current`).
    public var root: String
    /// `ROOT/current` as read.
    public var current: ReleaseLink
    /// Releases under `ROOT/releases`, newest first (by name when ids are digits — timestamps,
    /// counters — or there are too many to stat; else by mtime), at most `ReleaseLayout.listedReleases`.
    public var releases: [ReleaseEntry]
    /// How many entries `ROOT/releases` holds; `nil` when it could not be listed.
    public var releaseCount: Int?
    /// Why `ROOT/releases` could not be listed, when it could not.
    public var releasesUnreadable: String?
    /// What the release `current` points at must hold, and what it lacks.
    public var currentContents: ReleaseContents?
    /// Dependency files of the current release against the virtualenv the app runs.
    public var dependencies: ReleaseDependencies?
    /// App-server processes running from this root, with the release each really runs from.
    public var processes: [ReleaseProcess]
    /// Services (supervisord programs, systemd units) whose directory or command names this root.
    public var services: [ReleaseService]
    /// Unix sockets under this root that a route targets or an app server binds.
    public var sockets: [ReleaseSocket]
    /// What led the gatherer here (`gunicorn pid 12: cwd /srv/app/releases/3`).
    public var discoveredFrom: [String]

    /// At most this many releases are kept in `releases` (a root can hold thousands).
    public static let listedReleases = 20

    public init(root: String, current: ReleaseLink, releases: [ReleaseEntry] = [], releaseCount: Int? = nil,
                releasesUnreadable: String? = nil, currentContents: ReleaseContents? = nil,
                dependencies: ReleaseDependencies? = nil, processes: [ReleaseProcess] = [],
                services: [ReleaseService] = [], sockets: [ReleaseSocket] = [], discoveredFrom: [String] = []) {
        self.root = root
        self.current = current
        self.releases = releases
        self.releaseCount = releaseCount
        self.releasesUnreadable = releasesUnreadable
        self.currentContents = currentContents
        self.dependencies = dependencies
        self.processes = processes
        self.services = services
        self.sockets = sockets
        self.discoveredFrom = discoveredFrom
    }

    /// `ROOT/releases`.
    public var releasesDirectory: String { root + "/releases" }

    /// `ROOT/releases/<id>`.
    public func path(ofRelease id: String) -> String { releasesDirectory + "/" + id }

    /// Where a rollback from release `id` goes: the next directory after it in `releases`
    /// (newest first), else the newest other one; the newest directory when `id` is `nil`.
    public func previousRelease(before id: String?) -> ReleaseEntry? {
        guard let id else { return releases.first { $0.kind == .directory } }
        let others = releases.filter { $0.kind == .directory && $0.id != id }
        if let index = releases.firstIndex(where: { $0.id == id }) {
            if let older = releases[(index + 1)...].first(where: { $0.kind == .directory }) { return older }
        }
        return others.first
    }
}

/// `ROOT/current`: the link as stored and what it leads to.
public struct ReleaseLink: Hashable, Codable, Sendable {
    /// What the gatherer found at `ROOT/current`.
    public enum State: String, Codable, Sendable {
        /// A symlink to an existing `ROOT/releases/<id>` directory.
        case release
        /// A symlink to something that does not exist.
        case dangling
        /// A symlink that loops (`current` → `current`, ELOOP).
        case loop
        /// A symlink to an existing directory that is not one of `ROOT/releases/*`.
        case elsewhere
        /// A symlink to an existing non-directory (a file, a socket).
        case notADirectory
        /// A real directory, not a symlink (some deploy tools copy instead of linking).
        case directory
        /// Nothing at `ROOT/current`.
        case missing
        /// It could not be read (permission denied, not in the snapshot).
        case unreadable
    }

    /// `/srv/app/current`.
    public var path: String
    public var state: State
    /// The target exactly as stored (`releases/42`, `/srv/app/releases/42`).
    public var target: String?
    /// The target made absolute against the link's directory, with `.`/`..` folded (not
    /// following further links).
    public var resolved: String?
    /// The release id when `resolved` is `ROOT/releases/<id>`.
    public var release: String?
    /// When the link was last switched (its lstat mtime, seconds since the epoch).
    public var switchedAt: Double?
    /// Why it could not be read, for `unreadable`.
    public var reason: String?

    public init(path: String, state: State, target: String? = nil, resolved: String? = nil, release: String? = nil,
                switchedAt: Double? = nil, reason: String? = nil) {
        self.path = path
        self.state = state
        self.target = target
        self.resolved = resolved
        self.release = release
        self.switchedAt = switchedAt
        self.reason = reason
    }
}

/// One entry of `ROOT/releases`.
public struct ReleaseEntry: Hashable, Codable, Sendable {
    /// The directory name (`20261121093000`, `42`).
    public var id: String
    public var path: String
    /// `directory` normally; anything else is a leftover.
    public var kind: FileKind
    /// mtime, seconds since the epoch, when it could be stat'ed.
    public var modified: Double?
    /// Set when `<path>/.gwdoctor-bad` marks it bad (rollback and gate skip it).
    public var badMark: ReleaseBadMark?

    public init(id: String, path: String, kind: FileKind, modified: Double? = nil, badMark: ReleaseBadMark? = nil) {
        self.id = id
        self.path = path
        self.kind = kind
        self.modified = modified
        self.badMark = badMark
    }

    /// Release ids are timestamps (`20261121093000`) or counters (`42`): digit strings
    /// compare by length then text; anything else by text.
    public static func isOlder(_ a: String, than b: String) -> Bool {
        let digits = { (s: String) in !s.isEmpty && s.allSatisfy(\.isASCII) && s.allSatisfy(\.isNumber) }
        if digits(a), digits(b), a.count != b.count { return a.count < b.count }
        return a < b
    }
}
