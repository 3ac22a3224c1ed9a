import DoctorFacts
import DoctorHost
import DoctorParsers
@testable import DoctorRemedy
import Foundation
import Testing

/// Rollback decisions on built layouts (target selection, the schema guard), and the parts
/// that touch a disk on a real temporary deploy tree (`MigrationInventory` through `LiveHost`,
/// `LiveHost.switchLink` / `writeBadMark`). The whole rollback under supervisord and nginx is
/// in Tests/LabTests/RollbackScenarioTests.swift.
@Suite("Rollback target selection")
struct RollbackTargetSelectionTests {
    private func layout(current: String?, state: ReleaseLink.State = .release, _ entries: [ReleaseEntry]) -> ReleaseLayout {
        ReleaseLayout(root: "/srv/app", current: ReleaseLink(path: "/srv/app/current", state: state,
                                                             target: current.map { "releases/\($0)" }, release: current),
                      releases: entries)
    }

    private func entry(_ id: String, kind: FileKind = .directory, bad: String? = nil) -> ReleaseEntry {
        ReleaseEntry(id: id, path: "/srv/app/releases/\(id)", kind: kind,
                     badMark: bad.map { ReleaseBadMark(markedAt: "2026-11-21T10:00:00Z", reason: $0, by: "gwdoctor rollback") })
    }

    @Test("the newest release older than the current one")
    func previous() {
        let outcome = RollbackTargetSelection.select(layout: layout(current: "3", [entry("4"), entry("3"), entry("2"), entry("1")]),
                                                     requested: nil, incomplete: [:])
        #expect(outcome.target?.id == "2")
        #expect(outcome.refusal == nil)
    }

    @Test("skips marked-bad, dangling and partial releases, and says why")
    func skips() {
        let layout = layout(current: "5", [entry("5"), entry("4", bad: "did not answer"), entry("3", kind: .missing), entry("2"), entry("1")])
        let outcome = RollbackTargetSelection.select(layout: layout, requested: nil, incomplete: ["2": "module labsite.wsgi is missing"])
        #expect(outcome.target?.id == "1")
        #expect(outcome.skipped.map(\.id) == ["4", "3", "2"])
        #expect(outcome.skipped[0].reason.contains("marked bad at 2026-11-21T10:00:00Z: did not answer"))
        #expect(outcome.skipped[1].reason.contains("not a directory"))
        #expect(outcome.skipped[2].reason.contains("incomplete: module labsite.wsgi"))
    }

    @Test("never forward, and nothing to go to is a refusal")
    func nothingOlder() {
        let outcome = RollbackTargetSelection.select(layout: layout(current: "1", [entry("2"), entry("1")]), requested: nil, incomplete: [:])
        #expect(outcome.target == nil)
        #expect(outcome.refusal?.contains("no usable release older than release 1") == true)
    }

    @Test("--to: any listed release, but not the current one, a bad one or an unknown one")
    func requested() {
        let entries = [entry("3"), entry("2", bad: "x"), entry("1")]
        #expect(RollbackTargetSelection.select(layout: layout(current: "3", entries), requested: "1", incomplete: [:]).target?.id == "1")
        #expect(RollbackTargetSelection.select(layout: layout(current: "3", entries), requested: "2", incomplete: [:]).refusal?
            .contains("marked bad") == true)
        #expect(RollbackTargetSelection.select(layout: layout(current: "3", entries), requested: "3", incomplete: [:]).refusal?
            .contains("current release") == true)
        #expect(RollbackTargetSelection.select(layout: layout(current: "3", entries), requested: "9", incomplete: [:]).refusal?
            .contains("not in /srv/app/releases") == true)
    }

    @Test("a dangling current (release deleted) rolls back to the newest older one; a copied directory cannot be switched")
    func linkStates() {
        let dangling = layout(current: "3", state: .dangling, [entry("2"), entry("1")])
        #expect(RollbackTargetSelection.select(layout: dangling, requested: nil, incomplete: [:]).target?.id == "2")
        let copied = layout(current: nil, state: .directory, [entry("2"), entry("1")])
        #expect(RollbackTargetSelection.select(layout: copied, requested: nil, incomplete: [:]).refusal?.contains("not a symlink") == true)
    }
}

