import DoctorFacts
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// What must stay the same for the routes read earlier to still be the routes: the mtimes of the
/// proxy's config files (and of the directories holding them, which change when a site file is
/// added or removed) and which proxy masters run. Stat'ing a few files and `kill(pid, 0)` each
/// tick is cheap; reading the process table and parsing the config every ten seconds is not.
public struct RouteFingerprint: Hashable, Sendable {
    /// Path → mtime in nanoseconds (`-1` when it cannot be stat'ed: it disappeared, also a change).
    var mtimes: [String: Int64]
    /// Master pids that were running when the routes were read, and whether they still are.
    var masters: [Int: Bool]

    /// The files and masters behind `routes` and `proxies`, as they are now.
    public static func current(routes: [Route], proxies: [ProxyInstance]) -> RouteFingerprint {
        var files = Set(proxies.map(\.configPath).filter { $0.hasPrefix("/") })
        files.formUnion(routes.map(\.source.file).filter { $0.hasPrefix("/") })
        var paths = files
        for file in files {
            if let slash = file.lastIndex(of: "/"), slash != file.startIndex { paths.insert(String(file[..<slash])) }
        }
        var mtimes: [String: Int64] = [:]
        for path in paths { mtimes[path] = mtime(path) }
        var masters: [Int: Bool] = [:]
        for pid in proxies.compactMap(\.masterPID) { masters[pid] = isAlive(pid) }
        return RouteFingerprint(mtimes: mtimes, masters: masters)
    }

    /// The same files and masters, looked at again.
    public func refreshed() -> RouteFingerprint {
        var copy = self
        for path in mtimes.keys { copy.mtimes[path] = Self.mtime(path) }
        for pid in masters.keys { copy.masters[pid] = Self.isAlive(pid) }
        return copy
    }

    static func mtime(_ path: String) -> Int64 {
        var info = stat()
        guard stat(path, &info) == 0 else { return -1 }
        return Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
    }

    static func isAlive(_ pid: Int) -> Bool {
        guard pid > 0 else { return false }
        return kill(pid_t(pid), 0) == 0 || errno == EPERM
    }
}
