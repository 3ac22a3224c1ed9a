#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension PosixFiles {
    /// statvfs(2): costs one system call and reads no file, so gathering can afford it
    /// for every path the stack writes to.
    static func filesystemStatistics(_ path: String) throws(HostError) -> FilesystemStatistics {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { throw hostError(errno: errno, path: path) }
        let unit = UInt64(info.f_frsize > 0 ? info.f_frsize : info.f_bsize)
        func bytes(_ blocks: UInt64) -> UInt64 {
            let (value, overflow) = blocks.multipliedReportingOverflow(by: unit)
            return overflow ? .max : value
        }
        return FilesystemStatistics(totalBytes: bytes(UInt64(info.f_blocks)), freeBytes: bytes(UInt64(info.f_bfree)),
                                    availableBytes: bytes(UInt64(info.f_bavail)), totalInodes: UInt64(info.f_files),
                                    freeInodes: UInt64(info.f_ffree), filesystemID: UInt64(info.f_fsid),
                                    readOnly: info.f_flag & UInt(ST_RDONLY) != 0)
    }
}
