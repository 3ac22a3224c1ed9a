import DoctorFacts
import Foundation

/// Replays a snapshot directory written by `SnapshotRecorder.write(to:)`.
///
/// Answers exactly what the live host answered during capture; anything that was not
/// captured is `.notRecorded` (for commands and probes, a result saying so), never a
/// guess. File contents are the redacted copies.
public struct SnapshotHost: Host {
    /// The snapshot directory.
    public let directory: String
    /// `meta.json`.
    public let metadata: SnapshotMetadata
    private let paths: [String: PathRecord]
    private let processTable: RecordedTable<ProcessRecord>?
    private let listenerTable: RecordedTable<Listener>?
    private let commands: [CommandResult]
    private let probes: [RecordedProbe]

    /// Opens a snapshot; the JSON is read now, file copies when asked for.
    public init(directory: String) throws(SnapshotError) {
        self.directory = directory
        let loader = Loader(directory: directory)
        guard let metadata = try loader.json(SnapshotMetadata.self, SnapshotLayout.metadataFile) else {
            throw .notASnapshot(directory)
        }
        guard metadata.format <= SnapshotLayout.formatVersion else {
            throw .unsupportedFormat(found: metadata.format, supported: SnapshotLayout.formatVersion)
        }
        self.metadata = metadata
        paths = try loader.json([String: PathRecord].self, SnapshotLayout.fileMetadataFile) ?? [:]
        for (path, record) in paths {
            if let file = record.content?.file, !SnapshotLayout.isSafeCopyPath(file) {
                throw .invalid(file: SnapshotLayout.fileMetadataFile, reason: "copy of \(path) points outside fs/: \(file)")
            }
        }
        processTable = try loader.json(RecordedTable<ProcessRecord>.self, SnapshotLayout.processesFile)
        listenerTable = try loader.json(RecordedTable<Listener>.self, SnapshotLayout.listenersFile)
        commands = try loader.json([CommandResult].self, SnapshotLayout.commandsFile) ?? []
        probes = try loader.json([RecordedProbe].self, SnapshotLayout.probesFile) ?? []
    }

    /// Always `true`.
    public var isSnapshot: Bool { true }
    /// The capture time, so log windows and ages are computed as of then.
    public var referenceTime: Date { metadata.capturedAt }

    /// The recorded copy when it is the whole file; `.tooLarge` when the original was
    /// larger than `maxBytes`; the recorded error; else `.notRecorded`.
    public func readFile(_ path: String, maxBytes: Int) throws(HostError) -> [UInt8] {
        guard let content = paths[path]?.content else { throw .notRecorded("contents of \(path)") }
        if let error = content.error { throw error.hostError }
        if let size = content.fileSize, size > UInt64(max(0, maxBytes)) {
            throw .tooLarge(path, bytes: Int(clamping: size), limit: maxBytes)
        }
        guard content.complete == true, let file = content.file else { throw .notRecorded("contents of \(path)") }
        return try copy(file, of: path)
    }

    /// The recorded tail (or whole file). It starts at a full line, so it can be a little
    /// shorter than the live read was; asked for less than was recorded, the end of the
    /// copy is cut to size at a line start.
    public func readTail(_ path: String, maxBytes: Int) throws(HostError) -> FileTail {
        guard let content = paths[path]?.content else { throw .notRecorded("contents of \(path)") }
        if let error = content.error { throw error.hostError }
        guard let file = content.file, let offset = content.offset, let size = content.fileSize else {
            throw .notRecorded("contents of \(path)")
        }
        let bytes = try copy(file, of: path)
        let limit = max(0, maxBytes)
        let wantedStart = size > UInt64(limit) ? size - UInt64(limit) : 0
        if offset >= wantedStart || bytes.count <= limit {
            return FileTail(bytes: bytes, offset: offset, fileSize: size)
        }
        var slice = bytes.suffix(limit)
        if let newline = slice.firstIndex(of: UInt8(ascii: "\n")) { slice = slice[(newline + 1)...] }
        return FileTail(bytes: Array(slice), offset: size - UInt64(slice.count), fileSize: size)
    }

    /// The recorded stat(2) or lstat(2).
    public func status(_ path: String, followLinks: Bool) throws(HostError) -> FileStatus {
        let record = followLinks ? paths[path]?.stat : paths[path]?.lstat
        guard let record else { throw .notRecorded("\(followLinks ? "stat" : "lstat") of \(path)") }
        return try record.replay(path)
    }

    /// The recorded readlink(2).
    public func readLink(_ path: String) throws(HostError) -> String {
        guard let record = paths[path]?.readlink else { throw .notRecorded("link \(path)") }
        if let error = record.error { throw error.hostError }
        guard let target = record.target else { throw .notRecorded("link \(path)") }
        return target
    }

