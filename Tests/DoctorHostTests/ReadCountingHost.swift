import DoctorFacts
import DoctorHost
import Foundation
import Synchronization

/// A real host (`LiveHost`, `SnapshotHost`) that records every path `readFile` is asked
/// for, so a test can prove how often a gatherer reads a file, and which paths it tried.
final class ReadCountingHost: DoctorHost.Host, @unchecked Sendable {
    let base: any DoctorHost.Host
    private let reads = Mutex<[String]>([])

    init(_ base: any DoctorHost.Host) {
        self.base = base
    }

    /// Every path passed to `readFile`, in order.
    var readPaths: [String] { reads.withLock { $0 } }

    func readCount(_ path: String) -> Int { readPaths.filter { $0 == path }.count }

    var isSnapshot: Bool { base.isSnapshot }
    var referenceTime: Date { base.referenceTime }

    func readFile(_ path: String, maxBytes: Int) throws(HostError) -> [UInt8] {
        reads.withLock { $0.append(path) }
        return try base.readFile(path, maxBytes: maxBytes)
    }

    func readTail(_ path: String, maxBytes: Int) throws(HostError) -> FileTail { try base.readTail(path, maxBytes: maxBytes) }
    func status(_ path: String, followLinks: Bool) throws(HostError) -> FileStatus { try base.status(path, followLinks: followLinks) }
    func readLink(_ path: String) throws(HostError) -> String { try base.readLink(path) }
    func list(_ path: String) throws(HostError) -> [String] { try base.list(path) }
    func filesystemStatistics(_ path: String) throws(HostError) -> FilesystemStatistics { try base.filesystemStatistics(path) }
    func processes() throws(HostError) -> [ProcessRecord] { try base.processes() }
    func listeners(holders processes: [ProcessRecord]) throws(HostError) -> [Listener] { try base.listeners(holders: processes) }
    func run(_ command: AllowedCommand, timeout: Duration, outputLimit: Int) async -> CommandResult {
        await base.run(command, timeout: timeout, outputLimit: outputLimit)
    }
    func probe(_ request: ProbeRequest) async -> ProbeResult { await base.probe(request) }
    func discardContents(_ path: String) { base.discardContents(path) }
    func maskValues(_ path: String, onLines lines: Set<Int>) { base.maskValues(path, onLines: lines) }
    func maskInlineEnvironment(_ path: String, dialect: InlineEnvironmentDialect) { base.maskInlineEnvironment(path, dialect: dialect) }
}
