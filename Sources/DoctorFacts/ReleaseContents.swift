/// What the release `current` points at must hold for the app to boot from it, each
/// path stat'ed by the gatherer: `manage.py`, the WSGI/ASGI module the app server loads,
/// the virtualenv interpreter the service runs when that lives inside the release.
public struct ReleaseContents: Hashable, Codable, Sendable {
    /// The release id (`ROOT/releases/<id>`).
    public var release: String
    public var path: String
    public var required: [ReleaseRequirement]

    public init(release: String, path: String, required: [ReleaseRequirement]) {
        self.release = release
        self.path = path
        self.required = required
    }

    /// Required paths that are not there.
    public var missing: [ReleaseRequirement] { required.filter { $0.kind == .missing } }
}

/// One path a release must hold, why, and what the gatherer found there.
public struct ReleaseRequirement: Hashable, Codable, Sendable {
    /// `manage.py`, `WSGI module labsite.wsgi`, `virtualenv interpreter`.
    public var what: String
    /// The absolute path inside the release.
    public var path: String
    /// What is there (followed like the app follows it); `missing` when nothing is.
    public var kind: FileKind
    /// Why it is expected (`gunicorn loads labsite.wsgi:application (supervisor app)`,
    /// `release 1 has it`).
    public var reason: String

    public init(what: String, path: String, kind: FileKind, reason: String) {
        self.what = what
        self.path = path
        self.kind = kind
        self.reason = reason
    }
}

/// The current release's dependency files (requirements*.txt, pyproject.toml,
/// poetry.lock) against the virtualenv the app runs: one newer than the venv means the
/// deploy changed dependencies without installing them.
public struct ReleaseDependencies: Hashable, Codable, Sendable {
    /// The virtualenv directory (`/srv/app/shared/venv`).
    public var venv: String
    /// When the venv last changed: the newest of `pyvenv.cfg` and its site-packages directory.
    public var venvModified: Double
    /// The path that mtime was read from.
    public var venvModifiedSource: String
    /// Dependency files of the current release with their mtimes.
    public var files: [ReleaseTimestampedFile]

    public init(venv: String, venvModified: Double, venvModifiedSource: String, files: [ReleaseTimestampedFile]) {
        self.venv = venv
        self.venvModified = venvModified
        self.venvModifiedSource = venvModifiedSource
        self.files = files
    }

    /// Dependency files modified after the venv was.
    public var newerThanVenv: [ReleaseTimestampedFile] { files.filter { $0.modified > venvModified } }
}

/// A file and its mtime (seconds since the epoch).
public struct ReleaseTimestampedFile: Hashable, Codable, Sendable {
    public var path: String
    public var modified: Double

    public init(path: String, modified: Double) {
        self.path = path
        self.modified = modified
    }
}