    /// The recorded listing.
    public func list(_ path: String) throws(HostError) -> [String] {
        guard let record = paths[path]?.list else { throw .notRecorded("listing of \(path)") }
        if let error = record.error { throw error.hostError }
        guard let entries = record.entries else { throw .notRecorded("listing of \(path)") }
        return entries
    }

    /// The recorded statvfs(2); `.notRecorded` in snapshots taken before it was recorded.
    public func filesystemStatistics(_ path: String) throws(HostError) -> FilesystemStatistics {
        guard let record = paths[path]?.statvfs else { throw .notRecorded("filesystem usage of \(path)") }
        return try record.replay(path)
    }

    /// The recorded process table (command lines redacted).
    public func processes() throws(HostError) -> [ProcessRecord] {
        try Self.replay(processTable, what: "process table")
    }

    /// The recorded listener table, pids as they were joined at capture.
    public func listeners(holders processes: [ProcessRecord]) throws(HostError) -> [Listener] {
        try Self.replay(listenerTable, what: "listener table")
    }

    /// The recorded result of the same argv, or a result whose failure says it was not recorded.
    public func run(_ command: AllowedCommand, timeout: Duration, outputLimit: Int) async -> CommandResult {
        let key = Redactor.redact(arguments: command.argv)
        guard var result = commands.first(where: { $0.argv == key })
            ?? commands.first(where: { Self.sinceMasked($0.argv) == Self.sinceMasked(key) && key.contains("--since") }) else {
            return CommandResult(argv: command.argv, exitCode: nil, failure: "not recorded in snapshot")
        }
        result.argv = command.argv
        return result
    }

    /// The recorded probe of the same endpoint, path, Host header and framing, or a
    /// `.notRecorded` outcome. A probe recorded before the framing was (no `wire`) answers
    /// either framing, as it did then.
    public func probe(_ request: ProbeRequest) async -> ProbeResult {
        let asked = RecordedProbe(ProbeResult(endpoint: request.endpoint, path: Redactor.redact(request.path),
                                              hostHeader: request.hostHeader, outcome: .failed(.notRecorded), elapsedMilliseconds: 0),
                                  wire: request.wire)
        let recorded = probes.first { Self.sameRequest($0, asked) }
            ?? probes.first { $0.wire == nil && Self.sameRequest($0, asked, ignoringWire: true) }
        var result = (recorded ?? asked).result
        result.path = request.path
        return result
    }

    // MARK: - Helpers

    /// argv with the value of `--since` blanked: a journal read at capture asked for the window as
    /// of the moment it ran (`--since @EPOCH`), a second or so after the snapshot's capture time that a
    /// replay computes the window from. The same command over the same window otherwise.
    static func sinceMasked(_ argv: [String]) -> [String] {
        var masked = argv
        for index in masked.indices.dropLast() where masked[index] == "--since" { masked[index + 1] = "" }
        return masked
    }

    /// The key a probe is recorded and replayed under: endpoint, (redacted) path, Host header
    /// and framing, so a `proxy_pass` and a `uwsgi_pass` probe of one socket are two probes.
    static func sameRequest(_ lhs: RecordedProbe, _ rhs: RecordedProbe, ignoringWire: Bool = false) -> Bool {
        lhs.endpoint == rhs.endpoint && lhs.path == rhs.path && lhs.hostHeader == rhs.hostHeader
            && (ignoringWire || lhs.wire == rhs.wire)
    }

    private static func replay<Row>(_ table: RecordedTable<Row>?, what: String) throws(HostError) -> [Row] {
        guard let table else { throw .notRecorded(what) }
        if let error = table.error { throw error.hostError }
        guard let rows = table.rows else { throw .notRecorded(what) }
        return rows
    }

    private func copy(_ relative: String, of path: String) throws(HostError) -> [UInt8] {
        let location = URL(fileURLWithPath: directory).appendingPathComponent(relative).path
        guard let data = FileManager.default.contents(atPath: location) else {
            throw .io(path, errno: 0, message: "snapshot copy \(relative) is missing")
        }
        return [UInt8](data)
    }

    /// Reads the JSON files of a snapshot; a missing file is `nil`, a broken one an error.
    private struct Loader {
        let directory: String

        func json<T: Decodable>(_ type: T.Type, _ relative: String) throws(SnapshotError) -> T? {
            let location = URL(fileURLWithPath: directory).appendingPathComponent(relative).path
            guard let data = FileManager.default.contents(atPath: location) else { return nil }
            do {
                return try SnapshotLayout.decoder().decode(type, from: data)
            } catch {
                throw .invalid(file: relative, reason: "\(error)")
            }
        }
    }
}
