import DoctorChecks
import DoctorFacts
import DoctorHost
import DoctorParsers
import Foundation
import Testing

/// `disk-full` and `memory-pressure` on constructed facts (the thresholds), on this
/// machine's real /proc/meminfo, and on an older lab snapshot without resource records.
@Suite struct ResourceChecksTests {
    private static let mb: UInt64 = 1_000_000
    private static let gb: UInt64 = 1_000_000_000

    private func filesystem(total: UInt64, available: UInt64, free: UInt64? = nil, inodes: UInt64 = 1000,
                            freeInodes: UInt64 = 900, type: String = "ext4", readOnly: Bool = false,
                            purposes: [FilesystemPurpose] = [FilesystemPurpose(role: "nginx error log", path: "/var/log/nginx/error.log")]) -> FilesystemUsage {
        FilesystemUsage(mountPoint: "/var", type: type, source: "/dev/vda2", device: "254:2", filesystemID: 7,
                        totalBytes: total, freeBytes: free ?? available, availableBytes: available, totalInodes: inodes,
                        freeInodes: freeInodes, readOnly: readOnly, purposes: purposes)
    }

    private func diskFull(_ filesystems: [FilesystemUsage], events: [ProxyLogEvent] = []) -> [Finding] {
        var facts = Facts(errorLogs: events.isEmpty ? [] : [ErrorLogWindow(path: "/var/log/nginx/error.log", windowStart: Date(timeIntervalSince1970: 0),
                                                                           events: events, counts: [:], cutShort: false)])
        facts.filesystems = filesystems
        return DiskFullCheck().run(facts)
    }

    @Test func thresholds() {
        // 100 GB: 3 % left is a warning (97 % used), 0.5 % critical, 10 % silent.
        #expect(diskFull([filesystem(total: 100 * Self.gb, available: 3 * Self.gb)]).first?.severity == .warning)
        #expect(diskFull([filesystem(total: 100 * Self.gb, available: Self.gb / 2)]).first?.severity == .critical)
        #expect(diskFull([filesystem(total: 100 * Self.gb, available: 10 * Self.gb)]).isEmpty)
        // 2 GB with 40 MB left (2 %): under the 50 MB floor, critical.
        #expect(diskFull([filesystem(total: 2 * Self.gb, available: 40 * Self.mb)]).first?.severity == .critical)
        // A 16 MB tmpfs with 10 MB left is fine: the floor applies from 1 GiB.
        #expect(diskFull([filesystem(total: 16 * Self.mb, available: 10 * Self.mb, type: "tmpfs")]).isEmpty)
        // Root's reserve does not hide a full disk: 5 % free for root only is 100 % used.
        let reserved = filesystem(total: 100 * Self.gb, available: 0, free: 5 * Self.gb)
        #expect(reserved.usedPercent == 100)
        #expect(diskFull([reserved]).first?.severity == .critical)
        // Out of inodes with space to spare: critical; 96 % of inodes: warning.
        #expect(diskFull([filesystem(total: 100 * Self.gb, available: 50 * Self.gb, freeInodes: 0)]).first?.severity == .critical)
        #expect(diskFull([filesystem(total: 100 * Self.gb, available: 50 * Self.gb, freeInodes: 40)]).first?.severity == .warning)
        // Full by design, or read-only: silent.
        #expect(diskFull([filesystem(total: 50 * Self.mb, available: 0, type: "squashfs")]).isEmpty)
        #expect(diskFull([filesystem(total: 50 * Self.gb, available: 0, readOnly: true)]).isEmpty)
    }

    @Test func findingNamesMountPurposesFiguresAndFix() throws {
        let purposes = [FilesystemPurpose(role: "nginx error log", path: "/var/log/nginx/error.log"),
                        FilesystemPurpose(role: "socket dir", path: "/var/run/gunicorn")]
        let finding = try #require(diskFull([filesystem(total: 20 * Self.gb, available: 0, purposes: purposes)]).first)
        #expect(finding.check == "disk-full" && finding.layer == .capacity)
        #expect(finding.summary.contains("/var (ext4 on /dev/vda2) is full: 0 B of 20 GB left (100% used)"), "\(finding.summary)")
        #expect(finding.summary.contains("nginx error log /var/log/nginx/error.log, socket dir /var/run/gunicorn"))
        #expect(finding.evidence.contains { $0.source == "df -h /var/log/nginx/error.log; df -i /var/log/nginx/error.log" })
        #expect(finding.fix.first?.contains("du -xh --max-depth=2 /var | sort -h | tail") == true)
        #expect(finding.fix.contains { $0.contains("journalctl --vacuum-size") && $0.contains("logrotate") })
    }

