import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// gwdoctor's state directory (`--state-dir`, default `/var/lib/gwdoctor`): the audit log,
/// the restart budget, and later the release marks of `rollback`.
///
/// Created 0700 (parents 0755, like `mkdir -p` under a 022 umask); files in it are 0600.
/// A state directory that anyone may write to is refused, not repaired behind the user's
/// back: another user could have planted entries in the budget or the audit log.
public struct StateDirectory: Sendable, Hashable {
    public static let defaultPath = "/var/lib/gwdoctor"

    public let path: String

    public init(_ path: String = StateDirectory.defaultPath) {
        self.path = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
    }

    /// `path/name`.
    public func file(_ name: String) -> String { path + "/" + name }

    /// Makes sure the directory exists (0700 when created) and is not world-writable.
    public func prepare() throws(RemedyStateError) {
        guard path.hasPrefix("/") else { throw RemedyStateError(path, "the state directory must be an absolute path") }
        var info = stat()
        if lstat(path, &info) != 0 {
            guard errno == ENOENT else { throw RemedyStateError(path, String(cString: strerror(errno))) }
            let parent = (path as NSString).deletingLastPathComponent
            if parent != path, !parent.isEmpty {
                try StateDirectory(parent).makeParents()
            }
            if mkdir(path, 0o700) != 0, errno != EEXIST {
                throw RemedyStateError(path, "cannot create: \(String(cString: strerror(errno)))")
            }
            _ = chmod(path, 0o700) // the umask may have taken bits away, never added: this only makes it exact
            guard lstat(path, &info) == 0 else { throw RemedyStateError(path, String(cString: strerror(errno))) }
        }
        guard (info.st_mode & S_IFMT) == S_IFDIR else {
            throw RemedyStateError(path, "not a directory (a symlink or a file); refusing to keep state there")
        }
        if info.st_mode & 0o002 != 0 {
            throw RemedyStateError(path, "world-writable (mode \(String(info.st_mode & 0o7777, radix: 8))); "
                + "refusing to keep state there: chmod 0700 \(path)")
        }
    }

    /// `mkdir -p` for the parents: 0755, an existing one left as it is.
    private func makeParents() throws(RemedyStateError) {
        var info = stat()
        if stat(path, &info) == 0 { return }
        let parent = (path as NSString).deletingLastPathComponent
        if parent != path, !parent.isEmpty, parent != "/" { try StateDirectory(parent).makeParents() }
        if mkdir(path, 0o755) != 0, errno != EEXIST {
            throw RemedyStateError(path, "cannot create: \(String(cString: strerror(errno)))")
        }
    }

    /// Opens `name` in the directory with `flags`, created 0600, never following a symlink;
    /// an existing file that group or others may write to is narrowed to 0600 first.
    func open(_ name: String, flags: Int32) throws(RemedyStateError) -> Int32 {
        let file = self.file(name)
        let fd = Glibc.open(file, flags | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw RemedyStateError(file, "cannot open: \(String(cString: strerror(errno)))") }
        var info = stat()
        if fstat(fd, &info) == 0, info.st_mode & 0o022 != 0 {
            _ = fchmod(fd, 0o600)
        }
        return fd
    }

    /// Writes `bytes` to `name` atomically: a temporary file in the same directory (0600),
    /// fsync, then rename over the old one, so a reader (or a concurrent run) sees the old
    /// file or the new one, never half of one.
    func replace(_ name: String, with bytes: [UInt8]) throws(RemedyStateError) {
        let temporary = ".\(name).\(getpid()).\(UInt32.random(in: 0 ... .max)).tmp"
        let fd = try open(temporary, flags: O_WRONLY | O_EXCL | O_TRUNC)
        var written = 0
        let failure: String? = bytes.withUnsafeBytes { buffer in
            while written < buffer.count {
                let result = Glibc.write(fd, buffer.baseAddress! + written, buffer.count - written)
                if result < 0 {
                    if errno == EINTR { continue }
                    return String(cString: strerror(errno))
                }
                written += result
            }
            return fsync(fd) == 0 ? nil : String(cString: strerror(errno))
        }
        close(fd)
        if let failure {
            unlink(file(temporary))
            throw RemedyStateError(file(name), "cannot write: \(failure)")
        }
        if rename(file(temporary), file(name)) != 0 {
            let reason = String(cString: strerror(errno))
            unlink(file(temporary))
            throw RemedyStateError(file(name), "cannot replace: \(reason)")
        }
    }

    /// Runs `body` holding an exclusive flock(2) on `name` (a lock file beside the state), so
    /// two gwdoctor runs never interleave a read-modify-write of the same state.
    func withLock<T>(_ name: String, _ body: () throws(RemedyStateError) -> T) throws(RemedyStateError) -> T {
        let fd = try open(name, flags: O_RDWR)
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            if errno != EINTR { throw RemedyStateError(file(name), "cannot lock: \(String(cString: strerror(errno)))") }
        }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }

    /// The whole of a small state file, or `nil` when it does not exist yet.
    func read(_ name: String, maxBytes: Int = 1 << 20) throws(RemedyStateError) -> [UInt8]? {
        let file = self.file(name)
        let fd = Glibc.open(file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw RemedyStateError(file, "cannot open: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw RemedyStateError(file, "cannot read: \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            bytes += chunk[0..<count]
            if bytes.count > maxBytes { throw RemedyStateError(file, "over \(maxBytes) bytes; not a file gwdoctor wrote") }
        }
        return bytes
    }
}
