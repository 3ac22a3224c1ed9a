@testable import DoctorWatch
import Foundation
import Testing

/// `ResidentPageRelease` decides per mapping from smaps what may be dropped; a wrong decision
/// would reset relocated data and crash watch later. Tested on real smaps lines (a CPython
/// process on this machine, recorded) and on this test process's own live smaps.
@Suite("Resident page release")
struct ResidentPageReleaseTests {
    /// Recorded from `python3 -c "print(open('/proc/self/smaps').read())"` on the dev machine
    /// (Debian 12, kernel 6.18), trimmed to six mappings and, after the first, to the keys read.
    static let recordedSmaps = """
        55605ff4a000-55605ff4b000 r-xp 00001000 fe:00 20504                      /root/.pyenv/versions/3.11.7/bin/python3.11
        Size:                  4 kB
        KernelPageSize:        4 kB
        MMUPageSize:           4 kB
        Rss:                   4 kB
        Pss:                   4 kB
        Pss_Dirty:             0 kB
        Shared_Clean:          0 kB
        Shared_Dirty:          0 kB
        Private_Clean:         4 kB
        Private_Dirty:         0 kB
        Referenced:            4 kB
        Anonymous:             0 kB
        KSM:                   0 kB
        LazyFree:              0 kB
        AnonHugePages:         0 kB
        ShmemPmdMapped:        0 kB
        FilePmdMapped:         0 kB
        Shared_Hugetlb:        0 kB
        Private_Hugetlb:       0 kB
        Swap:                  0 kB
        SwapPss:               0 kB
        Locked:                0 kB
        THPeligible:           0
        VmFlags: rd ex mr mw me 
        7ffbabeb5000-7ffbabeb6000 r--p 0000b000 fe:00 23536                      /root/.pyenv/versions/3.11.7/lib/python3.11/lib-dynload/_struct.cpython-311-x86_64-linux-gnu.so
        Rss:                   4 kB
        Private_Dirty:         4 kB
        Anonymous:             4 kB
        Swap:                  0 kB
        Locked:                0 kB
        7ffbabeb6000-7ffbabeb7000 rw-p 0000c000 fe:00 23536                      /root/.pyenv/versions/3.11.7/lib/python3.11/lib-dynload/_struct.cpython-311-x86_64-linux-gnu.so
        Rss:                   4 kB
        Anonymous:             4 kB
        Swap:                  0 kB
        Locked:                0 kB
        7ffbabee8000-7ffbabeec000 r--p 00000000 fe:00 333469                     /usr/lib/x86_64-linux-gnu/liblzma.so.5.4.1
        Rss:                  16 kB
        Anonymous:             0 kB
        Swap:                  0 kB
        Locked:                0 kB
        55606a5cb000-55606a75a000 rw-p 00000000 00:00 0                          [heap]
        Rss:                1084 kB
        Anonymous:          1084 kB
        Swap:                  0 kB
        Locked:                0 kB
        7ffbacbc1000-7ffbacbc3000 r-xp 00000000 00:00 0                          [vdso]
        Rss:                   8 kB
        Anonymous:             0 kB
        Swap:                  0 kB
        Locked:                0 kB
        """

    @Test("recorded smaps: code and untouched read-only data are released; relocated data, writable, heap and vdso are not")
    func decisionsOnRecordedLines() {
        let mappings = ResidentPageRelease.parse(Self.recordedSmaps)
        #expect(mappings.count == 6)
        #expect(mappings.map(\.permissions) == ["r-xp", "r--p", "rw-p", "r--p", "rw-p", "r-xp"])
        #expect(mappings[0].start == 0x5560_5ff4_a000 && mappings[0].end == 0x5560_5ff4_b000)
        #expect(mappings[0].path == "/root/.pyenv/versions/3.11.7/bin/python3.11")
        #expect(mappings[1].anonymousKilobytes == 4 && mappings[3].residentKilobytes == 16)
        #expect(mappings.map(\.isReleasable) == [true, false, false, true, false, false])
        #expect(mappings[1].holdsPrivateCopies, "the relocated RELRO page of _struct.so must be kept")
    }

