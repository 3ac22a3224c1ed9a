import DoctorParsers

/// A migration the database has applied that the rollback target does not have.
public struct UnknownMigration: Hashable, Sendable {
    public var migration: AppliedMigration
    /// The file in the current release, when it has one.
    public var file: String?
    /// `true` / `false` as Django would decide (`DjangoMigrationParser`); `nil` when no file
    /// says (not in the current release either, or a custom operation).
    public var reversible: Bool?
    /// How that was decided (`RunPython without reverse_code at line 17`, `CreateModel, AddField`).
    public var how: String

    public init(migration: AppliedMigration, file: String?, reversible: Bool?, how: String) {
        self.migration = migration
        self.file = file
        self.reversible = reversible
        self.how = how
    }

    /// `probe.0003_backfill_status (irreversible: RunPython without reverse_code at line 17)`.
    public var summary: String {
        let word = reversible.map { $0 ? "reversible" : "irreversible" } ?? "reversibility unknown"
        return "\(migration) (\(word): \(how))"
    }
}

/// What the schema guard decided about rolling back to one release.
public struct SchemaVerdict: Hashable, Sendable {
    public enum Decision: String, Hashable, Sendable {
        /// Every applied migration of the project's apps is known to the target.
        case compatible
        /// Some applied migrations are unknown to the target: refuse unless `--force-schema`.
        case incompatible
        /// The applied set could not be read: refuse unless `--force-schema` (unknown is not compatible).
        case unknown
        /// The app is not a Django project (no manage.py, no migrations anywhere): nothing to guard.
        case notApplicable = "not-applicable"
    }

    public var decision: Decision
    public var unknownToTarget: [UnknownMigration]
    /// One sentence: why this decision.
    public var reason: String
    /// Where the applied set came from (`django_migrations via manage.py shell, sqlite, read with release 1`).
    public var source: String?
    /// App labels with applied migrations that neither release carries (installed packages,
    /// whose migrations come from the virtualenv): not compared, listed so nobody assumes they were.
    public var notCompared: [String]
    /// What undoes the unknown migrations, run with the *current* release before rolling back
    /// (`manage.py migrate probe zero`, `manage.py migrate shop 0001_initial`): the target's
    /// newest migration of each app, or `zero` when it has none. Empty unless incompatible.
    public var undo: [String]
    /// The command that read the applied set (its script shown as `<gwdoctor migration reader>`);
    /// empty when none ran.
    public var command: [String] = []

    public init(decision: Decision, unknownToTarget: [UnknownMigration] = [], reason: String, source: String? = nil,
                notCompared: [String] = [], undo: [String] = []) {
        self.decision = decision
        self.unknownToTarget = unknownToTarget
        self.reason = reason
        self.source = source
        self.notCompared = notCompared
        self.undo = undo
    }

    /// Whether the rollback may go ahead without `--force-schema`.
    public var allowsRollback: Bool { decision == .compatible || decision == .notApplicable }
}

/// The rollback's schema guard for Django: migrations the database has applied (read from
/// `django_migrations`) that the target release does not carry. Rolling back past them leaves
/// the old code on a schema it does not know (a NOT NULL column it never fills, a renamed
/// table), so the rollback refuses and lists them, each with whether Django could undo it.
///
/// Pure: the inventories and the applied set are read by the planner through `Host`.
public enum SchemaGuard {
    /// - Parameters:
    ///   - applied: the applied set, or why it could not be read.
    ///   - target / current: the migrations each release carries.
    ///   - files: the current release's migration files, parsed (`filesToParse` says which are
    ///     needed); a path missing here could not be read.
    public static func evaluate(applied: Result<MigrationRecorderOutput, SchemaReadFailure>, target: MigrationInventory,
                                current: MigrationInventory, source: String?,
                                files: [String: DjangoMigrationFile]) -> SchemaVerdict {
        let output: MigrationRecorderOutput
        switch applied {
        case let .failure(failure):
            return SchemaVerdict(decision: .unknown, reason: "the applied migrations could not be read (\(failure.reason)); "
                + "an unknown schema is not a compatible one", source: source)
        case let .success(read):
            output = read
        }
        var unknown: [UnknownMigration] = []
        var notCompared = Set<String>()
        for migration in output.applied {
            let targetKnows = target.apps[migration.app]
            let currentFile = current.apps[migration.app]?[migration.name]
            if targetKnows == nil, current.apps[migration.app] == nil {
                notCompared.insert(migration.app)
                continue
            }
            if targetKnows?[migration.name] != nil { continue }
            unknown.append(describe(migration, file: currentFile, files: files))
        }
        let compared = notCompared.sorted()
        if !unknown.isEmpty {
            let irreversible = unknown.filter { $0.reversible == false }.count
            var apps: [String] = []
            for migration in unknown where !apps.contains(migration.migration.app) { apps.append(migration.migration.app) }
            let undo = apps.map { app in
                "manage.py migrate \(app) " + ((target.apps[app] ?? [:]).keys.max().map { $0 } ?? "zero")
            }
            return SchemaVerdict(decision: .incompatible, unknownToTarget: unknown, 
                                 reason: "the database has \(unknown.count) migration\(unknown.count == 1 ? "" : "s") applied that the target "
                                    + "release does not have\(irreversible > 0 ? " (\(irreversible) irreversible)" : "")",
                                 source: source, notCompared: compared, undo: undo)
        }
        return SchemaVerdict(decision: .compatible,
                             reason: output.tableExists
                                ? "every applied migration of the project's apps (\(output.applied.count - output.applied.filter { notCompared.contains($0.app) }.count)) is in the target release"
                                : "the database has no django_migrations table: nothing was migrated",
                             source: source, notCompared: compared)
    }

    /// The files of the current release whose reversibility `evaluate` will need: those of
    /// applied migrations the target does not have.
    public static func filesToParse(applied: MigrationRecorderOutput, target: MigrationInventory, current: MigrationInventory) -> [String] {
        applied.applied.compactMap { migration in
            guard target.apps[migration.app]?[migration.name] == nil else { return nil }
            return current.apps[migration.app]?[migration.name]
        }
    }

    static func describe(_ migration: AppliedMigration, file: String?, files: [String: DjangoMigrationFile]) -> UnknownMigration {
        guard let file else {
            return UnknownMigration(migration: migration, file: nil, reversible: nil,
                                    how: "no file in the current or the target release says how to undo it")
        }
        guard let parsed = files[file] else {
            return UnknownMigration(migration: migration, file: file, reversible: nil, how: "\(file) could not be read")
        }
        guard parsed.operationsFound else {
            return UnknownMigration(migration: migration, file: file, reversible: nil, how: "no operations list found in \(file)")
        }
        let blocking = parsed.blockingOperations
        switch parsed.isReversible {
        case true?:
            let names = parsed.operations.map(\.name)
            return UnknownMigration(migration: migration, file: file, reversible: true,
                                    how: names.isEmpty ? "no operations" : "only reversible operations: " + uniqued(names).joined(separator: ", "))
        case false?, nil:
            let how = blocking.map { "\($0.reason ?? $0.name) at line \($0.line)" }.joined(separator: "; ")
            return UnknownMigration(migration: migration, file: file, reversible: parsed.isReversible, how: how)
        }
    }

    private static func uniqued(_ names: [String]) -> [String] {
        var seen = Set<String>()
        return names.filter { seen.insert($0).inserted }
    }
}

/// Why the applied migrations could not be read.
public struct SchemaReadFailure: Error, Hashable, Sendable {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
}
