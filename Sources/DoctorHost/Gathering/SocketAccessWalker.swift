import DoctorFacts
import DoctorParsers

/// Walks a unix socket path for one user the way the kernel checks `connect(2)`:
/// search (x) on every directory from `/` down, write (w) on the socket itself, and names
/// the first component that stops the user — what `namei -l PATH` shows a person.
struct SocketAccessWalker: Sendable {
    let host: any Host
    let accounts: AccountDatabase

    /// The proxy worker's credentials used for the walk.
    struct Credentials: Sendable {
        var user: String
        var uid: Int
        var gids: [Int]
        /// `user www-data; at /etc/nginx/nginx.conf:1`, or `nginx worker pid 413`.
        var source: String?
    }

    func walk(_ socketPath: String, as credentials: Credentials) -> SocketAccess {
        var steps: [PathStep] = []
        let components = socketPath.split(separator: "/").map(String.init)
        var current = ""
        let paths = ["/"] + components.map { component -> String in
            current += "/" + component
            return current
        }
        for (index, path) in paths.enumerated() {
            let isSocket = index == paths.count - 1
            let needs = isSocket ? "write" : "search"
            let status: FileStatus
            do {
                status = try host.status(path, followLinks: true)
            } catch {
                let kind = if case .notFound = error { "missing" } else { "unknown" }
                steps.append(PathStep(path: path, kind: kind, needs: needs, allowed: nil))
                break
            }
            let allowed = Self.permits(status, uid: credentials.uid, gids: credentials.gids, bit: isSocket ? 2 : 1)
            steps.append(PathStep(path: path, kind: status.kind.rawValue, mode: status.mode,
                                  owner: accounts.user(uid: status.uid)?.name, group: accounts.group(gid: status.gid)?.name,
                                  uid: status.uid, gid: status.gid, needs: needs, allowed: allowed))
            if !allowed { break }
        }
        return SocketAccess(socketPath: socketPath, user: credentials.user, uid: credentials.uid, gids: credentials.gids,
                            userSource: credentials.source, steps: steps)
    }

    /// The classic owner / group / other choice: exactly one class applies, the first that
    /// matches, even when a later class would grant more (a group member denied by the group
    /// bits is not rescued by the other bits). Root passes every search and write check.
    static func permits(_ status: FileStatus, uid: Int, gids: [Int], bit: UInt32) -> Bool {
        if uid == 0 { return true }
        let shift: UInt32 = if status.uid == uid { 6 } else if gids.contains(status.gid) { 3 } else { 0 }
        return status.mode & (bit << shift) != 0
    }
}
