import DoctorLab
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `gwdoctor gate` as a deploy script runs it (no terminal, no `--yes`): a Capistrano-style tree
/// (release 1 live, release 2 uploaded), Gunicorn from `current` under a real supervisord, a
/// second supervised program that has nothing to do with the tree, nginx in front, the SQLite
/// database migrated by release 1. Each test asserts the end state through real HTTP requests
/// through nginx, the link on disk, /proc/PID/cwd, the audit log and the bad mark, and that
/// nothing else was touched (nginx's master pid, the other program's pid, release 1's files).
extension LabTests {
    @Suite("Gate scenarios")
    struct GateScenario: ReleaseScenarioSuite {
        /// A release that crashes on boot ends FATAL after 5 s instead of being restarted forever.
        let startsecs = 5

        /// Both releases' manage.py log their runs: `shell` is gwdoctor's migration reader.
        private func countReaderRuns(_ lab: Lab, _ tree: LabReleaseTree) throws {
            for id in ["1", "2"] { try lab.recordManagePyRuns(tree, release: id) }
        }

        @Test("gate with a good release 2: current → release 2, 3 consecutive 2xx directly and through nginx, exit 0, nothing else touched")
        func goodRelease() async throws {
            try await withScenarioLab("gate-good") { lab in
                let tree = try lab.makeReleaseTree([LabRelease(id: "1"), LabRelease(id: "2")], current: "1")
                try countReaderRuns(lab, tree)
                let site = try await startStack(lab, tree)
                let nginxBefore = nginxMasterPID(lab)
                let otherBefore = try await lab.programPID(other)
                let release1Before = lab.treeSignature(tree.release("1"))

                // The dry run plans and changes nothing.
                let dry = try await lab.gate(release: tree.release("2"), ["--dry-run", "--format", "json"])
                #expect(dry.exitCode == 0, "\(dry)")
                #expect(try dry.json()["result"] as? String == "dry-run", "\(dry)")
                #expect(link(tree) == "releases/1")
                #expect(lab.auditEntries().isEmpty)

                // A typo in --release is a usage error: one line on stderr, exit 64, no state directory, no audit line.
                let typo = try await lab.gate(release: tree.root + "/releses/2")
                #expect(typo.exitCode == 64, "\(typo)")
                #expect(typo.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
                        == "gwdoctor gate: --release \(tree.root)/releses/2: no such directory", "\(typo)")
                #expect(!lab.exists(lab.rollbackStateDirectory), "a refused argument must not create the state directory")

                let run = try await lab.gate(release: tree.release("2"), ["--timeout", "30s", "--format", "json"])
                #expect(run.exitCode == 0, "\(run)\n\(lab.logs())")
                let json = try run.json()
                #expect(json["result"] as? String == "deployed", "\(run)")
                #expect((json["health"] as? String)?.hasPrefix("3 of 3 consecutive") == true, "\(run)")
                let last = json["last_round"] as? [[String: Any]] ?? []
                #expect(!last.isEmpty && last.allSatisfy { $0["healthy"] as? Bool == true }, "\(last)")
                #expect(last.first.flatMap { $0["via_proxy"] as? String }?.hasSuffix("/health/ → 200") == true, "\(last)")
                #expect(json["diagnosis"] == nil)
                #expect(lab.managePyRuns("shell") == 0, "a gate that passes never needs the schema: no manage.py run (dry run included)")

                #expect(link(tree) == "releases/2", "current: \(link(tree) ?? "nil")")
                let status = try await lab.waitForProgramState(app, states: ["RUNNING"])
                #expect(status.state == "RUNNING")
                #expect(cwd(try await lab.programPID(app)) == tree.release("2"), "gunicorn runs from release 2")
                try await expectTraffic(lab, site, 200)
                #expect(steps(lab) == ["plan:succeeded", "switch-release:succeeded", "restart-service:succeeded", "verify:succeeded"],
                        "\(steps(lab))")
                #expect(lab.auditEntries().allSatisfy { $0["command"] as? String == "gate" })
                #expect(markFile(tree, "1") == nil && markFile(tree, "2") == nil, "no release is marked bad")

                #expect(nginxMasterPID(lab) == nginxBefore, "nginx was not restarted or reloaded")
                #expect(try await lab.programPID(other) == otherBefore, "the other program was not restarted")
                #expect(lab.treeSignature(tree.release("1")) == release1Before)

