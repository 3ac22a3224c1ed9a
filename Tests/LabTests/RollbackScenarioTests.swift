import DoctorLab
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `gwdoctor rollback` on a real deploy: a Capistrano-style tree in the lab (release 1 = the
/// labsite, release 2 = broken or with new migrations), Gunicorn from `current` under a real
/// supervisord, a second supervised program that has nothing to do with the tree, nginx in
/// front, and the SQLite database migrated for real with `manage.py migrate`.
///
/// Each test proves the starting state (the link, supervisorctl, nginx's answer, the
/// `django_migrations` rows read with Python's sqlite3), runs gwdoctor, and asserts the end
/// state through real HTTP requests through nginx, the link on disk, /proc/PID/cwd, the
/// audit log, the bad mark — and that nothing else was touched: nginx's master pid, the other
/// program's pid, the applied migrations, release 1's files.
extension LabTests {
    @Suite("Rollback scenarios")
    struct RollbackScenario: ReleaseScenarioSuite {
        /// A release that crashes on boot ends FATAL after 10 s instead of being restarted forever.
        let startsecs = 10

        /// The deploy of release `id`: switch `current`, restart the app, wait for `states`.
        private func deploy(_ lab: Lab, _ tree: LabReleaseTree, _ id: String, until states: Set<String>) async throws {
            try lab.switchCurrent(tree, to: id)
            _ = try await lab.supervisorctl(["restart", app], timeout: .seconds(90))
            let status = try await lab.waitForProgramState(app, states: states, timeout: .seconds(60))
            #expect(states.contains(status.state), "\(status)\n\(lab.tail(lab.programStderrLog(app), lines: 40))")
        }

        // MARK: Broken release 2

        @Test("release 2 without labsite/wsgi.py (FATAL, 502): rollback --apply --yes returns to release 1, 200 through nginx")
        func brokenRelease() async throws {
            try await withScenarioLab("rb-broken") { lab in
                let tree = try lab.makeReleaseTree([LabRelease(id: "1"), LabRelease(id: "2", missing: ["labsite/wsgi.py"])],
                                                   current: "1")
                let site = try await startStack(lab, tree)
                try await deploy(lab, tree, "2", until: ["FATAL"])
                try await expectTraffic(lab, site, 502)
                let nginxBefore = nginxMasterPID(lab)
                let otherBefore = try await lab.programPID(other)
                let appliedBefore = try await lab.appliedMigrations()
                #expect(appliedBefore.contains("contenttypes.0001_initial"), "release 1's migrate ran: \(appliedBefore)")
                let release1Before = lab.treeSignature(tree.release("1"))

                // The dry run names the target and changes nothing.
                let dry = try await lab.rollback()
                #expect(dry.exitCode == 0, "\(dry)")
                #expect(dry.stdout.contains("target: release 1"), "\(dry)")
                #expect(dry.stdout.contains("Schema guard: compatible"), "\(dry)")
                #expect(link(tree) == "releases/2", "a dry run must not switch: \(link(tree) ?? "nil")")
                #expect(lab.auditEntries().isEmpty, "a dry run writes no audit entry")

                // Typos in --to and --root-dir are usage errors: exit 64, one line, no state directory.
                for (extra, message) in [(["--to", "7"], "gwdoctor rollback: --to 7: no release 7 in \(tree.root)/releases"),
                                         (["--root-dir", tree.root + "x"], "gwdoctor rollback: --root-dir \(tree.root)x: no such directory")] {
                    let typo = try await lab.rollback(["--apply", "--yes"] + extra)
                    #expect(typo.exitCode == 64, "\(typo)")
                    #expect(typo.stderr.trimmingCharacters(in: .whitespacesAndNewlines) == message, "\(typo)")
                    #expect(!lab.exists(lab.rollbackStateDirectory), "a refused argument must not create the state directory")
                }
                #expect(link(tree) == "releases/2")

                let run = try await lab.rollback(["--apply", "--yes"])
                #expect(run.exitCode == 0, "\(run)\n\(lab.logs())")
                #expect(link(tree) == "releases/1", "current: \(link(tree) ?? "nil")")
                let status = try await lab.waitForProgramState(app, states: ["RUNNING"])
                #expect(status.state == "RUNNING")
                #expect(cwd(try await lab.programPID(app)) == tree.release("1"), "gunicorn runs from release 1")
                try await expectTraffic(lab, site, 200)

                // Release 2 is marked bad, with a timestamp; the audit log has every step.
                let mark = try #require(markFile(tree, "2"), "release 2 carries .gwdoctor-bad")
                #expect((mark["markedAt"] as? String)?.hasPrefix("20") == true, "\(mark)")
                #expect((mark["reason"] as? String)?.contains("rollback to release 1") == true, "\(mark)")
                #expect(mark["by"] as? String == "gwdoctor rollback", "\(mark)")
                #expect(lab.auditEntries().allSatisfy { $0["command"] as? String == "rollback" }, "\(lab.auditEntries())")
                #expect(markFile(tree, "1") == nil)
                #expect(steps(lab) == ["schema-guard:succeeded", "switch-release:succeeded", "restart-service:succeeded",
                                       "verify:succeeded", "mark-release-bad:succeeded"], "\(steps(lab))")
                let restart = lab.auditEntries().first { $0["step"] as? String == "restart-service" }
                // The program was FATAL: started, not restarted (a restart's stop half would fail).
                #expect((restart?["argv"] as? [String])?.suffix(2) == ["start", app], "\(restart ?? [:])")
                #expect(run.stdout.contains("Audit ("), "the audit is printed at the end:\n\(run)")

                // Nothing else was touched.
                #expect(nginxMasterPID(lab) == nginxBefore, "nginx was not restarted or reloaded")
                #expect(try await lab.programPID(other) == otherBefore, "the other program was not restarted")
                #expect(try await lab.appliedMigrations() == appliedBefore)
                #expect(lab.treeSignature(tree.release("1")) == release1Before, "release 1's files are unchanged")
                #expect(!run.stdout.contains(Lab.djangoSecretKey) && !run.stderr.contains(Lab.djangoSecretKey))

                // A second rollback would skip release 2 (marked bad) and 1 (current): nothing to go to.
                let again = try await lab.rollback()
                #expect(again.exitCode == 1, "\(again)")
            }
        }

        // MARK: The target does not boot either

        @Test("release 1 cannot boot (settings import a missing module): rollback switches back to 2, exit 2, release 1 marked bad")
        func targetFails() async throws {
            try await withScenarioLab("rb-switch-back") { lab in
                let tree = try lab.makeReleaseTree([LabRelease(id: "1"), LabRelease(id: "2")], current: "2")
                try lab.breakSettings(tree, release: "1")
                let site = try await startStack(lab, tree, migrateWith: "2")
                let nginxBefore = nginxMasterPID(lab)
                let otherBefore = try await lab.programPID(other)

                let run = try await lab.rollback(["--apply", "--yes", "--verify-timeout", "15s"], timeout: .seconds(240))
                #expect(run.exitCode == 2, "\(run)\n\(lab.logs())")
                // The schema was read with release 2 once release 1's settings failed to import.
                #expect(run.stdout.contains("Schema guard: compatible"), "\(run)")
                #expect(run.stdout.contains("switched"), "\(run)")
                #expect(link(tree) == "releases/2", "switched back: \(link(tree) ?? "nil")")
                let status = try await lab.waitForProgramState(app, states: ["RUNNING"], timeout: .seconds(60))
                #expect(status.state == "RUNNING")
                #expect(cwd(try await lab.programPID(app)) == tree.release("2"))
                try await expectTraffic(lab, site, 200)
                #expect(steps(lab) == ["schema-guard:succeeded", "switch-release:succeeded", "restart-service:failed", "verify:failed",
                                       "switch-back:succeeded", "restart-service:succeeded", "verify:succeeded",
                                       "mark-release-bad:succeeded"], "\(steps(lab))")
                let mark = try #require(markFile(tree, "1"), "release 1 is marked bad")
                #expect((mark["reason"] as? String)?.contains("did not answer") == true, "\(mark)")
                #expect(markFile(tree, "2") == nil, "the release that answers is not marked")
                #expect(nginxMasterPID(lab) == nginxBefore)
                #expect(try await lab.programPID(other) == otherBefore)
            }
        }

        // MARK: Release 2 applied migrations

        /// Release 1, then release 2 with the probe app's three migrations, migrated for real and running.
        /// `secretInGunicornConfig`: the app's DJANGO_SECRET_KEY comes from gunicorn.conf.py's `raw_env`.
        private func startMigratedRelease2(_ lab: Lab, secretInGunicornConfig: Bool = false) async throws -> (LabReleaseTree, NginxSite) {
            let tree = try lab.makeReleaseTree([LabRelease(id: "1"), LabRelease(id: "2")], current: "1")
            try lab.addProbeMigrations(tree, release: "2")
            let site = try await startStack(lab, tree) { program in
                if secretInGunicornConfig { try lab.moveSecretKeyToGunicornConfig(tree, releases: ["1", "2"], program: &program) }
            }
            try await lab.migrate(tree, release: "2")
            let applied = try await lab.appliedMigrations()
            for migration in Lab.overlayMigrations {
                #expect(applied.contains(migration), "release 2's migrate applied \(migration): \(applied)")
            }
            try await deploy(lab, tree, "2", until: ["RUNNING"])
            try await lab.waitUntilHealthy(bind)
            try await expectTraffic(lab, site, 200)
            return (tree, site)
        }

        @Test("release 2 applied probe migrations unknown to release 1: rollback refuses, names them and their reversibility (the secret read from gunicorn's raw_env)")
        func schemaRefuses() async throws {
            try await withScenarioLab("rb-schema") { lab in
                // The settings need DJANGO_SECRET_KEY, which only gunicorn.conf.py's raw_env gives:
                // the schema is read only if the reader passes it (else "unknown").
                let (tree, site) = try await startMigratedRelease2(lab, secretInGunicornConfig: true)
                let appBefore = try await lab.programPID(app)
                let nginxBefore = nginxMasterPID(lab)
                let appliedBefore = try await lab.appliedMigrations()
                let releasesBefore = [lab.treeSignature(tree.release("1")), lab.treeSignature(tree.release("2"))]

                let run = try await lab.rollback(["--apply", "--yes"])
                #expect(run.exitCode == 1, "\(run)")
                #expect(run.stdout.contains("Schema guard: incompatible"), "\(run)")
                let readFrom = run.stdout.split(separator: "\n").first { $0.contains("read from: ") }.map(String.init) ?? ""
                #expect(readFrom.contains("DJANGO_SECRET_KEY") && !readFrom.contains(Lab.djangoSecretKey),
                        "the reader got the key from raw_env, and shows its name only: \(readFrom)")
                #expect(run.stdout.contains("probe.0001_initial (reversible"), "\(run)")
                #expect(run.stdout.contains("probe.0003_backfill_status (irreversible: RunPython without reverse_code at line 18)"), "\(run)")
                #expect(run.stdout.contains("--force-schema"), "\(run)")
                #expect(run.stdout.contains("manage.py migrate probe zero"), "the undo command:\n\(run)")
                #expect(run.stdout.contains("contenttypes"), "apps from installed packages are listed as not compared:\n\(run)")
                #expect(steps(lab) == ["schema-guard:refused"], "\(steps(lab))")
                let guardArgv = lab.auditEntries().first?["argv"] as? [String] ?? []
                #expect(guardArgv.suffix(3) == ["shell", "-c", "<gwdoctor migration reader>"]
                        && guardArgv.contains(tree.release("1") + "/manage.py"), "the audit names the reader command: \(guardArgv)")
                let audit = (try? String(contentsOfFile: lab.rollbackStateDirectory + "/audit.jsonl", encoding: .utf8)) ?? ""
                #expect(!audit.contains(Lab.djangoSecretKey), "no environment value in the audit log")

                // Nothing changed.
                #expect(link(tree) == "releases/2")
                #expect(try await lab.programPID(app) == appBefore, "the app was not restarted")
                #expect(nginxMasterPID(lab) == nginxBefore)
                #expect(try await lab.appliedMigrations() == appliedBefore)
                #expect(markFile(tree, "2") == nil && markFile(tree, "1") == nil)
                #expect([lab.treeSignature(tree.release("1")), lab.treeSignature(tree.release("2"))] == releasesBefore,
                        "reading the schema through manage.py changed no file of either release")
                try await expectTraffic(lab, site, 200)
            }
        }

        @Test("the same with --force-schema: rolls back to release 1, 200 through nginx, migrations left applied")
        func schemaForced() async throws {
            try await withScenarioLab("rb-schema-forced") { lab in
                let (tree, site) = try await startMigratedRelease2(lab)
                let nginxBefore = nginxMasterPID(lab)
                let otherBefore = try await lab.programPID(other)
                let appliedBefore = try await lab.appliedMigrations()

                let run = try await lab.rollback(["--apply", "--yes", "--force-schema"])
                #expect(run.exitCode == 0, "\(run)\n\(lab.logs())")
                #expect(run.stdout.contains("probe.0003_backfill_status (irreversible"), "the plan still lists them:\n\(run)")
                #expect(link(tree) == "releases/1")
                #expect(cwd(try await lab.programPID(app)) == tree.release("1"))
                try await expectTraffic(lab, site, 200)
                let guardEntry = lab.auditEntries().first { $0["step"] as? String == "schema-guard" }
                #expect((guardEntry?["detail"] as? String)?.contains("overridden by --force-schema") == true, "\(guardEntry ?? [:])")
                #expect(steps(lab).last == "mark-release-bad:succeeded", "\(steps(lab))")
                #expect(markFile(tree, "2") != nil)

                #expect(nginxMasterPID(lab) == nginxBefore)
                #expect(try await lab.programPID(other) == otherBefore)
                #expect(try await lab.appliedMigrations() == appliedBefore, "a rollback never migrates")
            }
        }
    }
}
