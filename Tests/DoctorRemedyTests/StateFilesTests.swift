import DoctorFacts
@testable import DoctorRemedy
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The restart budget and the audit log on real files in a private temp directory.
@Suite("Remedy state files")
struct StateFilesTests {
    private func mode(_ path: String) -> mode_t? {
        var info = stat()
        return lstat(path, &info) == 0 ? info.st_mode & 0o7777 : nil
    }

    @Test("budget: 3 restarts of one service per 15 minutes, counted across instances (runs), per service")
    func budgetLimit() throws {
        let directory = StateDirectory(try Build.temporaryDirectory() + "/state")
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        for number in 1...3 {
            // A new value each time, as a new gwdoctor run would make: the count lives in the file.
            #expect(try RestartBudget(directory: directory).reserve("supervisor:app", now: now.addingTimeInterval(Double(number)))
                    == .allowed(number: number, limit: 3))
        }
        let fourth = try RestartBudget(directory: directory).reserve("supervisor:app", now: now.addingTimeInterval(10))
        guard case let .exhausted(restarts, limit, nextAllowed) = fourth else {
            Issue.record("expected the budget to be spent, got \(fourth)")
            return
        }
        #expect(restarts.count == 3 && limit == 3)
        #expect(nextAllowed == now.addingTimeInterval(1 + 900))
        // Another service has its own budget; the first one's frees up as restarts leave the window.
        #expect(try RestartBudget(directory: directory).reserve("supervisor:other", now: now.addingTimeInterval(11)).isAllowed)
        #expect(try RestartBudget(directory: directory).reserve("supervisor:app", now: now.addingTimeInterval(902)).isAllowed)
        #expect(mode(directory.path) == 0o700)
        #expect(mode(directory.file(RestartBudget.fileName)) == 0o600)
    }

    @Test("budget: a corrupt file stops restarts instead of forgetting them")
    func corruptBudget() throws {
        let directory = StateDirectory(try Build.temporaryDirectory())
        try Data("{not json".utf8).write(to: URL(fileURLWithPath: directory.file(RestartBudget.fileName)))
        #expect(throws: RemedyStateError.self) { try RestartBudget(directory: directory).reserve("supervisor:app") }
    }

    @Test("budget: concurrent runs never lose or corrupt a count (flock + write-temp-rename)")
    func concurrentReservations() throws {
        let directory = StateDirectory(try Build.temporaryDirectory())
        let budget = RestartBudget(directory: directory, limit: 1000)
        DispatchQueue.concurrentPerform(iterations: 24) { _ in
            _ = try? budget.reserve("supervisor:app")
        }
        #expect(try budget.restarts(of: "supervisor:app").count == 24)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".tmp") }
        #expect(leftovers.isEmpty, "temporary files left: \(leftovers)")
    }

    @Test("audit log: one JSON line per entry, 0600 in a 0700 directory, redacted, readable back")
    func auditLines() throws {
        let directory = StateDirectory(try Build.temporaryDirectory() + "/nested/state")
        let log = AuditLog(directory: directory)
        let time = Date(timeIntervalSince1970: 1_800_000_000)
        try log.append(AuditEntry(time: time, run: "r1", step: "restart-service", target: "supervisor:app",
                                  argv: ["supervisorctl", "-c", "/etc/supervisor/supervisord.conf", "restart", "app"], exitStatus: 0,
                                  verified: "passed", verification: "app.test /: direct → 200", outcome: .succeeded))
        try log.append(AuditEntry(time: time, run: "r1", step: "start-service", argv: ["tool", "--password", "hunter2"],
                                  outcome: .failed, detail: "DATABASE_URL=postgres://app:s3cret@db/app refused"))
        let text = try String(contentsOfFile: log.path, encoding: .utf8)
        let lines = text.split(separator: "\n")
        #expect(lines.count == 2 && text.hasSuffix("\n"))
        #expect(lines[0].contains(#""exit_status":0"#) && lines[0].contains(#""time":"2027-01-15T08:00:00Z""#), "\(lines[0])")
        #expect(!text.contains("hunter2") && !text.contains("s3cret"), "\(text)")
        #expect(mode(log.path) == 0o600)
        #expect(mode(directory.path) == 0o700)
        let entries = try log.entries()
        #expect(entries.map(\.step) == ["restart-service", "start-service"])
        #expect(entries[0].argv == ["supervisorctl", "-c", "/etc/supervisor/supervisord.conf", "restart", "app"])
        #expect(entries[1].outcome == .failed)
    }

    @Test("state directory: world-writable or a symlink is refused, never repaired or followed")
    func unsafeStateDirectory() throws {
        let base = try Build.temporaryDirectory()
        let open = base + "/open"
        try FileManager.default.createDirectory(atPath: open, withIntermediateDirectories: false)
        chmod(open, 0o777)
        #expect(throws: RemedyStateError.self) { try AuditLog(directory: StateDirectory(open)).append(AuditEntry(run: "r", step: "x", outcome: .succeeded)) }
        #expect(!FileManager.default.fileExists(atPath: open + "/audit.jsonl"))
        #expect(mode(open) == 0o777, "gwdoctor must not change a directory it refuses")

        let link = base + "/link"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: base)
        #expect(throws: RemedyStateError.self) { try StateDirectory(link).prepare() }
        #expect(throws: RemedyStateError.self) { try StateDirectory("relative/state").prepare() }
    }
}