    @Test("a read-only page whose private copy was swapped out is kept (Anonymous no longer counts it)")
    func swappedCopyIsKept() {
        let swapped = """
            7ffbabeb5000-7ffbabeb6000 r--p 0000b000 fe:00 23536                      /usr/lib/x86_64-linux-gnu/libz.so.1.2.13
            Rss:                   4 kB
            Anonymous:             0 kB
            Swap:                  4 kB
            Locked:                0 kB
            7ffbabeb7000-7ffbabeb8000 r-xp 00000000 fe:00 23537                      /usr/lib/x86_64-linux-gnu/libgone.so (deleted)
            Rss:                   4 kB
            Anonymous:             0 kB
            Swap:                  0 kB
            Locked:                0 kB
            """
        let mappings = ResidentPageRelease.parse(swapped)
        #expect(mappings.count == 2)
        #expect(!mappings[0].isReleasable && mappings[0].holdsPrivateCopies)
        #expect(!mappings[1].isReleasable, "a deleted file's mapping is left alone")
    }

    @Test("this process: resident file pages go down, every relocated mapping keeps its private copies, and code still runs")
    func liveRelease() throws {
        let before = ResidentPageRelease.parse(try String(contentsOfFile: "/proc/self/smaps", encoding: .utf8))
        let fileBefore = try residentFileKilobytes()
        let outcome = try #require(ResidentPageRelease.releaseIdlePages())
        let fileAfter = try residentFileKilobytes()
        let after = ResidentPageRelease.parse(try String(contentsOfFile: "/proc/self/smaps", encoding: .utf8))
        #expect(outcome.mappings > 0 && outcome.bytes > 1024 * 1024, "a debug test binary has MBs of resident code: \(outcome)")
        #expect(outcome.keptWithPrivateCopies > 0, "a PIE process has relocated read-only data")
        #expect(fileAfter < fileBefore, "RssFile \(fileBefore) kB before, \(fileAfter) kB after")
        let relocated = before.filter(\.holdsPrivateCopies)
        #expect(!relocated.isEmpty)
        for mapping in relocated {
            let now = after.first { $0.start == mapping.start }
            #expect(now.map { $0.anonymousKilobytes + $0.swappedKilobytes } == mapping.anonymousKilobytes + mapping.swappedKilobytes,
                    "private copies of \(mapping.path) at \(String(mapping.start, radix: 16)) must survive")
        }
        // Code, relocated tables and metadata all come back from the file or the kept copies.
        let rendered = PrometheusRenderer.render(WatchMetrics())
        #expect(rendered.contains("# TYPE gwdoctor_checks_total counter"))
        #expect(try JSONSerialization.jsonObject(with: Data(#"{"ok":[1,2]}"#.utf8)) is [String: Any])
    }

    private func residentFileKilobytes() throws -> Int {
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("RssFile:") })
        return try #require(Int(line.split(separator: " ")[1]))
    }
}

/// `ProcessFigures` against the kernel's own account of this process.
@Suite("Process figures")
struct ProcessFiguresTests {
    @Test("resident bytes agree with /proc/self/status VmRSS, CPU seconds are positive and do not go back")
    func agreesWithStatus() throws {
        let first = try #require(ProcessFigures.current())
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") })
        let kilobytes = try #require(Int(line.split(separator: " ")[1]))
        // Other tests run at the same time: the two reads are moments apart, not equal.
        #expect(abs(first.residentBytes - kilobytes * 1024) < 64 << 20, "statm \(first.residentBytes) B, VmRSS \(kilobytes) kB")
        #expect(first.residentBytes > 1 << 20)
        var spin = 0.0
        for index in 0..<200_000 { spin += Double(index).squareRoot() }
        let second = try #require(ProcessFigures.current())
        #expect(first.cpuSeconds > 0 && second.cpuSeconds >= first.cpuSeconds, "\(first.cpuSeconds) then \(second.cpuSeconds) (\(spin))")
    }
}
