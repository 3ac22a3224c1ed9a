import DoctorFacts

// The Codable shapes of `fs-meta.json` and `proc/*.json`. Each record holds either a
// value or the error the live host gave, because "not found" is as much a fact as a file.

/// A `HostError`, storable.
struct RecordedError: Hashable, Codable, Sendable {
    var kind: String
    /// The path (or what) the error names.
    var path: String
    var errno: Int32?
    var message: String?
    var bytes: Int?
    var limit: Int?

    init(_ error: HostError) {
        switch error {
        case let .notFound(path): self.init(kind: "notFound", path: path)
        case let .permissionDenied(path): self.init(kind: "permissionDenied", path: path)
        case let .tooLarge(path, bytes, limit): self.init(kind: "tooLarge", path: path, bytes: bytes, limit: limit)
        case let .notRecorded(what): self.init(kind: "notRecorded", path: what)
        case let .io(path, code, message): self.init(kind: "io", path: path, errno: code, message: message)
        }
    }

    init(kind: String, path: String, errno: Int32? = nil, message: String? = nil, bytes: Int? = nil, limit: Int? = nil) {
        self.kind = kind
        self.path = path
        self.errno = errno
        self.message = message
        self.bytes = bytes
        self.limit = limit
    }

    var hostError: HostError {
        switch kind {
        case "notFound": .notFound(path)
        case "permissionDenied": .permissionDenied(path)
        case "tooLarge": .tooLarge(path, bytes: bytes ?? 0, limit: limit ?? 0)
        case "notRecorded": .notRecorded(path)
        default: .io(path, errno: errno ?? 0, message: message ?? kind)
        }
    }
}

/// stat(2) or lstat(2) of one path, with the mode as octal text people can read.
struct RecordedStatus: Hashable, Codable, Sendable {
    var kind: FileStatus.Kind?
    var mode: String?
    var uid: Int?
    var gid: Int?
    var size: UInt64?
    var modified: Double?
    var error: RecordedError?

    init(_ result: Result<FileStatus, HostError>) {
        switch result {
        case let .success(status):
            kind = status.kind
            var octal = String(status.mode, radix: 8)
            while octal.count < 4 { octal = "0" + octal }
            mode = octal
            uid = status.uid
            gid = status.gid
            size = status.size
            modified = status.modified
        case let .failure(error):
            self.error = RecordedError(error)
        }
    }

    func replay(_ path: String) throws(HostError) -> FileStatus {
        if let error { throw error.hostError }
        guard let kind, let mode, let bits = UInt32(mode, radix: 8), let uid, let gid, let size, let modified else {
            throw .notRecorded("status of \(path)")
        }
        return FileStatus(kind: kind, mode: bits, uid: uid, gid: gid, size: size, modified: modified)
    }
}

/// A readlink(2) result.
struct RecordedLink: Hashable, Codable, Sendable {
    var target: String?
    var error: RecordedError?
}

/// A directory listing.
struct RecordedList: Hashable, Codable, Sendable {
    var entries: [String]?
    var error: RecordedError?
}

/// What is known of a file's contents: a redacted copy (whole or a tail), its size, or
/// the error reading it gave.
struct RecordedContent: Hashable, Codable, Sendable {
    /// The copy, relative to the snapshot directory (`fs/etc/nginx/nginx.conf`).
    var file: String?
    /// Where the copy starts in the original file.
    var offset: UInt64?
    /// Size of the original when it was read (or as a `tooLarge` refusal reported it).
    var fileSize: UInt64?
    /// The copy is the whole file, not a tail.
    var complete: Bool?
    /// Copies are always redacted; stated so a reader of the directory need not guess.
    var redacted: Bool?
    /// A read failure other than size.
    var error: RecordedError?
}

/// Everything recorded about one path.
struct PathRecord: Hashable, Codable, Sendable {
    var stat: RecordedStatus?
    var lstat: RecordedStatus?
    var readlink: RecordedLink?
    var list: RecordedList?
    var content: RecordedContent?
    /// statvfs(2) of the filesystem holding the path; absent in snapshots older than the field.
    var statvfs: RecordedFilesystem?

    init() {}
}

/// A statvfs(2) result or the error it gave.
struct RecordedFilesystem: Hashable, Codable, Sendable {
    var statistics: FilesystemStatistics?
    var error: RecordedError?

    func replay(_ path: String) throws(HostError) -> FilesystemStatistics {
        if let error { throw error.hostError }
        guard let statistics else { throw .notRecorded("filesystem usage of \(path)") }
        return statistics
    }
}

/// `proc/processes.json` or `proc/listeners.json`: a table or the error reading it gave.
struct RecordedTable<Row: Codable & Hashable & Sendable>: Hashable, Codable, Sendable {
    var rows: [Row]?
    var error: RecordedError?
}

/// One probe in `probes.json`, flattened so the file reads like a log: `status` and
/// `server` for an answer, `failure` (the class) plus its details otherwise, and
/// `summary` in words. Only the typed fields are read back.
struct RecordedProbe: Hashable, Codable, Sendable {
    var endpoint: Endpoint
    var path: String
    var hostHeader: String
    /// How the request was framed (`http`, `uwsgi`); `nil` in snapshots written before it
    /// was recorded, which replay for either framing.
    var wire: ProbeRequest.Wire?
    var elapsedMilliseconds: Int
    var status: Int?
    var server: String?
    var failure: String?
    var phase: String?
    var errno: Int32?
    var message: String?
    var host: String?
    var summary: String

    init(_ result: ProbeResult, wire: ProbeRequest.Wire?) {
        endpoint = result.endpoint
        path = result.path
        hostHeader = result.hostHeader
        self.wire = wire
        elapsedMilliseconds = result.elapsedMilliseconds
        switch result.outcome {
        case let .response(status, server):
            self.status = status
            self.server = server
            summary = "HTTP \(status)" + (server.map { " from \($0)" } ?? "")
        case let .failed(failure):
            summary = failure.description
            switch failure {
            case .refused: self.failure = "refused"
            case .noSuchFile: self.failure = "noSuchFile"
            case .permissionDenied: self.failure = "permissionDenied"
            case .backlogFull: self.failure = "backlogFull"
            case let .timedOut(phase): self.failure = "timedOut"; self.phase = phase
            case .reset: self.failure = "reset"
            case .closedEarly: self.failure = "closedEarly"
            case .notHTTP: self.failure = "notHTTP"
            case let .other(code, message): self.failure = "other"; errno = code; self.message = message
            case let .unresolvable(host, message): self.failure = "unresolvable"; self.host = host; self.message = message
            case .notRecorded: self.failure = "notRecorded"
            }
        }
    }

    var result: ProbeResult {
        ProbeResult(endpoint: endpoint, path: path, hostHeader: hostHeader, outcome: outcome, elapsedMilliseconds: elapsedMilliseconds)
    }

    private var outcome: ProbeOutcome {
        if let status { return .response(status: status, server: server) }
        let failure: ProbeFailure = switch self.failure {
        case "refused": .refused
        case "noSuchFile": .noSuchFile
        case "permissionDenied": .permissionDenied
        case "backlogFull": .backlogFull
        case "timedOut": .timedOut(phase: phase ?? "")
        case "reset": .reset
        case "closedEarly": .closedEarly
        case "notHTTP": .notHTTP
        case "other": .other(errno: errno ?? 0, message: message ?? "")
        case "unresolvable": .unresolvable(host: host ?? "", message: message ?? "")
        default: .notRecorded
        }
        return .failed(failure)
    }
}
