import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One release to lay out under `ROOT/releases/<id>`: a copy of `Lab/labsite` (complete:
/// `manage.py`, `labsite/wsgi.py`, settings, the probe app) plus `requirements.txt` and a
/// `venv` link to `ROOT/shared/venv`, minus the paths in `missing`.
public struct LabRelease: Sendable {
    public var id: String
    /// Paths relative to the release to leave out (`labsite/wsgi.py`): a partial release.
    public var missing: [String]
    /// `requirements.txt` modified now (after the venv was installed) instead of long ago.
    public var freshRequirements: Bool

    public init(id: String, missing: [String] = [], freshRequirements: Bool = false) {
        self.id = id
        self.missing = missing
        self.freshRequirements = freshRequirements
    }
}

/// A Capistrano/Deployer-style tree in the lab: `ROOT/releases/<id>/`, `ROOT/current`,
/// `ROOT/shared/venv` (a link to the lab's virtualenv, as deploys link a shared venv into
/// each release).
public struct LabReleaseTree: Sendable {
    /// `LABDIR/app`.
    public var root: String
    public var currentLink: String { root + "/current" }
    public var sharedDirectory: String { root + "/shared" }
    public func release(_ id: String) -> String { root + "/releases/" + id }
}

extension Lab {
    /// When a release's `requirements.txt` says it was written when not fresh: long before
    /// any venv of this machine was installed.
    public static let oldRequirementsTime: time_t = 1_577_836_800 // 2020-01-01T00:00:00Z

    /// Lays out `ROOT` (default `LABDIR/app`) with `releases`, and `current` → `releases/<current>`
    /// (relative, as Capistrano writes it; `absolute: true` writes the absolute path).
    @discardableResult
    public func makeReleaseTree(_ releases: [LabRelease], current: String?, absolute: Bool = false,
                                root: String? = nil) throws -> LabReleaseTree {
        let tree = LabReleaseTree(root: root ?? "\(directory)/app")
        let manager = FileManager.default
        for path in [tree.root, tree.root + "/releases", tree.sharedDirectory] {
            try createDirectory(path)
        }
        let venvLink = tree.sharedDirectory + "/venv"
        if (try? manager.destinationOfSymbolicLink(atPath: venvLink)) == nil {
            try manager.createSymbolicLink(atPath: venvLink, withDestinationPath: venv)
        }
        for release in releases {
            let path = tree.release(release.id)
            try copyTree(from: labsite, to: path)
            try manager.createSymbolicLink(atPath: path + "/venv", withDestinationPath: "../../shared/venv")
            try createDirectory(path + "/run")
            let requirements = path + "/requirements.txt"
            _ = manager.createFile(atPath: requirements,
                                   contents: manager.contents(atPath: "\(repositoryRoot)/Lab/requirements.txt") ?? Data())
            if !release.freshRequirements {
                var times = [timeval(tv_sec: Lab.oldRequirementsTime, tv_usec: 0), timeval(tv_sec: Lab.oldRequirementsTime, tv_usec: 0)]
                guard utimes(requirements, &times) == 0 else { throw LabError.io("utimes \(requirements): \(String(cString: strerror(errno)))") }
            }
            for missing in release.missing {
                try manager.removeItem(atPath: path + "/" + missing)
            }
        }
        if let current { try switchCurrent(tree, to: current, absolute: absolute) }
        return tree
    }

    /// Points `current` at `releases/<id>` the way deploy tools do: a new link beside it,
    /// renamed over the old one (atomic; the target need not exist — a dangling link).
    public func switchCurrent(_ tree: LabReleaseTree, to id: String, absolute: Bool = false) throws {
        let target = absolute ? tree.release(id) : "releases/\(id)"
        try pointCurrent(tree, at: target)
    }

    /// `current` → exactly `target` (for links to nowhere or to themselves).
    public func pointCurrent(_ tree: LabReleaseTree, at target: String) throws {
        let temporary = tree.root + "/current.tmp"
        unlink(temporary)
        guard symlink(target, temporary) == 0 else { throw LabError.io("symlink \(temporary): \(String(cString: strerror(errno)))") }
        guard rename(temporary, tree.currentLink) == 0 else { throw LabError.io("rename to \(tree.currentLink): \(String(cString: strerror(errno)))") }
    }

    /// Gunicorn from the release tree under supervisord: `command=ROOT/current/venv/bin/gunicorn
    /// --chdir ROOT/current …`, `directory=ROOT/current` — the usual deploy setup, where a
    /// restart picks up whatever `current` points at.
    public func releaseGunicornProgram(_ tree: LabReleaseTree, name: String = "app", bind: Bind, workers: Int = 2,
                                       startsecs: Int = 2, startretries: Int = 3) -> SupervisedProgram {
        var program = gunicornProgram(name: name, bind: bind, workers: workers, startsecs: startsecs, startretries: startretries)
        let current = tree.currentLink
        program.command = ["\(current)/venv/bin/gunicorn", "--chdir", current, "--bind", bind.gunicornArgument,
                           "--workers", String(workers), "--no-control-socket", "labsite.wsgi:application"]
        program.directory = current
        return program
    }

    private func createDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw LabError.io("cannot create \(path): \(error)")
        }
        chmod(path, 0o755)
    }

    /// Copies a source tree without `__pycache__` and sqlite files (other tests' leftovers).
    private func copyTree(from source: String, to destination: String) throws {
        let manager = FileManager.default
        try createDirectory(destination)
        for entry in try manager.contentsOfDirectory(atPath: source).sorted() {
            if entry == "__pycache__" || entry.hasSuffix(".sqlite3") || entry.hasSuffix(".pyc") { continue }
            let from = source + "/" + entry
            let to = destination + "/" + entry
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: from, isDirectory: &isDirectory) else { continue }
            if isDirectory.boolValue {
                try copyTree(from: from, to: to)
            } else {
                try manager.copyItem(atPath: from, toPath: to)
                chmod(to, 0o644)
            }
        }
    }
}
