import DoctorFacts
import Foundation
import Synchronization

/// A `Host` that passes every call to another host (normally `LiveHost`) and keeps what
/// came back, so `write(to:)` can save it as a snapshot directory.
///
/// Callers get the live answers unchanged. What is kept is redacted at once: file
/// contents, command output and command lines go through `Redactor` before they are
/// stored, so a secret never sits in the recording, let alone on disk.
public final class SnapshotRecorder: Host, Sendable {
    private let inner: any Host
    private let metadata: SnapshotMetadata
    private let recording = Mutex(Recording())

    /// Records what `inner` answers. `capturedAt` is kept to whole seconds, the precision of `meta.json`.
    public init(wrapping inner: any Host = LiveHost(), gwdoctorVersion: String, capturedAt: Date = Date(),
                hostname: String? = nil) {
        self.inner = inner
        self.metadata = SnapshotMetadata(capturedAt: Date(timeIntervalSince1970: capturedAt.timeIntervalSince1970.rounded(.down)),
                                         hostname: hostname ?? Self.hostname(), gwdoctorVersion: gwdoctorVersion,
                                         system: Self.system())
    }

    /// The wrapped host's answer: recording does not make a live host a snapshot.
    public var isSnapshot: Bool { inner.isSnapshot }
    /// The wrapped host's reference time.
    public var referenceTime: Date { inner.referenceTime }

    /// Reads through the wrapped host and records the redacted contents, or the error.
    public func readFile(_ path: String, maxBytes: Int) throws(HostError) -> [UInt8] {
        do {
            let bytes = try inner.readFile(path, maxBytes: maxBytes)
            keep(path, bytes: bytes, offset: 0, fileSize: UInt64(bytes.count))
            return bytes
        } catch let .tooLarge(errorPath, size, limit) {
            // Only the size is known; it is what a replay needs to refuse the same way.
            update(path) { content in
                content.error = nil
                if content.complete != true { content.fileSize = UInt64(size) }
            }
            throw .tooLarge(errorPath, bytes: size, limit: limit)
        } catch {
            update(path) { $0 = RecordedContent(error: RecordedError(error)) }
            throw error
        }
    }

    /// Forgets a file's recorded contents (its stat and listing records stay): a replay
    /// then reads it as not recorded, which callers treat like the rejection it was.
    public func discardContents(_ path: String) {
        recording.withLock { recording in
            recording.copies[path] = nil
            recording.paths[path]?.content = nil
            if recording.paths[path] == PathRecord() { recording.paths[path] = nil }
        }
    }

    /// Masks the values of the given lines of a recorded copy (an environment file's
    /// assignments: the shape-based redaction only catches secret-looking names).
    public func maskValues(_ path: String, onLines lines: Set<Int>) {
        // Kept until the snapshot is written: a later read of the same file (another service
        // sharing it) replaces the copy, and must not bring the values back.
        recording.withLock { $0.maskedLines[path, default: []].formUnion(lines) }
    }

    /// Masks the inline environment of a supervisord or systemd file at write time (see `Host`).
    public func maskInlineEnvironment(_ path: String, dialect: InlineEnvironmentDialect) {
        recording.withLock { $0.inlineEnvironment[path] = dialect }
    }

    /// The copy as it goes to disk: environment-file values and inline environments masked.
    private static func masked(_ bytes: [UInt8], lines: Set<Int>?, inline: InlineEnvironmentDialect?, whole: Bool) -> [UInt8] {
        guard lines != nil || inline != nil else { return bytes }
        let text = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        var out: [String] = []
        var continuing = false
        for (index, line) in text.enumerated() {
            if let lines, whole, lines.contains(index + 1) {
                out.append(maskingValue(line))
                continue
            }
            guard let inline else {
                out.append(String(line))
                continue
            }
            let (masked, continues) = InlineEnvironmentMask.mask(line, dialect: inline, continuing: continuing)
            out.append(masked)
            continuing = continues
        }
        return Array(out.joined(separator: "\n").utf8)
    }

    /// `NAME=value` → `NAME=[REDACTED]`, keeping a quote's opening and closing (an unclosed
    /// quote stays unclosed) and a trailing `\` continuation, so the line parses alike. A line
    /// without `=` is masked whole (it stays a line without `=`).
    static func maskingValue(_ line: Substring) -> String {
        // A YAML mapping entry (`  KEY: value` of a compose `environment:`), even when its value holds `=`:
        // the key and indentation stay, so the copy still parses.
        if let colon = line.range(of: ": "), !line[..<colon.lowerBound].contains("=") {
            return String(line[..<colon.upperBound]) + Redactor.mask
        }
        guard let equals = line.firstIndex(of: "=") else { return Redactor.mask }
        let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
        var masked = Redactor.mask
        if let quote = value.first, quote == "\"" || quote == "'" {
            masked = String(quote) + masked + (value.dropFirst().contains(quote) ? String(quote) : "")
        } else if value.hasSuffix("\\") {
            masked += " \\"
        }
        return String(line[...equals]) + masked
    }