                // Gating the release that is already current refuses and changes nothing.
                let again = try await lab.gate(release: tree.release("2"))
                #expect(again.exitCode == 1, "\(again)")
                #expect(again.stdout.contains("already current"), "\(again)")
                // A directory that is not a release is a usage error, not an audited refusal.
                let entries = lab.auditEntries().count
                let stray = try await lab.gate(release: lab.directory)
                #expect(stray.exitCode == 64 && stray.stderr.contains("not a release directory (ROOT/releases/ID)"), "\(stray)")
                #expect(lab.auditEntries().count == entries, "a usage error writes no audit line")
                #expect(link(tree) == "releases/2")
            }
        }

        @Test("gate with release 2 that crashes on boot (KeyError on a missing env var): back to release 1, 200 through nginx, release 2 marked bad, exit 2, app-startup-crash (missing-env-var)")
        func crashingRelease() async throws {
            try await withScenarioLab("gate-crash") { lab in
                let tree = try lab.makeReleaseTree([LabRelease(id: "1"), LabRelease(id: "2")], current: "1")
                try lab.requireEnvironmentVariable(tree, release: "2")
                try countReaderRuns(lab, tree)
                let site = try await startStack(lab, tree)
                let nginxBefore = nginxMasterPID(lab)
                let otherBefore = try await lab.programPID(other)
                let release1Before = lab.treeSignature(tree.release("1"))
                let appliedBefore = try await lab.appliedMigrations()

                let run = try await lab.gate(release: tree.release("2"), ["--timeout", "10s", "--format", "json"])
                #expect(run.exitCode == 2, "\(run)\n\(lab.logs())")
                let json = try run.json()
                #expect(json["result"] as? String == "rolled-back", "\(run)")
                let diagnosis = json["diagnosis"] as? [String: Any] ?? [:]
                #expect(diagnosis["check"] as? String == "app-startup-crash", "\(run)")
                #expect(diagnosis["cause"] as? String == "missing-env-var", "\(run)")
                #expect(diagnosis["status"] as? String == "critical", "\(run)")
                #expect((diagnosis["summary"] as? String)?.contains(Lab.gateMissingVariable) == true, "the summary names the variable:\n\(run)")
                #expect((json["message"] as? String)?.contains("app-startup-crash (missing-env-var)") == true, "\(run)")
                #expect(lab.managePyRuns("shell") == 1, "the schema is read once, before the switch back (with release 1): \(lab.managePyRuns("shell"))")

                #expect(link(tree) == "releases/1", "switched back: \(link(tree) ?? "nil")")
                let status = try await lab.waitForProgramState(app, states: ["RUNNING"], timeout: .seconds(60))
                #expect(status.state == "RUNNING")
                #expect(cwd(try await lab.programPID(app)) == tree.release("1"))
                try await expectTraffic(lab, site, 200)

                let mark = try #require(markFile(tree, "2"), "release 2 carries .gwdoctor-bad")
                #expect((mark["by"] as? String) == "gwdoctor gate", "\(mark)")
                #expect((mark["reason"] as? String)?.contains("app-startup-crash (missing-env-var)") == true, "\(mark)")
                #expect(markFile(tree, "1") == nil)
                let recorded = steps(lab)
                #expect(recorded.first == "plan:succeeded" && recorded.contains("switch-release:succeeded")
                        && recorded.contains("verify:failed") && recorded.contains("diagnose:succeeded")
                        && recorded.contains("schema-guard:succeeded") && recorded.contains("switch-back:succeeded")
                        && recorded.suffix(2) == ["verify:succeeded", "mark-release-bad:succeeded"], "\(recorded)")

                #expect(nginxMasterPID(lab) == nginxBefore)
                #expect(try await lab.programPID(other) == otherBefore)
                #expect(lab.treeSignature(tree.release("1")) == release1Before)
                #expect(try await lab.appliedMigrations() == appliedBefore)
                #expect(!run.stdout.contains(Lab.djangoSecretKey))
            }
        }

        @Test("release 2 migrates (deploy ran manage.py migrate) and then crashes on boot: gate does not switch back, exit 4, names the migrations and the cause")
        func schemaBlocksSwitchBack() async throws {
            try await withScenarioLab("gate-schema") { lab in
                let tree = try lab.makeReleaseTree([LabRelease(id: "1"), LabRelease(id: "2")], current: "1")
                try lab.addProbeMigrations(tree, release: "2")
                try lab.requireEnvironmentVariable(tree, release: "2", in: "labsite/wsgi.py")
                try countReaderRuns(lab, tree)
                let site = try await startStack(lab, tree)
                try await lab.migrate(tree, release: "2")
                let appliedBefore = try await lab.appliedMigrations()
                for migration in Lab.overlayMigrations {
                    #expect(appliedBefore.contains(migration), "release 2's migrate applied \(migration): \(appliedBefore)")
                }
                let nginxBefore = nginxMasterPID(lab)
                let otherBefore = try await lab.programPID(other)
                let release1Before = lab.treeSignature(tree.release("1"))

                let run = try await lab.gate(release: tree.release("2"), ["--timeout", "8s"])
                #expect(run.exitCode == 4, "\(run)\n\(lab.logs())")
                #expect(run.stdout.contains("Why release 2 failed: critical: app-startup-crash (missing-env-var)"), "\(run)")
                #expect(run.stdout.contains("Schema guard: incompatible"), "\(run)")
                #expect(run.stdout.contains("probe.0003_backfill_status (irreversible: RunPython without reverse_code at line 18)"), "\(run)")
                #expect(run.stdout.contains("Release 2 is left in place"), "\(run)")
                #expect(run.stdout.contains("manage.py migrate probe zero"), "the undo command:\n\(run)")
                #expect(lab.managePyRuns("shell") == 1, "the schema is read once, after the failure: \(lab.managePyRuns("shell"))")

                #expect(link(tree) == "releases/2", "not switched back: \(link(tree) ?? "nil")")
                #expect(steps(lab) == ["plan:succeeded", "switch-release:succeeded", "restart-service:failed", "verify:failed",
                                       "diagnose:succeeded", "schema-guard:refused"], "\(steps(lab))")
                #expect(markFile(tree, "1") == nil && markFile(tree, "2") == nil, "nothing is marked: a person decides")
                try await expectTraffic(lab, site, 502)

                #expect(nginxMasterPID(lab) == nginxBefore)
                #expect(try await lab.programPID(other) == otherBefore)
                #expect(try await lab.appliedMigrations() == appliedBefore, "the gate never migrates")
                #expect(lab.treeSignature(tree.release("1")) == release1Before)
            }
        }
    }
}
