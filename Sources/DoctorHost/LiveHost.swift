import DoctorFacts
import DoctorParsers
import Foundation

/// This machine, read through POSIX calls and `/proc`.
///
/// Stateless, so one value can be shared by any number of tasks. Paths are absolute
/// and read as given: there is no root prefix.
public struct LiveHost: Host {
    /// A live host.
    public init() {}

    /// Always `false`: this is the machine itself.
    public var isSnapshot: Bool { false }
    /// Now.
    public var referenceTime: Date { Date() }

    /// The whole file; a file over `maxBytes` is refused with `.tooLarge` before any read.
    /// FIFOs and sockets are refused too, since reading them could wait forever.
    public func readFile(_ path: String, maxBytes: Int) throws(HostError) -> [UInt8] {
        try PosixFiles.readFile(path, maxBytes: maxBytes)
    }

    /// The last `maxBytes` of a file, read with one `pread` from `size - maxBytes`, so a
    /// multi-GB log costs no more than its tail.
    public func readTail(_ path: String, maxBytes: Int) throws(HostError) -> FileTail {
        try PosixFiles.readTail(path, maxBytes: maxBytes)
    }

    /// stat(2) or lstat(2). ENOENT and ENOTDIR are `.notFound`, EACCES and EPERM `.permissionDenied`.
    public func status(_ path: String, followLinks: Bool) throws(HostError) -> FileStatus {
        try PosixFiles.status(path, followLinks: followLinks)
    }

    /// readlink(2): the target exactly as stored, relative targets unresolved.
    public func readLink(_ path: String) throws(HostError) -> String {
        try PosixFiles.readLink(path)
    }

    /// Entry names of a directory without `.` and `..`, sorted.
    public func list(_ path: String) throws(HostError) -> [String] {
        try PosixFiles.list(path)
    }

    /// statvfs(2) with a 2 s deadline (a dead NFS server blocks it forever); errors map like
    /// `status`'s (ENOENT `.notFound`, EACCES `.permissionDenied`), a timeout is `.io` ETIMEDOUT.
    public func filesystemStatistics(_ path: String) throws(HostError) -> FilesystemStatistics {
        try PosixFiles.filesystemStatistics(path)
    }

    /// Every process in `/proc`, with user names from `/etc/passwd`. Processes that exit
    /// during the scan are left out; unreadable details (another user's cwd or fds when
    /// not root) are left empty rather than failing the scan.
    public func processes() throws(HostError) -> [ProcessRecord] {
        try ProcessTable.scan(accounts: accounts())
    }

    /// Listening sockets from `/proc/net/{tcp,tcp6,unix}` joined with the processes'
    /// socket inodes.
    ///
    /// `/proc/net/*` shows only the network namespace gwdoctor itself runs in: an app in
    /// another namespace (a container, `unshare -n`) is absent here even though its
    /// process is in `processes()`. A missing `tcp6` (IPv6 disabled) is not an error.
    public func listeners(holders processes: [ProcessRecord]) throws(HostError) -> [Listener] {
        let tcp = try String(decoding: PosixFiles.readFile("/proc/net/tcp", maxBytes: Self.socketTableLimit), as: UTF8.self)
        let tcp6 = try optionalTable("/proc/net/tcp6")
        let unix = try optionalTable("/proc/net/unix")
        return ProcListeners.listeners(tcp: tcp, tcp6: tcp6, unix: unix, processes: processes)
    }

    /// Runs an allow-listed command in its own process group, killed as a group at the
    /// deadline. Keeps the first `outputLimit` bytes of stdout and of stderr.
    /// A command that `changesHost` is refused here: changes go through `HostActions.perform`.
    public func run(_ command: AllowedCommand, timeout: Duration, outputLimit: Int) async -> CommandResult {
        if command.changesHost {
            return CommandResult(argv: command.argv, exitCode: nil,
                                 failure: "refused: \(command.program.rawValue) would change the machine; only HostActions.perform runs it")
        }
        return await CommandRunner.run(argv: command.argv, executable: command.executable ?? command.program.rawValue,
                                lookUpOnPath: command.executable == nil, arguments: command.arguments,
                                timeout: timeout, outputLimit: outputLimit, environment: command.environment.values,
                                workingDirectory: command.workingDirectory)
    }

    /// Runs any argv. Internal and for tests only (`@testable import`): gwdoctor itself
    /// runs nothing but `AllowedCommand`s, so this must never become public.
    func runUnchecked(_ argv: [String], timeout: Duration, outputLimit: Int) async -> CommandResult {
        guard let executable = argv.first else {
            return CommandResult(argv: argv, exitCode: nil, failure: "empty command")
        }
        return await CommandRunner.run(argv: argv, executable: executable, lookUpOnPath: !executable.contains("/"),
                                       arguments: Array(argv.dropFirst()), timeout: timeout, outputLimit: outputLimit)
    }

    /// One HTTP/1.1 GET over TCP or a unix socket, hand-rolled on POSIX sockets.
    public func probe(_ request: ProbeRequest) async -> ProbeResult {
        await HTTPProbe.probe(request)
    }

    // MARK: - Helpers

    /// Socket tables grow with connections; a busy proxy has tens of thousands of rows.
    static let socketTableLimit = 64 * 1024 * 1024

    private func optionalTable(_ path: String) throws(HostError) -> String? {
        do {
            return String(decoding: try PosixFiles.readFile(path, maxBytes: Self.socketTableLimit), as: UTF8.self)
        } catch .notFound {
            return nil
        }
    }

    /// Users and groups; an unreadable file only costs the names.
    private func accounts() -> AccountDatabase {
        let read = { (path: String) in
            (try? PosixFiles.readFile(path, maxBytes: 16 * 1024 * 1024)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        }
        return AccountDatabase(passwd: read("/etc/passwd"), group: read("/etc/group"))
    }
}
