#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Synchronization

extension PosixFiles {
    /// How long one statvfs(2) may take. A local filesystem answers in microseconds; a
    /// hard-mounted NFS or CIFS share whose server is gone blocks the caller indefinitely.
    static let filesystemDeadline: Duration = .seconds(2)

    /// statvfs(2) under `filesystemDeadline`: the call runs on a worker thread, and one that
    /// has not returned in time is abandoned (`.io` "did not answer") so gwdoctor never hangs.
    static func filesystemStatistics(_ path: String, deadline: Duration = filesystemDeadline) throws(HostError) -> FilesystemStatistics {
        let result = withDeadline(deadline) { statvfsNow(path) }
        guard let result else {
            throw .io(path, errno: ETIMEDOUT, message: "statvfs did not answer within \(deadline) (a hung network filesystem?)")
        }
        return try result.get()
    }

    /// The result of `body`, or `nil` when it has not finished by `deadline`; the work is left
    /// to finish (or hang) on its own thread.
    static func withDeadline<T: Sendable>(_ deadline: Duration, _ body: @escaping @Sendable () -> T) -> T? {
        let box = Mutex<T?>(nil)
        let done = DispatchSemaphore(value: 0)
        let worker = Thread {
            let value = body()
            box.withLock { $0 = value }
            done.signal()
        }
        worker.stackSize = 256 * 1024
        worker.start()
        let seconds = Double(deadline.components.seconds) + Double(deadline.components.attoseconds) / 1e18
        guard done.wait(timeout: .now() + seconds) == .success else { return nil }
        return box.withLock { $0 }
    }

    /// One statvfs(2) call; costs one system call and reads no file.
    private static func statvfsNow(_ path: String) -> Result<FilesystemStatistics, HostError> {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return .failure(hostError(errno: errno, path: path)) }
        let unit = UInt64(info.f_frsize > 0 ? info.f_frsize : info.f_bsize)
        func bytes(_ blocks: UInt64) -> UInt64 {
            let (value, overflow) = blocks.multipliedReportingOverflow(by: unit)
            return overflow ? .max : value
        }
        return .success(FilesystemStatistics(totalBytes: bytes(UInt64(info.f_blocks)), freeBytes: bytes(UInt64(info.f_bfree)),
                                             availableBytes: bytes(UInt64(info.f_bavail)), totalInodes: UInt64(info.f_files),
                                             freeInodes: UInt64(info.f_ffree), filesystemID: UInt64(info.f_fsid),
                                             readOnly: info.f_flag & UInt(ST_RDONLY) != 0))
    }
}
