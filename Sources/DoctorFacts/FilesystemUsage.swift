/// How full one filesystem is, and why gwdoctor looked at it.
///
/// Read with statvfs(2) on a path the stack writes to (a log, a socket directory, an app's
/// working directory, a temp directory); the mount point and type come from
/// `/proc/self/mountinfo` (longest mount point containing the path). One filesystem is
/// reported once, with every purpose it serves.
public struct FilesystemUsage: Hashable, Codable, Sendable {
    /// Where it is mounted (`/`, `/var/log`, `/run`); `nil` when the mount table was unreadable.
    public var mountPoint: String?
    /// `ext4`, `xfs`, `tmpfs`, …
    public var type: String?
    /// What is mounted (`/dev/vda1`, `tmpfs`).
    public var source: String?
    /// `major:minor` from the mount table, the identity that deduplicates filesystems.
    public var device: String?
    /// statvfs's `f_fsid`, the identity when the mount table is unknown.
    public var filesystemID: UInt64
    /// Size in bytes (`f_blocks × f_frsize`).
    public var totalBytes: UInt64
    /// Free bytes, including the blocks reserved for root (`f_bfree`).
    public var freeBytes: UInt64
    /// Bytes an unprivileged process (nginx's workers, the app) can still write (`f_bavail`).
    public var availableBytes: UInt64
    /// Inodes in all (0 on filesystems without a fixed inode table, such as btrfs).
    public var totalInodes: UInt64
    /// Free inodes (`f_ffree`).
    public var freeInodes: UInt64
    /// Mounted read-only (`ST_RDONLY`).
    public var readOnly: Bool
    /// The paths on it that the stack uses, and what for.
    public var purposes: [FilesystemPurpose]

    public init(mountPoint: String? = nil, type: String? = nil, source: String? = nil, device: String? = nil,
                filesystemID: UInt64 = 0, totalBytes: UInt64, freeBytes: UInt64, availableBytes: UInt64,
                totalInodes: UInt64 = 0, freeInodes: UInt64 = 0, readOnly: Bool = false,
                purposes: [FilesystemPurpose] = []) {
        self.mountPoint = mountPoint
        self.type = type
        self.source = source
        self.device = device
        self.filesystemID = filesystemID
        self.totalBytes = totalBytes
        self.freeBytes = freeBytes
        self.availableBytes = availableBytes
        self.totalInodes = totalInodes
        self.freeInodes = freeInodes
        self.readOnly = readOnly
        self.purposes = purposes
    }

    /// Used share of what unprivileged users can have, in percent, the way `df` computes
    /// it: used / (used + available), so root's reserve does not hide a full disk.
    public var usedPercent: Double {
        let used = totalBytes >= freeBytes ? totalBytes - freeBytes : 0
        let usable = used + availableBytes
        guard usable > 0 else { return 0 }
        return Double(used) / Double(usable) * 100
    }

    /// Available bytes as a share of the size, in percent.
    public var availablePercent: Double {
        guard totalBytes > 0 else { return 0 }
        return Double(availableBytes) / Double(totalBytes) * 100
    }

    /// Used inodes in percent; `nil` when the filesystem has no inode count.
    public var inodesUsedPercent: Double? {
        guard totalInodes > 0 else { return nil }
        return Double(totalInodes - min(freeInodes, totalInodes)) / Double(totalInodes) * 100
    }

    /// `/ (ext4 on /dev/vda1)`, or the first path when the mount is unknown.
    public var label: String {
        let place = mountPoint ?? purposes.first.map { "the filesystem of \($0.path)" } ?? "a filesystem"
        let detail = [type, source.map { "on \($0)" }].compactMap { $0 }.joined(separator: " ")
        return detail.isEmpty ? place : "\(place) (\(detail))"
    }
}

/// One path on a filesystem and what the stack uses it for.
public struct FilesystemPurpose: Hashable, Codable, Sendable {
    /// `nginx error log`, `socket dir`, `app working dir (gunicorn pid 412)`, `temp dir`.
    public var role: String
    public var path: String

    public init(role: String, path: String) {
        self.role = role
        self.path = path
    }

    /// `nginx error log /var/log/nginx/error.log`.
    public var description: String { "\(role) \(path)" }
}