@Suite("Schema guard")
struct SchemaGuardTests {
    private let target = MigrationInventory(apps: ["shop": ["0001_initial": "/r/1/shop/migrations/0001_initial.py"]])
    private let current = MigrationInventory(apps: [
        "shop": ["0001_initial": "/r/2/shop/migrations/0001_initial.py", "0002_price": "/r/2/shop/migrations/0002_price.py"],
        "probe": ["0001_initial": "/r/2/probe/migrations/0001_initial.py"],
    ])

    private func applied(_ names: [String], table: Bool = true) -> MigrationRecorderOutput {
        MigrationRecorderOutput(applied: names.map {
            let parts = $0.split(separator: ".").map(String.init)
            return AppliedMigration(app: parts[0], name: parts[1])
        }.sorted(), vendor: "sqlite", tableExists: table)
    }

    @Test("applied migrations the target lacks: incompatible, each with its reversibility from its file")
    func incompatible() {
        let output = applied(["auth.0001_initial", "shop.0001_initial", "shop.0002_price", "probe.0001_initial"])
        #expect(SchemaGuard.filesToParse(applied: output, target: target, current: current)
            == ["/r/2/probe/migrations/0001_initial.py", "/r/2/shop/migrations/0002_price.py"])
        let files = [
            "/r/2/shop/migrations/0002_price.py": DjangoMigrationParser.parse("operations = [\n  migrations.RunSQL('x')\n]"),
            "/r/2/probe/migrations/0001_initial.py": DjangoMigrationParser.parse("operations = [migrations.CreateModel('A', [])]"),
        ]
        let verdict = SchemaGuard.evaluate(applied: .success(output), target: target, current: current, source: "test", files: files)
        #expect(verdict.decision == .incompatible)
        #expect(!verdict.allowsRollback)
        #expect(verdict.unknownToTarget.map(\.migration.description) == ["probe.0001_initial", "shop.0002_price"])
        #expect(verdict.unknownToTarget.map(\.reversible) == [true, false])
        #expect(verdict.unknownToTarget[1].summary == "shop.0002_price (irreversible: RunSQL without reverse_sql at line 2)")
        #expect(verdict.notCompared == ["auth"])
        #expect(verdict.undo == ["manage.py migrate probe zero", "manage.py migrate shop 0001_initial"])
        #expect(verdict.reason.contains("2 migrations") && verdict.reason.contains("1 irreversible"))
    }

    @Test("everything the project applied is in the target: compatible")
    func compatible() {
        let verdict = SchemaGuard.evaluate(applied: .success(applied(["auth.0001_initial", "shop.0001_initial"])), target: target,
                                           current: current, source: nil, files: [:])
        #expect(verdict.decision == .compatible)
        #expect(verdict.allowsRollback)
    }

    @Test("the applied set could not be read: unknown, which refuses")
    func unreadable() {
        let verdict = SchemaGuard.evaluate(applied: .failure(SchemaReadFailure("exit 1: KeyError: 'DJANGO_SECRET_KEY'")), target: target,
                                           current: current, source: nil, files: [:])
        #expect(verdict.decision == .unknown)
        #expect(!verdict.allowsRollback)
        #expect(verdict.reason.contains("KeyError") && verdict.reason.contains("not a compatible one"))
    }

    @Test("an applied migration no release has a file for: reversibility unknown, still incompatible")
    func noFile() {
        let verdict = SchemaGuard.evaluate(applied: .success(applied(["shop.0001_initial", "shop.0003_gone"])), target: target,
                                           current: current, source: nil, files: [:])
        #expect(verdict.decision == .incompatible)
        #expect(verdict.unknownToTarget.first?.reversible == nil)
        #expect(verdict.unknownToTarget.first?.summary.contains("reversibility unknown") == true)
    }
}

/// Real files and syscalls in a temporary directory.
@Suite("Rollback on disk")
struct RollbackDiskTests {
    private func withTree(_ body: (String) throws -> Void) throws {
        let root = NSTemporaryDirectory() + "gwdoctor-rollback-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: root + "/releases", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        try body(root)
    }

