@testable import DoctorParsers
import DoctorFacts
import Foundation
import Testing

/// Worker kills and kernel OOM lines on REAL outputs: Gunicorn 27.0.1 under systemd 252 (journal
/// MESSAGEs) with a worker that outlived `--timeout 2` and one the kernel OOM-killed under a
/// 150M cgroup limit, and the kernel's own lines from `dmesg --time-format=iso` and `journalctl -k`
/// (Fixtures/services/README.md).
@Suite("worker kills")
struct WorkerKillLogTests {
    private func journalMessages(_ name: String) throws -> ([Substring], [Date?]) {
        let entries = JournalJSON.parse(try Fixtures.text("services/recorded/\(name)")).filter { $0.pid != 1 }
        return (entries.map { Substring($0.message ?? "") }, entries.map(\.date))
    }

    @Test func timeoutKillIsNotABareSigkill() throws {
        let (lines, times) = try journalMessages("journal-worker-kills.json")
        let kills = WorkerKillLog.parse(lines: lines, source: "journal", firstLineNumber: nil, times: times)
        #expect(kills.count == 2)
        // pid 30: WORKER TIMEOUT (pid:30) first, then SIGKILL — the master's own timeout kill.
        #expect(kills[0].pid == 30 && kills[0].reason == .workerTimeout)
        #expect(kills[0].line.contains("Worker (pid:30) was sent SIGKILL"))
        // pid 52: SIGKILL alone (the kernel's OOM killer, as dmesg shows) — unexplained here.
        #expect(kills[1].pid == 52 && kills[1].reason == .signal)
        #expect(kills[1].source == "journal")
        #expect(kills[1].time == times[10])
    }

    @Test func timeoutLineForAnotherPidDoesNotExplain() {
        let lines: [Substring] = [
            "[2026-11-21 10:14:59 +0000] [24] [CRITICAL] WORKER TIMEOUT (pid:31)",
            "[2026-11-21 10:15:00 +0000] [24] [ERROR] Worker (pid:30) was sent SIGKILL! Perhaps out of memory?",
        ]
        let all = WorkerKillLog.parse(lines: lines, source: "/var/log/gunicorn/error.log", firstLineNumber: 7)
        // pid 31's TIMEOUT with no SIGKILL after it is a timeout the abort ended (its own entry).
        #expect(all.filter { $0.pid == 31 }.map(\.reason) == [.workerTimeout])
        let kills = all.filter { $0.pid == 30 }
        #expect(kills.count == 1 && kills[0].reason == .signal && kills[0].source == "/var/log/gunicorn/error.log:8")
        #expect(kills[0].time == Date(timeIntervalSince1970: 1_795_256_100))
    }

    @Test func uwsgiHarakiriAndSignal() {
        let lines: [Substring] = [
            "*** HARAKIRI ON WORKER 1 (pid: 4242, try: 1) ***",
            "DAMN ! worker 1 (pid: 4242) died, killed by signal 9 :( trying respawn ...",
            "DAMN ! worker 2 (pid: 4243) died, killed by signal 9 :( trying respawn ...",
        ]
        let kills = WorkerKillLog.parse(lines: lines, source: "journal", firstLineNumber: nil)
        #expect(kills.map(\.reason) == [.workerTimeout, .signal])
        #expect(kills.map(\.pid) == [4242, 4243])
    }

    @Test func noKillsInOrdinaryLines() throws {
        let (lines, _) = try journalMessages("journal-start-limit-hit.json")
        #expect(WorkerKillLog.parse(lines: lines, source: "journal", firstLineNumber: nil).isEmpty)
        #expect(WorkerKillLog.parse(lines: ["pid", "Worker (pid:abc) was sent SIGKILL!", "\u{0}\u{1}pid"],
                                    source: "x", firstLineNumber: nil).isEmpty)
    }

    @Test func dmesgExcerptOfACgroupOOMKill() throws {
        let lines = try Fixtures.text("services/recorded/dmesg-oom-gunicorn.txt").split(separator: "\n")
        let kills = KernelOOMLog.parse(lines: lines)
        #expect(kills.count == 1)
        let kill = try #require(kills.first)
        #expect(kill.pid == 1893 && kill.process == "gunicorn" && kill.cgroupLimit)
        #expect(kill.cgroup == "/system.slice/gw-kill.service" && kill.unit == "gw-kill.service")
        #expect(kill.line.contains("Killed process 1893 (gunicorn)"))
        // 2026-11-21T10:15:04,322490+00:00
        #expect(kill.time.map { abs($0.timeIntervalSince1970 - 1_795_256_104.32249) < 0.001 } == true)
    }

    @Test func kernelJournalEntries() throws {
        let entries = JournalJSON.parse(try Fixtures.text("services/recorded/journal-kernel-oom.json"))
        let kills = KernelOOMLog.parse(lines: entries.map { Substring($0.message ?? "") }, times: entries.map(\.date))
        #expect(kills.map(\.process) == ["python", "gunicorn", "python"])
        #expect(kills.map(\.unit) == ["gw-oom.service", "gw-kill.service", "gw-oom.service"])
        #expect(kills.allSatisfy { $0.time != nil })
    }

    @Test func wholeMachineOOMAndOlderKernels() {
        // The whole-machine form and the pre-4.19 two-line form, in the kernel's wording.
        let kills = KernelOOMLog.parse(lines: [
            "[12345.678] Out of memory: Killed process 4242 (gunicorn) total-vm:912000kB, anon-rss:700000kB, file-rss:0kB",
            "Out of memory: Kill process 99 (uwsgi) score 900 or sacrifice child",
            "Killed process 99 (uwsgi) total-vm:100kB, anon-rss:50kB, file-rss:0kB",
            "oom_reaper: reaped process 4242 (gunicorn), now anon-rss:0kB",
        ])
        #expect(kills.map(\.pid) == [4242, 99])
        #expect(kills.allSatisfy { !$0.cgroupLimit && $0.cgroup == nil })
    }
}
