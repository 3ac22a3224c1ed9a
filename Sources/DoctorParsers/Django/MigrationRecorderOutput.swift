/// One row of Django's `django_migrations` table: an applied migration.
public struct AppliedMigration: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The app label (`probe`, `auth`).
    public var app: String
    /// The migration name (`0003_backfill_status`).
    public var name: String

    public init(app: String, name: String) {
        self.app = app
        self.name = name
    }

    public var description: String { "\(app).\(name)" }

    public static func < (a: AppliedMigration, b: AppliedMigration) -> Bool { (a.app, a.name) < (b.app, b.name) }
}

/// What gwdoctor's fixed `manage.py shell -c` reader printed (see
/// `AllowedCommand.djangoAppliedMigrations`): tagged, tab-separated lines, so Django's own
/// chatter on stdout (`5 objects imported automatically`) is ignored, and an end marker, so a
/// run cut short is not mistaken for "nothing applied".
public struct MigrationRecorderOutput: Hashable, Sendable {
    /// Every applied migration, sorted.
    public var applied: [AppliedMigration]
    /// `connection.vendor` (`sqlite`, `postgresql`, `mysql`): where the rows were read; never a DSN.
    public var vendor: String?
    /// Whether the `django_migrations` table exists (a database never migrated has none).
    public var tableExists: Bool

    public init(applied: [AppliedMigration], vendor: String?, tableExists: Bool) {
        self.applied = applied
        self.vendor = vendor
        self.tableExists = tableExists
    }

    /// Line tags the reader prints.
    public static let appliedTag = "gwdoctor-applied"
    public static let vendorTag = "gwdoctor-vendor"
    public static let tableTag = "gwdoctor-table"
    public static let endTag = "gwdoctor-end"

    /// The Python the reader runs inside `manage.py shell -c`: it reads the table through the
    /// app's own connection (its settings, its credentials, any backend), prints only labels,
    /// names and the backend's vendor word, and writes nothing. A SQLite file that does not
    /// exist is not opened (connecting would create it): it has no table.
    public static let readerScript = """
        import os
        from django.db import connection
        from django.db.migrations.recorder import MigrationRecorder
        r = MigrationRecorder(connection)
        print("\(vendorTag)\\t" + connection.vendor)
        f = str(connection.settings_dict.get("NAME") or "")
        t = False if connection.vendor == "sqlite" and f and f != ":memory:" and not f.startswith("file:") and not os.path.exists(f) else r.has_table()
        print("\(tableTag)\\t" + ("yes" if t else "no"))
        for a, n in sorted(r.applied_migrations() if t else []):
            print("\(appliedTag)\\t" + a + "\\t" + n)
        print("\(endTag)")
        """

    /// `nil` when the end marker is missing (the run failed or was cut short).
    public static func parse(_ stdout: String) -> MigrationRecorderOutput? {
        var applied: [AppliedMigration] = []
        var vendor: String?
        var table = false
        var ended = false
        for line in stdout.split(separator: "\n", omittingEmptySubsequences: true) {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            switch fields.first {
            case appliedTag where fields.count == 3 && !fields[1].isEmpty && !fields[2].isEmpty:
                applied.append(AppliedMigration(app: fields[1], name: fields[2]))
            case vendorTag where fields.count == 2: vendor = fields[1]
            case tableTag where fields.count == 2: table = fields[1] == "yes"
            case endTag: ended = true
            default: continue
            }
        }
        guard ended else { return nil }
        return MigrationRecorderOutput(applied: applied.sorted(), vendor: vendor, tableExists: table)
    }
}