    /// nginx's ENOSPC line, exactly as nginx 1.22 wrote it in the `disk-full-proxy-temp` lab
    /// (its proxy_temp_path on a full tmpfs, a 4 MB response read slowly), moved to /var/lib/nginx:
    /// evidence of the filesystem its path is on; with every disk fine now it is a warning.
    @Test func noSpaceLinesAreEvidence() throws {
        let line = #"2026/11/21 10:40:00 [crit] 8544#8544: *5 pwritev() "/var/lib/nginx/proxy/0000000001" failed (28: No space left on device) while reading upstream, client: 127.0.0.1, server: lab.test, request: "GET /big/big.bin HTTP/1.1", upstream: "http://127.0.0.1:8001/big/big.bin", host: "lab.test""#
        let event = try #require(NginxErrorLog.parse(Substring(line), source: "/var/log/nginx/error.log:12", localZone: TimeZone(identifier: "UTC")!))
        #expect(event.errno == 28)
        let full = try #require(diskFull([filesystem(total: 20 * Self.gb, available: 0)], events: [event]).first)
        #expect(full.evidence.contains { $0.kind == .log && $0.text.contains("No space left on device") })
        #expect(full.summary.contains("nginx failed to write 1 temp file there"), "\(full.summary)")
        // On another full filesystem, the line still goes to the one its path is on.
        var other = filesystem(total: 20 * Self.gb, available: 0)
        other.mountPoint = "/srv"
        let two = diskFull([other, filesystem(total: 20 * Self.gb, available: 0)], events: [event])
        #expect(two.count == 2 && two[0].evidence.allSatisfy { $0.kind != .log } && two[1].evidence.contains { $0.kind == .log })
        let past = try #require(diskFull([filesystem(total: 20 * Self.gb, available: 10 * Self.gb)], events: [event]).first)
        #expect(past.severity == .warning)
        #expect(past.summary.contains("No space left on device") && past.summary.contains("has space now"), "\(past.summary)")
        #expect(diskFull([filesystem(total: 20 * Self.gb, available: 10 * Self.gb)]).isEmpty)
    }

    /// Gunicorn's own line when it cannot create its socket, exactly as the `disk-full-inodes` lab's
    /// gunicorn.log has it (the path moved to /srv).
    @Test func appServerNoSpaceLineIsEvidence() throws {
        let line = "[2026-11-21 10:25:40 +0000] [1234] [ERROR] connection to /srv/run/gunicorn.sock failed: [Errno 28] No space left on device"
        var facts = Facts()
        facts.filesystems = [filesystem(total: 20 * Self.gb, available: 0), FilesystemUsage(
            mountPoint: "/srv", type: "xfs", totalBytes: 10 * Self.gb, freeBytes: 0, availableBytes: 0,
            purposes: [FilesystemPurpose(role: "socket dir", path: "/srv/run")])]
        facts.services = [ManagedService(manager: "supervisord", name: "app", startupFailures: [
            StartupFailure(cause: .other, decisiveLine: line, source: "/var/log/app.err.log:7", program: "gunicorn"),
        ])]
        let findings = DiskFullCheck().run(facts)
        #expect(findings.count == 2)
        #expect(findings[1].evidence.contains { $0.kind == .log && $0.text == "app: \(line)" && $0.source == "/var/log/app.err.log:7" })
        #expect(!findings[0].evidence.contains { $0.kind == .log })
    }

    // MARK: memory-pressure

    /// This machine's real /proc/meminfo (Fixtures/proc, copied from DoctorParsersTests'),
    /// with `MemAvailable` lowered to `percent` of `MemTotal`.
    private func memory(availablePercent percent: Double?, swapTotal: UInt64 = 0, swapFree: UInt64 = 0,
                        pressure: [PressureStall] = []) throws -> MemoryStatus {
        var status = try #require(MemInfo.parse(Self.realMeminfo))
        if let percent { status.availableBytes = UInt64(Double(status.totalBytes) * percent / 100) }
        status.swapTotalBytes = swapTotal
        status.swapFreeBytes = swapFree
        status.pressure = pressure
        return status
    }

    static let realMeminfo = """
    MemTotal:       24684084 kB
    MemFree:        22845088 kB
    MemAvailable:   24180608 kB
    Buffers:           72408 kB
    Cached:           893280 kB
    SwapCached:            0 kB
    SwapTotal:             0 kB
    SwapFree:              0 kB
    """

    private func pressure(_ memory: MemoryStatus) -> [Finding] {
        var facts = Facts()
        facts.memory = memory
        return MemoryPressureCheck().run(facts)
    }