    /// Reads a tail through the wrapped host. The copy starts at the first full line:
    /// a cut first line could hold the end of a secret whose key was cut off.
    public func readTail(_ path: String, maxBytes: Int) throws(HostError) -> FileTail {
        do {
            let tail = try inner.readTail(path, maxBytes: maxBytes)
            var bytes = tail.bytes[...]
            var offset = tail.offset
            if offset > 0 {
                let cut = bytes.firstIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? bytes.endIndex
                offset += UInt64(cut - bytes.startIndex)
                bytes = bytes[cut...]
            }
            keep(path, bytes: Array(bytes), offset: offset, fileSize: tail.fileSize)
            return tail
        } catch {
            update(path) { $0 = RecordedContent(error: RecordedError(error)) }
            throw error
        }
    }

    /// stat(2) or lstat(2) through the wrapped host, recorded per `followLinks`.
    public func status(_ path: String, followLinks: Bool) throws(HostError) -> FileStatus {
        let result = Result { () throws(HostError) in try inner.status(path, followLinks: followLinks) }
        recording.withLock { recording in
            if followLinks {
                recording.paths[path, default: PathRecord()].stat = RecordedStatus(result)
            } else {
                recording.paths[path, default: PathRecord()].lstat = RecordedStatus(result)
            }
        }
        return try result.get()
    }

    /// readlink(2) through the wrapped host.
    public func readLink(_ path: String) throws(HostError) -> String {
        let result = Result { () throws(HostError) in try inner.readLink(path) }
        let record: RecordedLink = switch result {
        case let .success(target): RecordedLink(target: target)
        case let .failure(error): RecordedLink(error: RecordedError(error))
        }
        recording.withLock { $0.paths[path, default: PathRecord()].readlink = record }
        return try result.get()
    }

    /// A directory listing through the wrapped host.
    public func list(_ path: String) throws(HostError) -> [String] {
        let result = Result { () throws(HostError) in try inner.list(path) }
        let record: RecordedList = switch result {
        case let .success(entries): RecordedList(entries: entries)
        case let .failure(error): RecordedList(error: RecordedError(error))
        }
        recording.withLock { $0.paths[path, default: PathRecord()].list = record }
        return try result.get()
    }

    /// statvfs(2) through the wrapped host, recorded as `statvfs` of the path.
    public func filesystemStatistics(_ path: String) throws(HostError) -> FilesystemStatistics {
        let result = Result { () throws(HostError) in try inner.filesystemStatistics(path) }
        let record: RecordedFilesystem = switch result {
        case let .success(statistics): RecordedFilesystem(statistics: statistics)
        case let .failure(error): RecordedFilesystem(error: RecordedError(error))
        }
        recording.withLock { $0.paths[path, default: PathRecord()].statvfs = record }
        return try result.get()
    }

    /// The process table; the recorded copy has its command lines redacted.
    public func processes() throws(HostError) -> [ProcessRecord] {
        let result = Result { () throws(HostError) in try inner.processes() }
        let table: RecordedTable<ProcessRecord> = switch result {
        case let .success(rows): RecordedTable(rows: rows.map(Self.redacted))
        case let .failure(error): RecordedTable(error: RecordedError(error))
        }
        recording.withLock { $0.processes = table }
        return try result.get()
    }

    /// The listener table, recorded as returned.
    public func listeners(holders processes: [ProcessRecord]) throws(HostError) -> [Listener] {
        let result = Result { () throws(HostError) in try inner.listeners(holders: processes) }
        let table: RecordedTable<Listener> = switch result {
        case let .success(rows): RecordedTable(rows: rows)
        case let .failure(error): RecordedTable(error: RecordedError(error))
        }
        recording.withLock { $0.listeners = table }
        return try result.get()
    }

    /// Runs through the wrapped host; the recorded result has argv and output redacted.
    public func run(_ command: AllowedCommand, timeout: Duration, outputLimit: Int) async -> CommandResult {
        let result = await inner.run(command, timeout: timeout, outputLimit: outputLimit)
        let stored = Self.redacted(result)
        recording.withLock { recording in
            recording.commands.removeAll { $0.argv == stored.argv }
            recording.commands.append(stored)
        }
        return result
    }

