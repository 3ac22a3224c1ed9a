import DoctorParsers
import Foundation
import Testing

/// `DjangoMigrationParser` on real migration files: the lab's probe app's migrations as
/// `django-admin makemigrations` (Django 5.2.19) wrote them (0003 is `makemigrations --empty`
/// with a `RunPython` added, the way data migrations are written), and Django's own
/// contrib migrations copied from the lab venv. Edge cases of the syntax (keyword and
/// explicit-None reverses, RunSQL, SeparateDatabaseAndState, custom classes) are inline.
@Suite("Django migration files")
struct MigrationFileParserTests {
    private func fixture(_ path: String) throws -> DjangoMigrationFile {
        DjangoMigrationParser.parse(try Fixtures.text("django-migrations/" + path))
    }

    @Test("makemigrations CreateModel: reversible, one operation at its line")
    func createModel() throws {
        let file = try fixture("probe/0001_initial.py")
        #expect(file.operationsFound)
        #expect(file.operations.map(\.name) == ["CreateModel"])
        #expect(file.operations.first?.line == 14)
        #expect(file.isReversible == true)
    }

    @Test("makemigrations AddField: reversible")
    func addField() throws {
        let file = try fixture("probe/0002_visit_status.py")
        #expect(file.operations.map(\.name) == ["AddField"])
        #expect(file.isReversible == true)
    }

    @Test("RunPython without reverse_code: irreversible, with the reason and line")
    func runPythonWithoutReverse() throws {
        let file = try fixture("probe/0003_backfill_status.py")
        #expect(file.operations.map(\.name) == ["RunPython"])
        #expect(file.isReversible == false)
        let blocking = try #require(file.blockingOperations.first)
        #expect(blocking.reason == "RunPython without reverse_code")
        #expect(blocking.line == 18)
    }

    @Test("Django's contenttypes 0002: RunPython(noop, add_legacy_name) has a positional reverse")
    func positionalReverse() throws {
        let file = try fixture("contenttypes/0002_remove_content_type_name.py")
        #expect(file.operations.map(\.name) == ["AlterModelOptions", "AlterField", "RunPython", "RemoveField"])
        #expect(file.isReversible == true)
    }

    @Test("Django's auth 0011 (RunPython with a reverse function) and 0001 (models with validators): reversible")
    func authMigrations() throws {
        #expect(try fixture("auth/0011_update_proxy_permissions.py").isReversible == true)
        let initial = try fixture("auth/0001_initial.py")
        #expect(initial.operations.map(\.name) == ["CreateModel", "CreateModel", "CreateModel"])
        #expect(initial.isReversible == true)
    }

    @Test("keyword and explicit None reverses; RunSQL; strings holding brackets and commas")
    func syntaxVariants() {
        let text = """
            from django.db import migrations
            from django.db.migrations import RunSQL

            class Migration(migrations.Migration):
                operations = [
                    migrations.RunPython(forwards, reverse_code=backwards),  # ok
                    migrations.RunPython(forwards, reverse_code=None),
                    RunSQL("UPDATE t SET a = '(,]'", reverse_sql="UPDATE t SET a = ''"),
                    migrations.RunSQL(sql=\"\"\"
                        CREATE INDEX x ON t (a, b);
                    \"\"\"),
                    migrations.RunSQL("SELECT 1", migrations.RunSQL.noop),
                ]
            """
        let file = DjangoMigrationParser.parse(text)
        #expect(file.operations.map(\.reversible) == [true, false, true, false, true])
        #expect(file.operations.map(\.line) == [6, 7, 8, 9, 12])
        #expect(file.operations[3].reason == "RunSQL without reverse_sql")
        #expect(file.isReversible == false)
    }

    @Test("SeparateDatabaseAndState: only database_operations count; a custom operation is unknown")
    func separateAndCustom() {
        let text = """
            class Migration(migrations.Migration):
                operations = [
                    migrations.SeparateDatabaseAndState(
                        state_operations=[migrations.RunPython(f)],
                        database_operations=[migrations.AddField("a", "b", models.IntegerField(default=0))],
                    ),
                    myapp.operations.LoadFixture("x.json"),
                ]
            """
        let file = DjangoMigrationParser.parse(text)
        #expect(file.operations.map(\.name) == ["AddField", "LoadFixture"])
        #expect(file.isReversible == nil)
        #expect(file.blockingOperations.map(\.name) == ["LoadFixture"])
    }

