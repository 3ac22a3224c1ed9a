import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// What the rollback scenarios need beyond a release tree: a release that adds migrations to
/// the probe app (the real files in `Lab/releases/migration`, written by `makemigrations`),
/// `manage.py migrate` run for real against the lab's SQLite database, a read of the
/// `django_migrations` table that goes around gwdoctor, and `gwdoctor rollback` itself with
/// its state directory inside the lab.
extension Lab {
    /// `Lab/releases/migration`: `probe/models.py` and `probe/migrations/0001…0003` (0003 is a
    /// `RunPython` without a reverse: irreversible).
    public var migrationOverlay: String { "\(repositoryRoot)/Lab/releases/migration" }

    /// The migrations the overlay adds, as `app.name`.
    public static let overlayMigrations = ["probe.0001_initial", "probe.0002_visit_status", "probe.0003_backfill_status"]

    /// `LABDIR/state`: gwdoctor's `--state-dir` in the rollback scenarios.
    public var rollbackStateDirectory: String { "\(directory)/state" }

    /// The SQLite file the lab's settings use (`LAB_DATA_DIR/labsite.sqlite3`).
    public var labDatabase: String { "\(dataDirectory)/labsite.sqlite3" }

    /// Copies the migration overlay into release `id` of `tree` (over its probe app).
    public func addProbeMigrations(_ tree: LabReleaseTree, release id: String) throws {
        try copyOverlay(from: migrationOverlay, to: tree.release(id))
    }

    /// Makes release `id` unable to boot: its settings import a module no venv has
    /// (`ModuleNotFoundError` at import, as a release with a new dependency nobody installed).
    public func breakSettings(_ tree: LabReleaseTree, release id: String) throws {
        let settings = tree.release(id) + "/labsite/settings.py"
        guard let handle = FileHandle(forWritingAtPath: settings) else { throw LabError.io("cannot open \(settings)") }
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("\nimport gwdoctor_lab_module_nobody_installed  # lab: this release cannot boot\n".utf8))
    }

    /// `python RELEASE/manage.py migrate --noinput` in the namespace with the app's
    /// environment (the same `environment=` the supervised program gets), as a deploy runs it.
    @discardableResult
    public func migrate(_ tree: LabReleaseTree, release id: String) async throws -> CommandOutput {
        let release = tree.release(id)
        let output = try await runInNamespace([python, release + "/manage.py", "migrate", "--noinput"],
                                              environment: environment(), workingDirectory: release, timeout: .seconds(120))
        guard output.exitCode == 0 else { throw LabError.io("manage.py migrate in release \(id) failed:\n\(output)") }
        return output
    }

    /// The rows of `django_migrations` as `app.name`, sorted, read with Python's sqlite3
    /// module directly from the file (not through Django, not through gwdoctor). Empty when
    /// the table or the file does not exist.
    public func appliedMigrations() async throws -> [String] {
        let script = """
            import os, sqlite3, sys
            p = sys.argv[1]
            if not os.path.exists(p): sys.exit(0)
            c = sqlite3.connect("file:" + p + "?mode=ro", uri=True)
            try:
                rows = c.execute("SELECT app, name FROM django_migrations").fetchall()
            except sqlite3.OperationalError:
                rows = []
            for a, n in sorted(rows): print(a + "." + n)
            """
        let output = try await runInNamespace([python, "-c", script, labDatabase], timeout: .seconds(30))
        guard output.exitCode == 0 else { throw LabError.io("reading \(labDatabase) failed:\n\(output)") }
        return output.stdout.split(separator: "\n").map(String.init)
    }

    /// `gwdoctor rollback --nginx-conf <lab nginx.conf> --state-dir LABDIR/state EXTRA…`.
    public func rollback(_ extra: [String] = [], timeout: Duration = .seconds(180)) async throws -> DoctorRun {
        try await runDoctor(["rollback", "--nginx-conf", nginxConfigPath, "--state-dir", rollbackStateDirectory] + extra,
                            timeout: timeout)
    }

    /// The lines of `LABDIR/state/audit.jsonl`, each decoded as a JSON object.
    public func auditEntries() -> [[String: Any]] {
        Lab.readText(rollbackStateDirectory + "/audit.jsonl").split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
    }

    /// Every regular file under `path` with its size and mtime (`relative → "size mtime"`),
    /// `__pycache__` left out (the app server writes bytecode when it imports the release):
    /// to prove a rollback changed nothing in a release but its bad mark.
    public func treeSignature(_ path: String) -> [String: String] {
        var signature: [String: String] = [:]
        guard let walker = FileManager.default.enumerator(atPath: path) else { return [:] }
        while let relative = walker.nextObject() as? String {
            if relative.split(separator: "/").contains("__pycache__") { continue }
            var info = stat()
            guard lstat(path + "/" + relative, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            signature[relative] = "\(info.st_size) \(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
        }
        return signature
    }

    private func copyOverlay(from source: String, to destination: String) throws {
        let manager = FileManager.default
        try manager.createDirectory(atPath: destination, withIntermediateDirectories: true)
        for entry in try manager.contentsOfDirectory(atPath: source).sorted() where entry != "__pycache__" && !entry.hasSuffix(".pyc") {
            let from = source + "/" + entry, to = destination + "/" + entry
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: from, isDirectory: &isDirectory) else { continue }
            if isDirectory.boolValue {
                try copyOverlay(from: from, to: to)
            } else {
                if manager.fileExists(atPath: to) { try manager.removeItem(atPath: to) }
                try manager.copyItem(atPath: from, toPath: to)
                chmod(to, 0o644)
            }
        }
        chmod(destination, 0o755)
    }
}
