/// The parts of statvfs(2) that diagnosis needs: how full the filesystem holding a path
/// is, in bytes and inodes. Codable because snapshots record it (`statvfs` in `fs-meta.json`).
public struct FilesystemStatistics: Hashable, Codable, Sendable {
    /// Size in bytes (`f_blocks × f_frsize`).
    public var totalBytes: UInt64
    /// Free bytes including root's reserve (`f_bfree × f_frsize`).
    public var freeBytes: UInt64
    /// Bytes unprivileged users can still write (`f_bavail × f_frsize`).
    public var availableBytes: UInt64
    /// `f_files` (0 where the filesystem has no inode table).
    public var totalInodes: UInt64
    /// `f_ffree`.
    public var freeInodes: UInt64
    /// `f_fsid`: identifies the filesystem (may be 0 on some, such as older tmpfs).
    public var filesystemID: UInt64
    /// `ST_RDONLY` in `f_flag`.
    public var readOnly: Bool

    public init(totalBytes: UInt64, freeBytes: UInt64, availableBytes: UInt64, totalInodes: UInt64,
                freeInodes: UInt64, filesystemID: UInt64, readOnly: Bool = false) {
        self.totalBytes = totalBytes
        self.freeBytes = freeBytes
        self.availableBytes = availableBytes
        self.totalInodes = totalInodes
        self.freeInodes = freeInodes
        self.filesystemID = filesystemID
        self.readOnly = readOnly
    }
}
