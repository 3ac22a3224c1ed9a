/// The fields of `/proc/PID/status` that diagnosis needs.
public struct ProcStatus: Hashable, Sendable {
    /// `Name:`, the same short name as `/proc/PID/comm`.
    public var name: String?
    public var ppid: Int?
    /// Real, effective, saved and file-system uid, in that order.
    public var uids: [Int]
    /// Real, effective, saved and file-system gid, in that order.
    public var gids: [Int]
    /// Supplementary groups.
    public var groups: [Int]

    /// A status with the given fields; `parse(_:)` is the usual way to get one.
    public init(name: String? = nil, ppid: Int? = nil, uids: [Int] = [], gids: [Int] = [], groups: [Int] = []) {
        self.name = name
        self.ppid = ppid
        self.uids = uids
        self.gids = gids
        self.groups = groups
    }

    /// Real uid: who started the process.
    public var uid: Int? { uids.first }
    /// Real gid.
    public var gid: Int? { gids.first }
    /// Effective uid: whose permissions file access uses (differs from the real one for setuid programs).
    public var effectiveUID: Int? { uids.count > 1 ? uids[1] : uids.first }
    /// Effective gid.
    public var effectiveGID: Int? { gids.count > 1 ? gids[1] : gids.first }

    /// Parses the `Key:\tvalue` lines; unknown keys are ignored, so newer kernels parse too.
    public static func parse(_ text: String) -> ProcStatus {
        var status = ProcStatus()
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon]
            let value = line[line.index(after: colon)...]
            switch key {
            case "Name": status.name = String(value.drop(while: { $0 == "\t" || $0 == " " }))
            case "PPid": status.ppid = numbers(value).first
            case "Uid": status.uids = numbers(value)
            case "Gid": status.gids = numbers(value)
            case "Groups": status.groups = numbers(value)
            default: continue
            }
        }
        return status
    }

    private static func numbers(_ value: Substring) -> [Int] {
        value.split(whereSeparator: { $0 == "\t" || $0 == " " }).compactMap { Int($0) }
    }
}
