import DoctorFacts
@testable import DoctorHost
import Foundation
import Testing

/// statvfs through the hosts, its snapshot record, and the resource gatherer, on this
/// machine's real filesystems and /proc.
@Suite("Resources")
struct ResourceGatheringTests {
    @Test func statvfsOfARealTemporaryDirectory() throws {
        let tree = try TemporaryDirectory()
        let figures = try LiveHost().filesystemStatistics(tree.path)
        #expect(figures.totalBytes > 0)
        #expect(figures.availableBytes <= figures.freeBytes && figures.freeBytes <= figures.totalBytes)
        // The same filesystem as its parent (/tmp is not a separate mount in a temp dir's path).
        let parent = try LiveHost().filesystemStatistics("/tmp")
        #expect(parent.filesystemID == figures.filesystemID && parent.totalBytes == figures.totalBytes)
    }

    @Test func statvfsOfANonexistentPathIsNotFound() throws {
        let tree = try TemporaryDirectory()
        let missing = tree.file("no/such/dir")
        #expect(throws: HostError.notFound(missing)) { try LiveHost().filesystemStatistics(missing) }
    }

    /// A statvfs stuck on a dead network filesystem must not hang gwdoctor: the call is
    /// abandoned at its deadline. (A hung NFS mount cannot be made here; a sleeping body stands in.)
    @Test func deadlineAbandonsAHungCall() {
        let clock = ContinuousClock()
        let start = clock.now
        let hung: Int? = PosixFiles.withDeadline(.milliseconds(200)) { sleep(3); return 1 }
        #expect(hung == nil)
        #expect(clock.now - start < .seconds(2), "returned at the deadline, not when the call ended")
        #expect(PosixFiles.withDeadline(.seconds(2)) { 42 } == 42)
    }

    /// Recorded, written, replayed: the same figures and the same error; a path never asked is `notRecorded`.
    @Test func snapshotRecordsAndReplaysStatvfs() throws {
        let tree = try TemporaryDirectory()
        let missing = tree.file("missing")
        let recorder = SnapshotRecorder(wrapping: LiveHost(), gwdoctorVersion: "0.0-test")
        let live = try recorder.filesystemStatistics(tree.path)
        #expect(throws: HostError.notFound(missing)) { try recorder.filesystemStatistics(missing) }
        let output = try TemporaryDirectory()
        let directory = output.file("snap")
        try recorder.write(to: directory)
        let meta = try String(contentsOfFile: "\(directory)/fs-meta.json", encoding: .utf8)
        #expect(meta.contains("\"statvfs\"") && meta.contains("\"availableBytes\""), "\(meta)")

        let replay = try SnapshotHost(directory: directory)
        #expect(try replay.filesystemStatistics(tree.path) == live)
        #expect(throws: HostError.notFound(missing)) { try replay.filesystemStatistics(missing) }
        #expect(throws: HostError.notRecorded("filesystem usage of /elsewhere")) { try replay.filesystemStatistics("/elsewhere") }
    }

    /// A temp dir under /tmp and /tmp itself are one filesystem: reported once with both purposes;
    /// meminfo and PSI come from the real /proc, through the host (so a recorder keeps them).
    @Test func gathererDeduplicatesAndReadsMemory() throws {
        let tree = try TemporaryDirectory()
        let socket = tree.file("app.sock")
        let facts = Facts(socketFiles: [socket: .missing])
        let recorder = SnapshotRecorder(wrapping: LiveHost(), gwdoctorVersion: "0.0-test")
        let gathered = ResourceGatherer(host: recorder).gather(facts)
        let tmp = try #require(gathered.filesystems.first { $0.purposes.contains { $0.path == "/tmp" } })
        #expect(tmp.purposes.contains(FilesystemPurpose(role: "socket dir", path: tree.path)), "\(tmp.purposes)")
        #expect(tmp.mountPoint != nil && tmp.type != nil, "mount named from /proc/self/mountinfo")
        #expect(Set(gathered.filesystems.compactMap(\.device)).count == gathered.filesystems.count, "one entry per device")
        let memory = try #require(gathered.memory)
        #expect(memory.totalBytes > 0 && memory.availableBytes != nil)
        if FileManager.default.fileExists(atPath: "/proc/pressure/memory") {
            #expect(memory.pressure("memory") != nil && memory.pressureNote == nil)
        } else {
            #expect(memory.pressureNote?.contains("PSI") == true)
        }
        #expect(gathered.unavailable.isEmpty, "\(gathered.unavailable)")

        // Replayed from the recording, the same facts come back.
        let output = try TemporaryDirectory()
        try recorder.write(to: output.file("snap"))
        let replayed = ResourceGatherer(host: try SnapshotHost(directory: output.file("snap"))).gather(facts)
        #expect(replayed.filesystems == gathered.filesystems)
        #expect(replayed.memory == gathered.memory)
    }

    /// A snapshot from before statvfs was recorded: one unavailable fact, no crash, no filesystems.
    @Test func olderSnapshotWithoutTheRecordIsUnavailable() throws {
        let recorder = SnapshotRecorder(wrapping: LiveHost(), gwdoctorVersion: "0.0-test")
        _ = try recorder.status("/tmp", followLinks: true)
        let output = try TemporaryDirectory()
        try recorder.write(to: output.file("snap"))
        let gathered = ResourceGatherer(host: try SnapshotHost(directory: output.file("snap"))).gather(Facts())
        #expect(gathered.filesystems.isEmpty && gathered.memory == nil)
        #expect(gathered.unavailable.contains { $0.what.hasPrefix("filesystem usage") && $0.reason.contains("not recorded") },
                "\(gathered.unavailable)")
        #expect(gathered.unavailable.contains { $0.what.contains("/proc/meminfo") }, "\(gathered.unavailable)")
    }
}
