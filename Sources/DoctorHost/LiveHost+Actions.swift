import DoctorFacts
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// This machine's changes: the allow-listed service commands, socket unlinking and signals.
extension LiveHost: HostActions {
    /// Runs a command that changes the machine, the same way `run` runs a read (own process
    /// group, deadline, capped output). Only commands that `changesHost` come here; a
    /// read-only command is run too, since running it changes nothing.
    public func perform(_ command: AllowedCommand, timeout: Duration, outputLimit: Int) async -> CommandResult {
        await CommandRunner.run(argv: command.argv, executable: command.executable ?? command.program.rawValue,
                                lookUpOnPath: command.executable == nil, arguments: command.arguments,
                                timeout: timeout, outputLimit: outputLimit)
    }

    /// lstat(2), then unlink(2) only when it is a socket. The gap between the two is
    /// microseconds, and a process that recreates the path meanwhile would make a socket
    /// again (a server binding there), never a file gwdoctor would destroy by mistake.
    public func removeSocket(_ path: String) throws(HostError) {
        let status = try PosixFiles.status(path, followLinks: false)
        guard status.kind == .socket else {
            throw .io(path, errno: EINVAL, message: "not a socket (\(status.kind.rawValue)); refusing to remove it")
        }
        if unlink(path) != 0 {
            throw Self.hostError(path, errno)
        }
    }

    /// kill(2) of `pid` with `signal`. Pids 0, 1 and negatives (process groups, everything)
    /// are refused before any call.
    public func signal(pid: Int, _ signal: Int32) throws(HostError) {
        let what = "pid \(pid)"
        guard pid > 1, let value = pid_t(exactly: pid) else {
            throw .io(what, errno: EINVAL, message: "refusing to signal pid \(pid)")
        }
        if kill(value, signal) != 0 {
            throw Self.hostError(what, errno)
        }
    }

    private static func hostError(_ what: String, _ code: Int32) -> HostError {
        switch code {
        case ENOENT, ESRCH: .notFound(what)
        case EACCES, EPERM: .permissionDenied(what)
        default: .io(what, errno: code, message: String(cString: strerror(code)))
        }
    }
}
