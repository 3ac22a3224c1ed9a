/// One line of `/etc/passwd`.
public struct PasswdEntry: Hashable, Sendable {
    public var name: String
    public var uid: Int
    /// Primary group.
    public var gid: Int
    public var gecos: String
    public var home: String
    public var shell: String

    /// An entry with the fields of one passwd line.
    public init(name: String, uid: Int, gid: Int, gecos: String = "", home: String = "", shell: String = "") {
        self.name = name
        self.uid = uid
        self.gid = gid
        self.gecos = gecos
        self.home = home
        self.shell = shell
    }
}

/// One line of `/etc/group`.
public struct GroupEntry: Hashable, Sendable {
    public var name: String
    public var gid: Int
    /// Users listed as supplementary members (users whose primary group this is are not listed).
    public var members: [String]

    /// An entry with the fields of one group line.
    public init(name: String, gid: Int, members: [String] = []) {
        self.name = name
        self.gid = gid
        self.members = members
    }
}

/// Users and groups from `/etc/passwd` and `/etc/group`, to name uids and to decide
/// whether a proxy's worker user may reach a socket through its groups.
public struct AccountDatabase: Hashable, Sendable {
    public var users: [PasswdEntry]
    public var groups: [GroupEntry]

    /// A database from already parsed entries.
    public init(users: [PasswdEntry] = [], groups: [GroupEntry] = []) {
        self.users = users
        self.groups = groups
    }

    /// Parses both files; either text may be empty when the file was unreadable.
    public init(passwd: String, group: String) {
        self.init(users: Self.parsePasswd(passwd), groups: Self.parseGroup(group))
    }

    /// The first user with this uid, as `getpwuid` would answer.
    public func user(uid: Int) -> PasswdEntry? { users.first { $0.uid == uid } }
    /// The user with this login name.
    public func user(named name: String) -> PasswdEntry? { users.first { $0.name == name } }
    /// The first group with this gid.
    public func group(gid: Int) -> GroupEntry? { groups.first { $0.gid == gid } }
    /// The group with this name.
    public func group(named name: String) -> GroupEntry? { groups.first { $0.name == name } }

    /// Every gid a user gets at login: the primary group plus the groups listing it as member.
    /// Empty when the user is unknown.
    public func groupIDs(ofUser name: String) -> [Int] {
        guard let user = user(named: name) else { return [] }
        var ids = [user.gid]
        for group in groups where group.members.contains(name) && !ids.contains(group.gid) {
            ids.append(group.gid)
        }
        return ids
    }

    /// Parses `/etc/passwd`; comments, blank lines and lines with too few fields
    /// (NIS `+` entries, hand-edited damage) are skipped.
    public static func parsePasswd(_ text: String) -> [PasswdEntry] {
        text.split(separator: "\n").compactMap { line in
            guard !line.hasPrefix("#") else { return nil }
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            guard fields.count >= 7, let uid = Int(fields[2]), let gid = Int(fields[3]) else { return nil }
            return PasswdEntry(name: String(fields[0]), uid: uid, gid: gid, gecos: String(fields[4]),
                               home: String(fields[5]), shell: String(fields[6]))
        }
    }

    /// Parses `/etc/group`, with the comma-separated member list.
    public static func parseGroup(_ text: String) -> [GroupEntry] {
        text.split(separator: "\n").compactMap { line in
            guard !line.hasPrefix("#") else { return nil }
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            guard fields.count >= 4, let gid = Int(fields[2]) else { return nil }
            let members = fields[3].split(separator: ",").map { String($0).trimmingSpaces() }.filter { !$0.isEmpty }
            return GroupEntry(name: String(fields[0]), gid: gid, members: members)
        }
    }
}

private extension String {
    func trimmingSpaces() -> String {
        String(drop(while: { $0 == " " || $0 == "\r" }).reversed().drop(while: { $0 == " " || $0 == "\r" }).reversed())
    }
}
