import DoctorFacts
import DoctorParsers
import Foundation

/// The only thing in gwdoctor that touches a machine.
///
/// `LiveHost` reads this machine; `SnapshotHost` replays a directory written by
/// `gwdoctor snapshot`. Every feature goes through this protocol so that it works
/// the same on both, which keeps tests, bug reports and offline diagnosis honest.
public protocol Host: ConfigFileReader {
    /// `true` when replaying a snapshot (no live probes or commands are possible).
    var isSnapshot: Bool { get }
    /// The time the facts refer to: now on a live host, the capture time of a snapshot.
    var referenceTime: Date { get }

    /// The whole file, at most `maxBytes`.
    func readFile(_ path: String, maxBytes: Int) throws(HostError) -> [UInt8]
    /// The last `maxBytes` of a file, read by seeking from the end (logs can be many GB).
    func readTail(_ path: String, maxBytes: Int) throws(HostError) -> FileTail
    /// stat(2), or lstat(2) when `followLinks` is false.
    func status(_ path: String, followLinks: Bool) throws(HostError) -> FileStatus
    func readLink(_ path: String) throws(HostError) -> String
    /// Entry names of a directory, sorted.
    func list(_ path: String) throws(HostError) -> [String]
    /// statvfs(2) of the filesystem holding `path`: size, space left for unprivileged users, inodes.
    func filesystemStatistics(_ path: String) throws(HostError) -> FilesystemStatistics

    /// The process table, with socket inodes from `/proc/PID/fd`.
    func processes() throws(HostError) -> [ProcessRecord]
    /// Listening TCP (v4 and v6) and unix stream sockets, with their pids found among
    /// `processes` (pass the table already read: scanning /proc twice costs more than the socket tables).
    func listeners(holders processes: [ProcessRecord]) throws(HostError) -> [Listener]

    /// Runs an allow-listed command with a deadline and an output cap. Never throws:
    /// a command that cannot run or does not finish comes back with `failure` set.
    func run(_ command: AllowedCommand, timeout: Duration, outputLimit: Int) async -> CommandResult
    /// One HTTP/1.1 GET with a single deadline covering connect and response head.
    func probe(_ request: ProbeRequest) async -> ProbeResult

    /// Says that a file just read was only looked at to be rejected (a distribution's unit
    /// file that runs no app server): a recording drops its contents, so a snapshot carries
    /// only what the diagnosis used. Other hosts ignore it.
    func discardContents(_ path: String)
    /// Says that a file just read is an environment file whose values must not be kept: a
    /// recording masks the value after the first `=` on each of these 1-based lines (the
    /// names, empty values and line numbers stay, so a replay parses the same keys). Other
    /// hosts ignore it.
    func maskValues(_ path: String, onLines lines: Set<Int>)
    /// Says that a file just read is a service definition whose inline environment must not
    /// be kept (supervisord `environment=`, systemd `Environment=`, with their continuation
    /// lines; uWSGI `env =`; gunicorn `raw_env`): a recording masks every value there but keeps names, empty values and
    /// `DJANGO_SETTINGS_MODULE`, so a replay sees the same entries. Other hosts ignore it.
    func maskInlineEnvironment(_ path: String, dialect: InlineEnvironmentDialect)
}

/// How a service definition file writes its inline environment.
public enum InlineEnvironmentDialect: Sendable, Hashable {
    /// `environment=A="1",B=2` in an INI section, continued on indented lines.
    case supervisor
    /// `Environment="A=1" B=2`, continued with a trailing `\`.
    case systemd
    /// A uWSGI ini file: `env = NAME=value` lines (one variable each).
    case uwsgiIni
    /// A `gunicorn.conf.py`: `raw_env = ["NAME=value", …]`, the list possibly spread over lines.
    case gunicornConfig
}

extension Host {
    public func discardContents(_ path: String) {}
    public func maskValues(_ path: String, onLines lines: Set<Int>) {}
    public func maskInlineEnvironment(_ path: String, dialect: InlineEnvironmentDialect) {}

    /// A host that cannot measure filesystems (a test double) says so like a snapshot
    /// without the record; LiveHost, SnapshotHost and SnapshotRecorder answer for real.
    public func filesystemStatistics(_ path: String) throws(HostError) -> FilesystemStatistics {
        throw .notRecorded("filesystem usage of \(path)")
    }

    /// Listening sockets with their pids, reading the process table for the join.
    public func listeners() throws(HostError) -> [Listener] {
        try listeners(holders: processes())
    }
}

/// Why a host read failed. Turned into `Unavailable` facts by the gatherers.
public enum HostError: Error, Hashable, Sendable, CustomStringConvertible {
    case notFound(String)
    case permissionDenied(String)
    case tooLarge(String, bytes: Int, limit: Int)
    case notRecorded(String)
    case io(String, errno: Int32, message: String)

    public var description: String {
        switch self {
        case let .notFound(path): "\(path): no such file or directory"
        case let .permissionDenied(path): "\(path): permission denied"
        case let .tooLarge(path, bytes, limit): "\(path): \(bytes) bytes, over the \(limit)-byte limit"
        case let .notRecorded(what): "\(what): not recorded in this snapshot"
        case let .io(path, errno, message): "\(path): \(message) (errno \(errno))"
        }
    }
}

/// The end of a file and where it starts, so log lines keep true line numbers when known.
public struct FileTail: Sendable {
    public var bytes: [UInt8]
    /// Byte offset of `bytes` in the file; 0 when the whole file was read.
    public var offset: UInt64
    /// The file's size when it was read.
    public var fileSize: UInt64

    public init(bytes: [UInt8], offset: UInt64, fileSize: UInt64) {
        self.bytes = bytes
        self.offset = offset
        self.fileSize = fileSize
    }
}

/// The parts of stat(2) that diagnosis needs.
public struct FileStatus: Hashable, Codable, Sendable {
    /// File type; raw values are used in snapshot metadata.
    public enum Kind: String, Codable, Sendable {
        case regular, directory, symlink, socket, fifo, other
    }

    public var kind: Kind
    /// Permission bits (e.g. 0o755), without the type bits.
    public var mode: UInt32
    public var uid: Int
    public var gid: Int
    public var size: UInt64
    /// Modification time, seconds since the epoch.
    public var modified: Double

    public init(kind: Kind, mode: UInt32, uid: Int, gid: Int, size: UInt64, modified: Double) {
        self.kind = kind
        self.mode = mode
        self.uid = uid
        self.gid = gid
        self.size = size
        self.modified = modified
    }
}

/// An HTTP probe to send.
public struct ProbeRequest: Hashable, Sendable {
    /// How the request is framed on the wire: what the proxy itself speaks to that upstream.
    public enum Wire: String, Hashable, Codable, Sendable {
        /// An HTTP/1.1 request (`proxy_pass`, and every probe through the proxy).
        case http
        /// A uwsgi-protocol packet (`uwsgi_pass` to a uWSGI `--socket`); uWSGI answers in HTTP.
        case uwsgi
    }

    public var endpoint: Endpoint
    public var path: String
    public var hostHeader: String
    /// One deadline for connect, request and response head.
    public var timeout: Duration
    public var wire: Wire

    public init(endpoint: Endpoint, path: String = "/", hostHeader: String = "localhost", timeout: Duration = .seconds(2),
                wire: Wire = .http) {
        self.endpoint = endpoint
        self.path = path
        self.hostHeader = hostHeader
        self.timeout = timeout
        self.wire = wire
    }
}
