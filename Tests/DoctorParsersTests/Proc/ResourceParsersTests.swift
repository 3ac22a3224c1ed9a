import DoctorFacts
@testable import DoctorParsers
import Testing

/// Parsers for host resources, on real files of the build machine (Debian 12, kernel 6.18,
/// 24 GB, no swap, PSI enabled), saved under Fixtures/proc (see the README there).
@Suite struct ResourceParsersTests {
    @Test func meminfoOfARealMachine() throws {
        let memory = try #require(MemInfo.parse(try Fixtures.text("proc/meminfo-debian12-24g.txt")))
        #expect(memory.totalBytes == 24_684_084 * 1024)
        #expect(memory.availableBytes == 24_180_608 * 1024)
        #expect(memory.freeBytes == 22_845_088 * 1024)
        #expect(memory.swapTotalBytes == 0 && memory.swapUsedPercent == nil)
        let percent = try #require(memory.availablePercent)
        #expect(percent > 97 && percent < 98, "\(percent)")
        // Counts without a unit stay counts.
        #expect(MemInfo.values(try Fixtures.text("proc/meminfo-debian12-24g.txt"))["HugePages_Total"] == 0)
    }

    @Test func meminfoRejectsWhatIsNotMeminfo() {
        #expect(MemInfo.parse("") == nil)
        #expect(MemInfo.parse("\u{0}\u{1}binary garbage: kB\n") == nil)
        #expect(MemInfo.parse("MemTotal: lots kB\n") == nil)
        // A kernel before 3.14 has no MemAvailable: parsed, figure absent.
        let old = MemInfo.parse("MemTotal:  1000 kB\nMemFree:  10 kB\nSwapTotal: 100 kB\nSwapFree: 5 kB\n")
        #expect(old?.availableBytes == nil && old?.availablePercent == nil)
        #expect(old?.swapUsedPercent == 95)
    }

    @Test(arguments: ["memory", "cpu", "io"])
    func pressureFilesOfARealKernel(_ resource: String) throws {
        let text = try Fixtures.text("proc/pressure-\(resource).txt")
        let stall = try #require(PressureStallFile.parse(text, resource: resource))
        #expect(stall.resource == resource)
        let some = try #require(stall.some)
        // The totals are cumulative microseconds: whatever the figure, they were parsed.
        #expect(text.contains("total=\(some.totalMicroseconds)"))
        #expect(text.contains("avg10=\(String(format: "%.2f", some.avg10))"))
        // Linux 5.13+ prints a `full` line for cpu too.
        #expect(stall.full != nil)
    }

    @Test func pressureOfTheIOFixture() throws {
        let stall = try #require(PressureStallFile.parse(try Fixtures.text("proc/pressure-io.txt"), resource: "io"))
        #expect(stall.some == PressureFigures(avg10: 0.34, avg60: 0.33, avg300: 0.54, totalMicroseconds: 43_514_306))
        #expect(stall.full?.avg60 == 0.02)
        #expect(PressureStallFile.parse("", resource: "io") == nil)
        #expect(PressureStallFile.parse("some avg10=x avg60=1 avg300=1 total=1\n", resource: "io") == nil)
    }

    @Test func mountinfoOfAPrivateNamespaceWithAFullTmpfs() throws {
        let entries = MountInfo.parse(try Fixtures.text("proc/mountinfo-private-tmpfs.txt"))
        #expect(entries.count == 21)
        let root = try #require(MountInfo.mount(containing: "/var/log/nginx/error.log", in: entries))
        #expect(root.mountPoint == "/" && root.type == "ext4" && root.source == "/dev/vda" && root.device == "254:0")
        // `\040` in the mount point is a space.
        let tmpfs = try #require(MountInfo.mount(containing: "/tmp/gwd host mnt/run/app.sock", in: entries))
        #expect(tmpfs.mountPoint == "/tmp/gwd host mnt" && tmpfs.type == "tmpfs" && tmpfs.source == "gwdoctor-lab")
        #expect(MountInfo.mount(containing: "/tmp/gwd host mnt", in: entries)?.type == "tmpfs")
        // Whole components only: /tmp/gwd is not under the mount "/tmp/gwd host mnt".
        #expect(MountInfo.mount(containing: "/tmp/gwd host", in: entries)?.mountPoint == "/")
        #expect(MountInfo.mount(containing: "/dev/shm/x", in: entries)?.type == "tmpfs")
    }

    @Test func laterMountsHideEarlierOnesOnTheSamePoint() {
        let text = """
        27 1 254:0 / / rw,relatime - ext4 /dev/vda rw
        30 27 0:27 / /run rw - tmpfs tmpfs rw
        31 27 0:28 / /run rw,nosuid shared:5 - tmpfs second rw
        broken line
        """
        let entries = MountInfo.parse(text)
        #expect(entries.count == 3)
        #expect(MountInfo.mount(containing: "/run/app.sock", in: entries)?.source == "second")
        #expect(MountInfo.mount(containing: "relative/path", in: entries) == nil)
    }
}