    @Test func memoryThresholds() throws {
        #expect(pressure(try memory(availablePercent: nil)).isEmpty, "the real machine, 97 % available")
        #expect(pressure(try memory(availablePercent: 4)).first?.severity == .critical)
        #expect(pressure(try memory(availablePercent: 8)).first?.severity == .warning)
        #expect(pressure(try memory(availablePercent: 12)).isEmpty)
        // Full swap with memory to spare is parked pages; with little available it counts.
        #expect(pressure(try memory(availablePercent: 50, swapTotal: 1 << 30, swapFree: 0)).isEmpty)
        #expect(pressure(try memory(availablePercent: 15, swapTotal: 1 << 30, swapFree: 0)).first?.severity == .warning)
        let stalled = PressureStall(resource: "memory", some: PressureFigures(avg10: 60, avg60: 45, avg300: 20, totalMicroseconds: 1),
                                    full: PressureFigures(avg10: 25, avg60: 12, avg300: 4, totalMicroseconds: 1))
        let finding = try #require(pressure(try memory(availablePercent: 30, pressure: [stalled])).first)
        #expect(finding.severity == .critical)
        #expect(finding.evidence.contains { $0.source == "/proc/pressure/memory" && $0.text.contains("full avg10=25") })
        #expect(finding.summary.contains("oom-killed"))
    }

    @Test func memoryEvidenceSaysWhenThereIsNoPSI() throws {
        var status = try memory(availablePercent: 3)
        status.pressureNote = "kernel without PSI: /proc/pressure is absent"
        let finding = try #require(pressure(status).first)
        #expect(finding.evidence.contains { $0.text.contains("without PSI") })
        #expect(finding.evidence.first?.text.contains("MemAvailable") == true)
        #expect(Facts().memory == nil && MemoryPressureCheck().run(Facts()).isEmpty)
    }

    /// A kernel without PSI: the lab capture replayed with `/proc/pressure/*` answered as
    /// "no such file" (as such a kernel answers). The memory figures stay, the note says why
    /// there are no stall figures, and nothing is unavailable.
    @Test func kernelWithoutPSIIsANoteNotAnError() async throws {
        let source = CheckFixtureTests.fixtures.appendingPathComponent("snapshots/memory-pressure-low-available").path
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("gwd-nopsi-\(UUID().uuidString)").path
        try FileManager.default.copyItem(atPath: source, toPath: copy)
        defer { try? FileManager.default.removeItem(atPath: copy) }
        let metaPath = "\(copy)/fs-meta.json"
        var meta = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: metaPath))) as? [String: Any])
        for resource in ["memory", "cpu", "io"] {
            let path = "/proc/pressure/\(resource)"
            #expect(meta[path] != nil, "the capture read \(path)")
            meta[path] = ["content": ["error": ["kind": "notFound", "path": path]]]
        }
        try JSONSerialization.data(withJSONObject: meta).write(to: URL(fileURLWithPath: metaPath))

        let host = try SnapshotHost(directory: copy)
        let scope = SnapshotScope.read(from: copy)
        let facts = await FactGatherer(host: host, options: GatherOptions(nginxConfig: scope?.nginxConfig, probe: true)).gather()
        let memory = try #require(facts.memory)
        #expect(memory.pressure.isEmpty)
        #expect(memory.pressureNote == "kernel without PSI: /proc/pressure is absent")
        #expect(!facts.unavailable.contains { $0.what.contains("pressure") }, "\(facts.unavailable)")
        let finding = try #require(MemoryPressureCheck().run(facts).first, "MemAvailable is still 3 %")
        #expect(finding.severity == .critical)
        #expect(finding.evidence.contains { $0.text == "kernel without PSI: /proc/pressure is absent" })
    }

    // MARK: older snapshots

    /// A lab snapshot captured before resources were recorded still diagnoses: the same
    /// verdict, the resource facts listed as unavailable, both checks silent.
    @Test func olderSnapshotStillDiagnoses() async throws {
        let directory = CheckFixtureTests.fixtures.appendingPathComponent("snapshots/healthy-unix").path
        let meta = try String(contentsOfFile: "\(directory)/fs-meta.json", encoding: .utf8)
        #expect(!meta.contains("\"statvfs\""), "this fixture must stay an old-format snapshot")
        let host = try SnapshotHost(directory: directory)
        let scope = SnapshotScope.read(from: directory)
        let options = GatherOptions(nginxConfig: scope?.nginxConfig, nginxPrefix: scope?.nginxPrefix, probe: true,
                                    sinceSeconds: scope?.sinceSeconds ?? 900)
        let facts = await FactGatherer(host: host, options: options).gather()
        #expect(facts.filesystems.isEmpty && facts.memory == nil)
        #expect(facts.unavailable.contains { $0.what.hasPrefix("filesystem usage") && $0.reason.contains("not recorded") })
        let diagnosis = VerdictRanker.diagnose(facts)
        #expect(diagnosis.status == .ok, "\(diagnosis.verdict.summary)")
        #expect(DiskFullCheck().run(facts).isEmpty && MemoryPressureCheck().run(facts).isEmpty)
    }
}
