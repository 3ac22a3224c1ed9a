/// Whether a user can connect to a unix socket, walked component by component as
/// `namei -l` shows it: search (x) on every directory, write (w) on the socket.
public struct SocketAccess: Hashable, Codable, Sendable {
    public var socketPath: String
    /// The proxy worker user checked, and where that user came from (`user www-data;` at file:line, or a worker pid).
    public var user: String
    public var uid: Int
    /// Primary and supplementary groups.
    public var gids: [Int]
    public var userSource: String?
    /// Every component from `/` to the socket, in order.
    public var steps: [PathStep]

    public init(socketPath: String, user: String, uid: Int, gids: [Int], userSource: String? = nil, steps: [PathStep]) {
        self.socketPath = socketPath
        self.user = user
        self.uid = uid
        self.gids = gids
        self.userSource = userSource
        self.steps = steps
    }

    /// The first component that stops the user, if any.
    public var blockingStep: PathStep? { steps.first { $0.allowed == false } }
    /// Whether the walk got to the socket and the user may connect.
    public var allowed: Bool { !steps.isEmpty && steps.allSatisfy { $0.allowed == true } }
}

/// One component of a socket path walk.
public struct PathStep: Hashable, Codable, Sendable {
    public var path: String
    /// `directory`, `socket`, `symlink`, `regular`, …; `missing` when it does not exist.
    public var kind: String
    public var mode: UInt32?
    public var owner: String?
    public var group: String?
    public var uid: Int?
    public var gid: Int?
    /// What the user needs here: `search` for directories, `write` for the socket.
    public var needs: String
    /// `nil` when it could not be determined (unreadable, missing).
    public var allowed: Bool?

    public init(path: String, kind: String, mode: UInt32? = nil, owner: String? = nil, group: String? = nil,
                uid: Int? = nil, gid: Int? = nil, needs: String, allowed: Bool?) {
        self.path = path
        self.kind = kind
        self.mode = mode
        self.owner = owner
        self.group = group
        self.uid = uid
        self.gid = gid
        self.needs = needs
        self.allowed = allowed
    }

    /// `drwx------ root root /run/app`, the way `namei -l` prints it.
    public var nameiLine: String {
        let permissions = mode.map { PathStep.symbolic($0, kind: kind) } ?? "?????????"
        return "\(permissions) \(owner ?? uid.map(String.init) ?? "?") \(group ?? gid.map(String.init) ?? "?") \(path)"
    }

    public static func symbolic(_ mode: UInt32, kind: String) -> String {
        let type: Character = switch kind {
        case "directory": "d"
        case "socket": "s"
        case "symlink": "l"
        case "missing": "?"
        default: "-"
        }
        let letters: [Character] = ["r", "w", "x"]
        var out = String(type)
        for shift in stride(from: 8, through: 0, by: -1) {
            out.append(mode & (1 << UInt32(shift)) != 0 ? letters[(8 - shift) % 3] : "-")
        }
        return out
    }
}
