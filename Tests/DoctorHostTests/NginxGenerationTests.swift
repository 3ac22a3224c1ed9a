import DoctorFacts
@testable import DoctorHost
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The running nginx generation and the config files changed since, on real files (mtimes
/// set with utimensat) and on real process start times read from /proc.
@Suite struct NginxGenerationTests {
    static let master = 100

    func worker(_ pid: Int, startedAt: Double?, title: String = "nginx: worker process") -> ProcessRecord {
        ProcessRecord(pid: pid, ppid: Self.master, cmdline: [title], comm: "nginx", startedAt: startedAt)
    }

    func setMTime(_ path: String, _ seconds: Double, followLinks: Bool = true) {
        var times = [timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - seconds.rounded(.down)) * 1e9)),
                     timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - seconds.rounded(.down)) * 1e9))]
        #expect(utimensat(AT_FDCWD, path, &times, followLinks ? 0 : AT_SYMLINK_NOFOLLOW) == 0)
    }

    @Test func filesOlderThanTheOldestCurrentWorkerAreUnchanged() throws {
        let dir = try TemporaryDirectory()
        let main = try dir.write("nginx.conf", "events {}\n")
        setMTime(main, 1_000)
        let generation = try #require(NginxGeneration.gather(host: LiveHost(), masterPID: Self.master,
                                                             processes: [worker(101, startedAt: 2_000)], files: [main]))
        #expect(generation.workersStarted == 2_000)
        #expect(generation.changedFiles.isEmpty)
        #expect(generation.filesChecked == 1)
    }

    @Test func shuttingDownWorkersAreAnOlderGenerationAndARespawnDoesNotHideAChange() throws {
        let dir = try TemporaryDirectory()
        let main = try dir.write("nginx.conf", "events {}\n")
        let site = try dir.write("site.conf", "server {}\n")
        setMTime(main, 1_000)
        setMTime(site, 3_000) // edited after the reload at ~2000, before a worker was re-spawned at 4000
        let processes = [
            worker(90, startedAt: 500, title: "nginx: worker process is shutting down"),
            worker(101, startedAt: 2_000),
            worker(102, startedAt: 4_000), // re-spawned after a crash: same config, younger
            ProcessRecord(pid: 103, ppid: Self.master, cmdline: ["nginx: cache manager process"], comm: "nginx", startedAt: 5_000),
            ProcessRecord(pid: 200, ppid: 1, cmdline: ["nginx: worker process"], comm: "nginx", startedAt: 100), // another master's
        ]
        let generation = try #require(NginxGeneration.gather(host: LiveHost(), masterPID: Self.master, processes: processes,
                                                             files: [main, site]))
        #expect(generation.workersStarted == 2_000, "the oldest current worker, not the shutting-down one nor the re-spawn")
        #expect(generation.oldestWorkerPID == 101)
        #expect(generation.workerPIDs == [101, 102])
        #expect(generation.shuttingDownPIDs == [90])
        #expect(generation.changedFiles.map(\.path) == [site])
        #expect(generation.changedFiles.first?.modified == 3_000)
    }

    @Test func aNewSymlinkCountsEvenWhenItsTargetIsOld() throws {
        let dir = try TemporaryDirectory()
        let target = try dir.write("available.conf", "server {}\n")
        let link = dir.file("enabled.conf")
        #expect(symlink(target, link) == 0)
        setMTime(target, 1_000)
        setMTime(link, 3_000, followLinks: false)
        let generation = try #require(NginxGeneration.gather(host: LiveHost(), masterPID: Self.master,
                                                             processes: [worker(101, startedAt: 2_000)], files: [link]))
        #expect(generation.changedFiles == [ChangedConfigFile(path: link, modified: 3_000, linkChanged: true)])
    }

    @Test func withinTheToleranceAndWithoutAStartNothingIsClaimed() throws {
        let dir = try TemporaryDirectory()
        let main = try dir.write("nginx.conf", "events {}\n")
        setMTime(main, 2_000.5) // written and reloaded in the same instant by a deploy script
        let generation = try #require(NginxGeneration.gather(host: LiveHost(), masterPID: Self.master,
                                                             processes: [worker(101, startedAt: 2_000)], files: [main]))
        #expect(generation.changedFiles.isEmpty)
        #expect(NginxGeneration.gather(host: LiveHost(), masterPID: Self.master, processes: [worker(101, startedAt: nil)],
                                       files: [main]) == nil)
        #expect(NginxGeneration.gather(host: LiveHost(), masterPID: Self.master,
                                       processes: [worker(90, startedAt: 1, title: "nginx: worker process is shutting down")],
                                       files: [main]) == nil)
    }

    @Test func aMissingFileIsUnreadableNotChanged() throws {
        let generation = try #require(NginxGeneration.gather(host: LiveHost(), masterPID: Self.master,
                                                             processes: [worker(101, startedAt: 2_000)],
                                                             files: ["/nonexistent/gwdoctor/nginx.conf"]))
        #expect(generation.changedFiles.isEmpty)
        #expect(generation.unreadable.count == 1)
    }

    /// The start read from /proc for a process started now is now, on the wall clock: the
    /// boot-clock arithmetic (CLOCK_REALTIME − CLOCK_BOOTTIME + starttime ticks) holds.
    @Test func liveStartTimeOfAFreshProcessIsNow() async throws {
        let before = Date().timeIntervalSince1970
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/sleep")
        child.arguments = ["2"]
        try child.run()
        defer { child.terminate(); child.waitUntilExit() }
        let after = Date().timeIntervalSince1970
        let record = try #require(try LiveHost().processes().first { $0.pid == Int(child.processIdentifier) })
        let started = try #require(record.startedAt)
        // Ticks are 10 ms; allow that and a little scheduling slack either side.
        #expect(started >= before - 0.05 && started <= after + 0.05, "started \(started), spawned between \(before) and \(after)")
    }
}
