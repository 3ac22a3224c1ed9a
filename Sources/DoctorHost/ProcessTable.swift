import DoctorFacts
import DoctorParsers
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Scans `/proc` into `ProcessRecord`s for `LiveHost`.
enum ProcessTable {
    /// Caps for the small /proc files; a cmdline beyond this is cut, not refused.
    static let statusLimit = 64 * 1024
    static let cmdlineLimit = 256 * 1024

    static func scan(proc: String = "/proc", accounts: AccountDatabase) throws(HostError) -> [ProcessRecord] {
        let pids = try PosixFiles.list(proc).compactMap { name -> Int? in
            guard !name.isEmpty, name.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
            return Int(name)
        }.sorted()
        let clock = StartClock.now()
        return pids.compactMap { record(pid: $0, proc: proc, accounts: accounts, clock: clock) }
    }

    /// What turns a `/proc/PID/stat` starttime into a wall-clock time, read once per scan.
    struct StartClock {
        /// When the machine booted on the wall clock: CLOCK_REALTIME − CLOCK_BOOTTIME, the
        /// clock starttime counts on (suspend included), to the nanosecond rather than
        /// `/proc/stat`'s whole-second `btime`.
        var bootEpoch: Double
        var ticksPerSecond: Int

        static func now() -> StartClock? {
            var real = timespec()
            var boot = timespec()
            guard clock_gettime(CLOCK_REALTIME, &real) == 0, clock_gettime(CLOCK_BOOTTIME, &boot) == 0 else { return nil }
            let ticks = sysconf(Int32(_SC_CLK_TCK))
            guard ticks > 0 else { return nil }
            let seconds = Double(real.tv_sec - boot.tv_sec) + Double(real.tv_nsec - boot.tv_nsec) / 1e9
            return StartClock(bootEpoch: seconds, ticksPerSecond: ticks)
        }
    }

    /// One process, or `nil` when it exited while being read: a process table is a moving
    /// target, and a pid that vanished is simply no longer part of it.
    static func record(pid: Int, proc: String, accounts: AccountDatabase, clock: StartClock? = nil) -> ProcessRecord? {
        let base = "\(proc)/\(pid)"
        let comm: String
        do {
            comm = String(decoding: try PosixFiles.readFile("\(base)/comm", maxBytes: 4096), as: UTF8.self)
                .trimmingTrailingNewlines()
        } catch {
            return nil
        }

        var status = ProcStatus()
        do {
            status = ProcStatus.parse(String(decoding: try PosixFiles.readFile("\(base)/status", maxBytes: statusLimit), as: UTF8.self))
        } catch let error where Self.vanished(error) {
            return nil
        } catch {
            // Unreadable status (hidepid, permissions) leaves uid/gid unknown, not the process.
        }

        var cmdline: [String] = []
        do {
            cmdline = ProcCmdline.parse(try readPrefix("\(base)/cmdline", maxBytes: cmdlineLimit))
        } catch let error where Self.vanished(error) {
            return nil
        } catch {}

        let cwd = try? PosixFiles.readLink("\(base)/cwd")
        // `net:[4026531840]`: which loopback this process sees (labs, containers, other sites).
        let netNamespace = try? PosixFiles.readLink("\(base)/ns/net")

        var inodes: [UInt64] = []
        do {
            for name in try PosixFiles.list("\(base)/fd") {
                // An fd closed between list and readlink is just gone; skip it.
                guard let target = try? PosixFiles.readLink("\(base)/fd/\(name)"),
                      let inode = ProcListeners.socketInode(fromLink: target) else { continue }
                inodes.append(inode)
            }
        } catch let error where Self.vanished(error) {
            return nil
        } catch {}

        // A stat line is small; an unreadable one leaves the start unknown, not the process.
        let startedAt = clock.flatMap { clock in
            (try? PosixFiles.readFile("\(base)/stat", maxBytes: 4096)).flatMap { ProcStat.startTicks(String(decoding: $0, as: UTF8.self)) }
                .flatMap { ProcStat.startEpoch(ticks: $0, ticksPerSecond: clock.ticksPerSecond, bootEpoch: clock.bootEpoch) }
        }

        let uid = status.uid
        return ProcessRecord(pid: pid, ppid: status.ppid ?? 0, uid: uid, gid: status.gid, groups: status.groups,
                             user: uid.flatMap { accounts.user(uid: $0)?.name }, cmdline: cmdline, comm: comm,
                             cwd: cwd, socketInodes: inodes, netNamespace: netNamespace, startedAt: startedAt)
    }

    /// ENOENT or ESRCH on a /proc/PID file means the process exited during the scan.
    static func vanished(_ error: HostError) -> Bool {
        switch error {
        case .notFound: true
        case let .io(_, code, _): code == ESRCH
        default: false
        }
    }

    /// The first `maxBytes` of a file; for cmdlines a prefix is better than nothing.
    static func readPrefix(_ path: String, maxBytes: Int) throws(HostError) -> [UInt8] {
        let fd = try PosixFiles.openForReading(path)
        defer { try? fd.close() }
        return try PosixFiles.read(fd, path: path, from: 0, upTo: maxBytes)
    }
}

private extension String {
    func trimmingTrailingNewlines() -> String {
        var text = self
        while text.hasSuffix("\n") { text.removeLast() }
        return text
    }
}