    @Test("no operations list, binary garbage, a truncated file: no crash, reversibility unknown or partial")
    func badInput() {
        #expect(DjangoMigrationParser.parse("print('hello')").isReversible == nil)
        let garbage = String(decoding: (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 31) }, as: UTF8.self)
        #expect(DjangoMigrationParser.parse(garbage).operationsFound == false)
        let truncated = DjangoMigrationParser.parse("operations = [\n    migrations.RunPython(forwards,")
        #expect(truncated.operations.map(\.name) == ["RunPython"])
        #expect(truncated.isReversible == false)
    }

    @Test("migration names: Django's loader skips __init__, _private and non-.py files")
    func names() {
        #expect(DjangoMigrationParser.migrationName(fileName: "0003_backfill_status.py") == "0003_backfill_status")
        #expect(DjangoMigrationParser.migrationName(fileName: "__init__.py") == nil)
        #expect(DjangoMigrationParser.migrationName(fileName: "_helpers.py") == nil)
        #expect(DjangoMigrationParser.migrationName(fileName: "0001_initial.pyc") == nil)
    }
}

/// `MigrationRecorderOutput` on what the reader script really printed (Django 5.2.19, SQLite):
/// a database migrated up to the probe app's 0003, and a database path that does not exist
/// (the script does not open it, so SQLite does not create it). Both
/// start with Django 5.2's own stdout line (`5 objects imported automatically`).
@Suite("Migration reader output")
struct MigrationRecorderOutputTests {
    @Test("applied rows, vendor and table, sorted; Django's own lines ignored")
    func applied() throws {
        let output = try #require(MigrationRecorderOutput.parse(try Fixtures.text("django-migrations/reader-output-applied.txt")))
        #expect(output.vendor == "sqlite")
        #expect(output.tableExists)
        #expect(output.applied.count == 17)
        #expect(output.applied.filter { $0.app == "probe" }.map(\.name) == ["0001_initial", "0002_visit_status", "0003_backfill_status"])
    }

    @Test("a fresh database: no table, nothing applied")
    func fresh() throws {
        let output = try #require(MigrationRecorderOutput.parse(try Fixtures.text("django-migrations/reader-output-fresh.txt")))
        #expect(!output.tableExists)
        #expect(output.applied.isEmpty)
    }

    @Test("the script that produced these outputs is the one gwdoctor runs")
    func scriptIsTheFixtures() throws {
        let fixture = try Fixtures.text("django-migrations/reader-script.py")
        #expect(MigrationRecorderOutput.readerScript == fixture.trimmingCharacters(in: .newlines))
    }

    @Test("output cut before the end marker is not 'nothing applied'")
    func truncated() throws {
        let text = try Fixtures.text("django-migrations/reader-output-applied.txt")
        let cut = String(text.prefix(upTo: try #require(text.range(of: "gwdoctor-end")).lowerBound))
        #expect(MigrationRecorderOutput.parse(cut) == nil)
        #expect(MigrationRecorderOutput.parse("") == nil)
    }
}

/// `MigrationCommandEnvironmentParser`: values for the reader's environment, in each
/// manager's syntax; `CommandEnvironment` never prints them.
@Suite("Migration command environment")
struct MigrationCommandEnvironmentTests {
    @Test("supervisor environment= with quotes, commas inside quotes and %(here)s")
    func supervisor() throws {
        let config = """
            [program:app]
            command=/srv/app/current/venv/bin/gunicorn x.wsgi
            environment=DJANGO_SETTINGS_MODULE="labsite.settings",DJANGO_SECRET_KEY="s3cr,et",
              LAB_DATA_DIR="%(here)s/data"
            """
        let env = try #require(MigrationCommandEnvironmentParser.supervisorProgram("app", configText: config, file: "/etc/sv/app.conf"))
        #expect(env.values == ["DJANGO_SETTINGS_MODULE": "labsite.settings", "DJANGO_SECRET_KEY": "s3cr,et", "LAB_DATA_DIR": "/etc/sv/data"])
        #expect(!env.description.contains("s3cr"))
        #expect(!String(reflecting: env).contains("s3cr"))
        #expect(!"\(env)".contains("s3cr"))
        #expect(MigrationCommandEnvironmentParser.supervisorProgram("other", configText: config, file: "/etc/sv/app.conf") == nil)
    }

    @Test("env file and systemd Environment= (quoted words, reset by an empty assignment)")
    func systemd() {
        let file = MigrationCommandEnvironmentParser.envFile("# c\nexport A=1\nB=\"two words\"\nC='x' \n;d\nBAD LINE\n")
        #expect(file.values == ["A": "1", "B": "two words", "C": "x"])
        let unit = MigrationCommandEnvironmentParser.systemdUnit("""
            [Service]
            Environment=OLD=1
            Environment=
            Environment="DJANGO_SETTINGS_MODULE=mysite.settings" "MSG=a b" PLAIN=c
            [Install]
            Environment=NOT=this
            """)
        #expect(unit.values == ["DJANGO_SETTINGS_MODULE": "mysite.settings", "MSG": "a b", "PLAIN": "c"])
    }
}
