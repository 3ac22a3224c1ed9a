import DoctorFacts
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The two changes `gwdoctor rollback --apply` makes to a deploy tree, besides restarting the
/// app through `HostActions.perform`: pointing `ROOT/current` at another release, and marking
/// the abandoned release bad. Both are narrow on purpose: the link is only ever replaced when
/// it is a symlink already, and the only file ever written is `ReleaseBadMark.fileName` inside
/// a release directory.
public protocol ReleaseSwitching: HostActions {
    /// Points the symlink `link` at `target` atomically: a new symlink beside it under a
    /// temporary name, then rename(2) over `link` (readers see the old or the new target, never
    /// nothing). Refused when `link` exists and is not a symlink (a copied directory).
    func switchLink(_ link: String, to target: String) throws(HostError)
    /// Writes `mark` to `releaseDirectory/.gwdoctor-bad` (refused when `releaseDirectory` is
    /// not a directory, and without following a symlink at the marker's name).
    func writeBadMark(_ mark: ReleaseBadMark, inRelease releaseDirectory: String) throws(HostError)
}

extension LiveHost: ReleaseSwitching {
    public func switchLink(_ link: String, to target: String) throws(HostError) {
        var existing: FileStatus?
        do {
            existing = try PosixFiles.status(link, followLinks: false)
        } catch .notFound {
            existing = nil // nothing there yet: the rename creates it
        }
        if let existing, existing.kind != .symlink {
            throw .io(link, errno: EEXIST, message: "not a symlink (\(existing.kind.rawValue)); refusing to replace it")
        }
        guard let slash = link.lastIndex(of: "/") else { throw .io(link, errno: EINVAL, message: "not an absolute path") }
        let directory = String(link[..<slash])
        let name = String(link[link.index(after: slash)...])
        // Same directory, so rename(2) stays on one filesystem and is atomic.
        let temporary = "\(directory)/.\(name).gwdoctor-\(getpid())"
        unlink(temporary)
        guard symlink(target, temporary) == 0 else { throw PosixFiles.hostError(errno: errno, path: temporary) }
        guard rename(temporary, link) == 0 else {
            let code = errno
            unlink(temporary)
            throw PosixFiles.hostError(errno: code, path: link)
        }
    }

    public func writeBadMark(_ mark: ReleaseBadMark, inRelease releaseDirectory: String) throws(HostError) {
        let status = try PosixFiles.status(releaseDirectory, followLinks: false)
        guard status.kind == .directory else {
            throw .io(releaseDirectory, errno: ENOTDIR, message: "not a directory (\(status.kind.rawValue))")
        }
        let path = releaseDirectory + "/" + ReleaseBadMark.fileName
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw PosixFiles.hostError(errno: errno, path: path) }
        defer { close(descriptor) }
        let bytes = mark.encoded()
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == bytes.count else { throw PosixFiles.hostError(errno: written < 0 ? errno : EIO, path: path) }
    }
}