    private func write(_ text: String, _ path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: false, encoding: .utf8)
    }

    @Test("MigrationInventory: apps by label (apps.py label wins), no namespace packages, no venv, no symlinks")
    func inventory() throws {
        try withTree { root in
            let release = root + "/releases/2"
            try write("", release + "/manage.py")
            try write("", release + "/shop/migrations/__init__.py")
            try write("", release + "/shop/migrations/0001_initial.py")
            try write("", release + "/shop/migrations/0002_price.py")
            try write("class ShopConfig(AppConfig):\n    name = 'apps.shop'\n    label = \"store\"\n", release + "/apps/shop/apps.py")
            try write("", release + "/apps/shop/migrations/__init__.py")
            try write("", release + "/apps/shop/migrations/0001_initial.py")
            try write("", release + "/nsonly/migrations/0001_initial.py") // no __init__.py: Django skips it
            try write("home = /usr\n", release + "/venv/pyvenv.cfg")
            try write("", release + "/venv/lib/django/contrib/auth/migrations/__init__.py")
            try write("", release + "/venv/lib/django/contrib/auth/migrations/0001_initial.py")
            try FileManager.default.createSymbolicLink(atPath: release + "/linked", withDestinationPath: release + "/shop")
            let inventory = MigrationInventory.read(release: release, host: LiveHost())
            #expect(inventory.apps == [
                "shop": ["0001_initial": release + "/shop/migrations/0001_initial.py", "0002_price": release + "/shop/migrations/0002_price.py"],
                "store": ["0001_initial": release + "/apps/shop/migrations/0001_initial.py"],
            ])
            #expect(inventory.problems.isEmpty)
        }
    }

    @Test("switchLink: replaces a symlink atomically keeping the given target text; refuses a directory")
    func switchLink() throws {
        try withTree { root in
            let host = LiveHost()
            try FileManager.default.createDirectory(atPath: root + "/releases/1", withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: root + "/current", withDestinationPath: "releases/2")
            try host.switchLink(root + "/current", to: "releases/1")
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: root + "/current") == "releases/1")
            #expect(try FileManager.default.contentsOfDirectory(atPath: root).sorted() == ["current", "releases"], "no temporary left")
            try FileManager.default.createDirectory(atPath: root + "/copied", withIntermediateDirectories: true)
            #expect(throws: HostError.self) { try host.switchLink(root + "/copied", to: "releases/1") }
            #expect(FileManager.default.fileExists(atPath: root + "/copied"))
        }
    }

    @Test("writeBadMark: JSON the gatherer reads back; refused outside a directory and through a symlink")
    func badMark() throws {
        try withTree { root in
            let host = LiveHost()
            let release = root + "/releases/2"
            try FileManager.default.createDirectory(atPath: release, withIntermediateDirectories: true)
            let mark = ReleaseBadMark(markedAt: "2026-11-21T13:00:00Z", reason: "did not answer /health/", by: "gwdoctor rollback")
            try host.writeBadMark(mark, inRelease: release)
            let bytes = try host.readFile(release + "/" + ReleaseBadMark.fileName, maxBytes: ReleaseBadMark.maxBytes)
            #expect(ReleaseBadMark.decode(bytes) == mark)
            #expect(ReleaseBadMark.decode(Array("broken by hand\n".utf8)).reason == "broken by hand")
            try FileManager.default.createSymbolicLink(atPath: root + "/releases/3", withDestinationPath: release)
            #expect(throws: HostError.self) { try host.writeBadMark(mark, inRelease: root + "/releases/3") }
            try FileManager.default.removeItem(atPath: release + "/" + ReleaseBadMark.fileName)
            try FileManager.default.createSymbolicLink(atPath: release + "/" + ReleaseBadMark.fileName, withDestinationPath: root + "/elsewhere")
            #expect(throws: HostError.self) { try host.writeBadMark(mark, inRelease: release) }
            #expect(!FileManager.default.fileExists(atPath: root + "/elsewhere"), "O_NOFOLLOW: nothing written through the link")
        }
    }
}