    /// Probes through the wrapped host and records the result.
    public func probe(_ request: ProbeRequest) async -> ProbeResult {
        let result = await inner.probe(request)
        var redacted = result
        redacted.path = Redactor.redact(result.path)
        let stored = RecordedProbe(redacted, wire: request.wire)
        recording.withLock { recording in
            recording.probes.removeAll { SnapshotHost.sameRequest($0, stored) }
            recording.probes.append(stored)
        }
        return result
    }

    /// Writes the snapshot into `directory`, which must not exist yet or be empty.
    /// Plain files only: JSON with sorted keys and copies of the files read, so two
    /// snapshots compare with `diff -r`.
    public func write(to directory: String, processes scope: SnapshotProcessScope = .relevant) throws(SnapshotError) {
        var recording = recording.withLock { $0 }
        if let rows = recording.processes?.rows {
            recording.processes?.rows = scope.filter(rows, listeners: recording.listeners?.rows ?? [])
        }
        let writer = SnapshotWriter(directory: directory)
        try writer.prepare()

        var paths = recording.paths
        for (path, bytes) in recording.copies.sorted(by: { $0.key < $1.key }) {
            let relative = SnapshotLayout.copyPath(for: path)
            // Line numbers only mean something in a copy that starts at the file's start.
            let whole = recording.paths[path]?.content?.offset == 0
            let written = Self.masked(bytes, lines: recording.maskedLines[path], inline: recording.inlineEnvironment[path], whole: whole)
            try writer.write(Data(written), to: relative)
            paths[path]?.content?.file = relative
            paths[path]?.content?.redacted = true
        }
        try writer.writeJSON(metadata, to: SnapshotLayout.metadataFile)
        try writer.writeJSON(paths, to: SnapshotLayout.fileMetadataFile)
        if let processes = recording.processes { try writer.writeJSON(processes, to: SnapshotLayout.processesFile) }
        if let listeners = recording.listeners { try writer.writeJSON(listeners, to: SnapshotLayout.listenersFile) }
        try writer.writeJSON(recording.commands, to: SnapshotLayout.commandsFile)
        try writer.writeJSON(recording.probes, to: SnapshotLayout.probesFile)
    }

    // MARK: - Recording

    private struct Recording: Sendable {
        var paths: [String: PathRecord] = [:]
        /// Redacted copies of file contents, by path; written under `fs/`.
        var copies: [String: [UInt8]] = [:]
        var processes: RecordedTable<ProcessRecord>?
        var listeners: RecordedTable<Listener>?
        var commands: [CommandResult] = []
        var probes: [RecordedProbe] = []
        /// Environment-file lines whose values are masked when written.
        var maskedLines: [String: Set<Int>] = [:]
        /// Files whose inline environment is masked when written.
        var inlineEnvironment: [String: InlineEnvironmentDialect] = [:]
    }

    /// Keeps the copy that covers most of the file: a whole read beats a tail, a longer tail a shorter one.
    private func keep(_ path: String, bytes: [UInt8], offset: UInt64, fileSize: UInt64) {
        let redacted = Array(Redactor.redact(String(decoding: bytes, as: UTF8.self)).utf8)
        let complete = offset == 0 && UInt64(bytes.count) == fileSize
        recording.withLock { recording in
            let current = recording.paths[path]?.content
            if let current, current.error == nil, let currentOffset = current.offset, currentOffset < offset
                || (currentOffset == offset && current.complete == true && !complete) {
                return
            }
            recording.copies[path] = redacted
            recording.paths[path, default: PathRecord()].content = RecordedContent(offset: offset, fileSize: fileSize,
                                                                                   complete: complete)
        }
    }

    private func update(_ path: String, _ change: (inout RecordedContent) -> Void) {
        recording.withLock { recording in
            var content = recording.paths[path]?.content ?? RecordedContent()
            change(&content)
            if content.error != nil {
                // A read that now fails replaces any earlier copy: the file is gone or locked.
                content = RecordedContent(error: content.error)
                recording.copies[path] = nil
            }
            recording.paths[path, default: PathRecord()].content = content
        }
    }

    private static func redacted(_ process: ProcessRecord) -> ProcessRecord {
        var process = process
        process.cmdline = Redactor.redact(arguments: process.cmdline)
        return process
    }

    static func redacted(_ result: CommandResult) -> CommandResult {
        var result = result
        result.argv = Redactor.redact(arguments: result.argv)
        result.stdout = Redactor.redact(result.stdout)
        result.stderr = Redactor.redact(result.stderr)
        result.failure = result.failure.map(Redactor.redact)
        return result
    }

    private static func hostname() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "unknown" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static func system() -> String? {
        var names = utsname()
        guard uname(&names) == 0 else { return nil }
        func text<T>(_ field: T) -> String {
            withUnsafeBytes(of: field) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        return "\(text(names.sysname)) \(text(names.release)) \(text(names.machine))"
    }
}
