/// One line of `/proc/PID/mountinfo` (proc(5)):
/// `36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue`.
public struct MountEntry: Hashable, Sendable {
    public var mountID: Int
    /// `major:minor` of the filesystem: equal for bind mounts of the same filesystem.
    public var device: String
    /// The mount point, octal escapes (`\040` for a space) decoded.
    public var mountPoint: String
    /// Per-mount options (`rw,relatime`).
    public var options: String
    /// `ext4`, `tmpfs`, `fuse.sshfs`, …
    public var type: String
    /// What is mounted (`/dev/vda1`, `tmpfs`, `server:/export`).
    public var source: String

    public init(mountID: Int, device: String, mountPoint: String, options: String, type: String, source: String) {
        self.mountID = mountID
        self.device = device
        self.mountPoint = mountPoint
        self.options = options
        self.type = type
        self.source = source
    }
}

/// Parses `/proc/self/mountinfo` and finds the mount that holds a path.
public enum MountInfo {
    /// Every well-formed line, in file order (later lines are mounted over earlier ones).
    public static func parse(_ text: String) -> [MountEntry] {
        text.split(separator: "\n").compactMap(entry)
    }

    static func entry(_ line: Substring) -> MountEntry? {
        let words = line.split(separator: " ")
        // At least: id parent dev root point options ... - type source
        guard words.count >= 9, let id = Int(words[0]),
              let separator = words[6...].firstIndex(of: "-"), separator + 2 < words.count else { return nil }
        return MountEntry(mountID: id, device: String(words[2]), mountPoint: unescape(words[4]), options: String(words[5]),
                          type: String(words[separator + 1]), source: unescape(words[separator + 2]))
    }

    /// The mount whose point is the longest prefix of `path` (by whole components); of two
    /// mounts on the same point, the later one, which hides the earlier.
    public static func mount(containing path: String, in entries: [MountEntry]) -> MountEntry? {
        var best: MountEntry?
        for entry in entries where contains(entry.mountPoint, path) {
            if let current = best, current.mountPoint.count > entry.mountPoint.count { continue }
            best = entry
        }
        return best
    }

    static func contains(_ mountPoint: String, _ path: String) -> Bool {
        if mountPoint == "/" { return path.hasPrefix("/") }
        return path == mountPoint || path.hasPrefix(mountPoint + "/")
    }

    /// `\040` → space, `\011` → tab, `\012` → newline, `\134` → backslash.
    static func unescape(_ word: Substring) -> String {
        guard word.contains("\\") else { return String(word) }
        var bytes: [UInt8] = []
        let utf8 = Array(word.utf8)
        var index = 0
        while index < utf8.count {
            if utf8[index] == UInt8(ascii: "\\"), index + 3 < utf8.count,
               let value = UInt8(String(decoding: utf8[(index + 1)...(index + 3)], as: UTF8.self), radix: 8) {
                bytes.append(value)
                index += 4
            } else {
                bytes.append(utf8[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
