import DoctorHost
import DoctorRemedy
import Foundation
import Testing

/// `DeployArguments` on a real temporary deploy tree read through `LiveHost`: the typos an
/// operator makes in `gate --release`, `--root-dir` and `rollback --to` are refused with one
/// line naming the argument; every real release and root passes.
@Suite("Deploy arguments")
struct DeployArgumentsTests {
    /// `ROOT/releases/{1,2}`, `ROOT/current` → `releases/1`, plus a copy deploy (`current` a
    /// directory) and a plain directory.
    private func tree() throws -> (base: String, root: String) {
        let base = try Build.temporaryDirectory()
        let root = base + "/app"
        let manager = FileManager.default
        for path in [root + "/releases/1", root + "/releases/2/mysite", base + "/copied/releases/1", base + "/copied/current", base + "/plain"] {
            try manager.createDirectory(atPath: path, withIntermediateDirectories: true)
        }
        try manager.createSymbolicLink(atPath: root + "/current", withDestinationPath: "releases/1")
        try manager.createSymbolicLink(atPath: root + "/releases/3", withDestinationPath: "/nonexistent/gwdoctor-release")
        return (base, root)
    }

    @Test("gate --release: a release of a current-symlink root passes (trailing slash too); typos and non-releases are refused naming the path")
    func gateRelease() throws {
        let (base, root) = try tree()
        defer { try? FileManager.default.removeItem(atPath: base) }
        let arguments = DeployArguments(host: LiveHost())
        #expect(arguments.checkGate(release: root + "/releases/2", rootDirectory: nil) == nil)
        #expect(arguments.checkGate(release: root + "/releases/2/", rootDirectory: root) == nil)
        // The current release passes here: "already current" is the planner's audited refusal.
        #expect(arguments.checkGate(release: root + "/releases/1", rootDirectory: nil) == nil)

        let typo = arguments.checkGate(release: root + "/releses/42", rootDirectory: nil)
        #expect(typo?.message == "--release \(root)/releses/42: no such directory", "\(String(describing: typo))")
        #expect(arguments.checkGate(release: root + "/releases/42", rootDirectory: nil)?.message.hasSuffix("no such directory") == true)
        #expect(arguments.checkGate(release: root + "/releases/3", rootDirectory: nil)?.message.hasSuffix("no such directory") == true,
                "a dangling release link is not a directory to deploy")
        let plain = arguments.checkGate(release: base + "/plain", rootDirectory: nil)
        #expect(plain?.message.contains("not a release directory (ROOT/releases/ID)") == true, "\(String(describing: plain))")
        // ROOT/current resolves to a release (the current one): the planner's "already current" refusal, not a typo.
        #expect(arguments.checkGate(release: root + "/current", rootDirectory: nil) == nil)
        let insideRelease = arguments.checkGate(release: root + "/releases/2/mysite", rootDirectory: nil)
        #expect(insideRelease?.message.contains("not a release directory") == true, "\(String(describing: insideRelease))")
        let copied = arguments.checkGate(release: base + "/copied/releases/1", rootDirectory: nil)
        #expect(copied?.message.contains("is a directory, not a symlink") == true, "\(String(describing: copied))")
        let badRoot = arguments.checkGate(release: root + "/releases/2", rootDirectory: base + "/ap")
        #expect(badRoot?.message == "--root-dir \(base)/ap: no such directory", "\(String(describing: badRoot))")
        // Every refusal is one line.
        for refusal in [typo, plain, insideRelease, copied, badRoot].compactMap({ $0 }) { #expect(!refusal.message.contains("\n")) }
    }

    @Test("rollback --root-dir and --to: a root without releases/ or current, a path in --to, and an unknown id are refused")
    func rollbackArguments() throws {
        let (base, root) = try tree()
        defer { try? FileManager.default.removeItem(atPath: base) }
        let arguments = DeployArguments(host: LiveHost())
        #expect(arguments.checkRollback(rootDirectory: nil, target: nil) == nil)
        #expect(arguments.checkRollback(rootDirectory: root, target: "2") == nil)
        #expect(arguments.checkRollback(rootDirectory: root, target: "3") == nil, "a dangling entry is the planner's to skip, with why")
        #expect(arguments.checkRollback(rootDirectory: nil, target: "1") == nil, "without a root the id is checked after the gather")

        #expect(arguments.checkRollback(rootDirectory: base + "/plain", target: nil)?.message.contains("no releases/ directory") == true)
        #expect(arguments.checkRollback(rootDirectory: base + "/copied", target: nil)?.message.contains("not a symlink") == true)
        #expect(arguments.checkRollback(rootDirectory: root, target: "../1")?.message.hasPrefix("--to ../1: not a release id") == true)
        #expect(arguments.checkRollback(rootDirectory: root, target: "42")?.message == "--to 42: no release 42 in \(root)/releases")
        #expect(arguments.checkRelease("42", root: root) != nil)
        #expect(arguments.checkRelease("2", root: root) == nil)
    }
}
