import DoctorFacts
import DoctorHost
import DoctorParsers
import Foundation

/// The Django migrations one release carries in its own tree: `APP/migrations/NNNN_name.py`
/// files of the project's apps (third-party apps' migrations live in the virtualenv, not in
/// the release), by app label.
///
/// Read through `Host`, so it works on a snapshot too. Found by walking the release from its
/// top, at most `maxDepth` directories down (`probe/migrations`, `src/apps/probe/migrations`),
/// only into directories whose names are Python identifiers (packages), never into symlinks
/// (a release's `venv` link), virtualenvs or hidden directories, and at most
/// `maxDirectories` directories in all: a release can hold a node_modules of 100k files.
public struct MigrationInventory: Hashable, Sendable {
    /// App label → migration name → file path.
    public var apps: [String: [String: String]]
    /// App label → its `migrations` directory.
    public var directories: [String: String]
    /// What could not be read (a directory listing refused); the rest is still used.
    public var problems: [String]

    public init(apps: [String: [String: String]] = [:], directories: [String: String] = [:], problems: [String] = []) {
        self.apps = apps
        self.directories = directories
        self.problems = problems
    }

    public static let maxDepth = 4
    public static let maxDirectories = 400
    static let skippedDirectories: Set<String> = ["node_modules", "venv", "env", "site-packages", "static", "staticfiles",
                                                  "media", "templates", "locale", "__pycache__", "tests", "docs"]

    /// Walks `release` (a directory path) for migrations packages.
    public static func read(release: String, host: any DoctorHost.Host) -> MigrationInventory {
        var inventory = MigrationInventory()
        var queue: [(path: String, depth: Int)] = [(release, 0)]
        var visited = 0
        while !queue.isEmpty, visited < maxDirectories {
            let (directory, depth) = queue.removeFirst()
            visited += 1
            let names: [String]
            do {
                names = try host.list(directory)
            } catch {
                inventory.problems.append("\(error)")
                continue
            }
            if directory != release, names.contains("pyvenv.cfg") { continue }
            if names.contains("migrations"), directory != release,
               (try? host.status(directory + "/migrations", followLinks: false).kind) == .directory {
                readMigrations(app: directory, host: host, into: &inventory)
            }
            guard depth < maxDepth else { continue }
            for name in names where isPackageName(name) && name != "migrations" && !skippedDirectories.contains(name) {
                let path = directory + "/" + name
                if (try? host.status(path, followLinks: false).kind) == .directory { queue.append((path, depth + 1)) }
            }
        }
        if !queue.isEmpty { inventory.problems.append("\(release): stopped after \(maxDirectories) directories") }
        return inventory
    }

    /// One app's `migrations` package: its label (the directory name, or `label = "…"` in
    /// its apps.py) and every migration module in it.
    private static func readMigrations(app: String, host: any DoctorHost.Host, into inventory: inout MigrationInventory) {
        let directory = app + "/migrations"
        guard let names = try? host.list(directory) else {
            inventory.problems.append("\(directory): cannot be listed")
            return
        }
        // Django skips a migrations directory that is a namespace package (no __init__.py).
        guard names.contains("__init__.py") else { return }
        let label = appLabel(app: app, host: host)
        var migrations = inventory.apps[label] ?? [:]
        for name in names {
            if let migration = DjangoMigrationParser.migrationName(fileName: name) { migrations[migration] = directory + "/" + name }
        }
        inventory.apps[label] = migrations
        inventory.directories[label] = directory
    }

    /// The app label Django uses in `django_migrations.app`: the last component of the app's
    /// module name unless its AppConfig sets `label = "…"`.
    static func appLabel(app: String, host: any DoctorHost.Host) -> String {
        let name = (app as NSString).lastPathComponent
        guard let bytes = try? host.readFile(app + "/apps.py", maxBytes: 256 * 1024) else { return name }
        return explicitLabel(in: String(decoding: bytes, as: UTF8.self)) ?? name
    }

    /// `label = "shop"` (or `'shop'`) at class level in an apps.py.
    static func explicitLabel(in text: String) -> String? {
        for line in text.split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("label"), line.first == " " || line.first == "\t" else { continue }
            let rest = trimmed.dropFirst(5).trimmingCharacters(in: .whitespaces)
            guard rest.hasPrefix("=") else { continue }
            let value = rest.dropFirst().trimmingCharacters(in: .whitespaces)
            guard let quote = value.first, quote == "\"" || quote == "'" else { continue }
            let inner = value.dropFirst()
            guard let end = inner.firstIndex(of: quote) else { continue }
            let label = String(inner[..<end])
            if isPackageName(label) { return label }
        }
        return nil
    }

    static func isPackageName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || ("a"..."z").contains(first) || ("A"..."Z").contains(first),
              !name.hasPrefix(".") else { return false }
        return name.unicodeScalars.allSatisfy { $0 == "_" || ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) }
    }
}
