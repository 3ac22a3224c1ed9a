import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Low-level process control for the lab: `posix_spawn` in a new session (so a whole
/// process tree can be signalled as one group), output straight to files (no pipes to
/// drain, nothing to deadlock), and waits that always have a deadline.
///
/// Foundation's `Process` would do for simple runs, but it neither puts the child in
/// its own process group nor lets us inherit a pipe into it, and both are what a
/// reliable teardown needs.
enum Spawn {
    /// Where the child's standard input comes from.
    enum Input {
        case devNull
        /// Duplicated onto fd 0 of the child (the caller keeps its own copy).
        case fileDescriptor(Int32)
    }

    /// Spawns `executable` with `arguments` in a new session: its pid is also its
    /// process group id. stdout and stderr are appended to the given files.
    static func spawn(executable: String, arguments: [String], environment: [String: String],
                      input: Input = .devNull, stdoutPath: String, stderrPath: String) throws(LabError) -> pid_t {
        var fileActions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&fileActions)
        defer { posix_spawn_file_actions_destroy(&fileActions) }
        switch input {
        case .devNull:
            posix_spawn_file_actions_addopen(&fileActions, 0, "/dev/null", O_RDONLY, 0)
        case let .fileDescriptor(fd):
            posix_spawn_file_actions_adddup2(&fileActions, fd, 0)
        }
        posix_spawn_file_actions_addopen(&fileActions, 1, stdoutPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_addopen(&fileActions, 2, stderrPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        // Nothing else of the test process leaks into lab processes (glibc >= 2.34).
        if let addCloseFrom = Spawn.addCloseFrom { _ = addCloseFrom(&fileActions, 3) }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // The test process may block or ignore signals (SIGPIPE); the lab's servers
        // must start with the defaults a service manager would give them.
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in 1..<32 where signal != SIGKILL && signal != SIGSTOP {
            sigaddset(&defaults, Int32(signal))
        }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        let setSID: Int32 = 0x80 // POSIX_SPAWN_SETSID (glibc, not imported into Swift)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | setSID))

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.sorted { $0.key < $1.key }
            .map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &fileActions, &attributes, argv, envp)
        guard result == 0 else {
            throw .spawnFailed(executable, String(cString: strerror(result)))
        }
        return pid
    }

    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32

    /// `posix_spawn_file_actions_addclosefrom_np`, looked up at run time: glibc has it
    /// since 2.34, but its header hides it from Swift's Glibc module.
    private static let addCloseFrom: AddCloseFrom? = {
        guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: AddCloseFrom.self)
    }()

    /// How a child ended.
    enum Exit: Equatable, CustomStringConvertible {
        case exited(Int32)
        case signalled(Int32)
        /// Someone else reaped it (ECHILD); the status is lost.
        case unknown

        var code: Int32 {
            switch self {
            case let .exited(code): code
            case let .signalled(signal): 128 + signal
            case .unknown: -1
            }
        }

        var description: String {
            switch self {
            case let .exited(code): "exited with code \(code)"
            case let .signalled(signal): "killed by signal \(signal)"
            case .unknown: "exited (status unknown)"
            }
        }
    }

    /// Non-blocking reap of a child: `nil` while it still runs.
    static func reap(_ pid: pid_t) -> Exit? {
        var status: Int32 = 0
        while true {
            let result = waitpid(pid, &status, WNOHANG)
            if result == 0 { return nil }
            if result == pid {
                let low = status & 0x7F
                if low == 0 { return .exited((status >> 8) & 0xFF) }
                if low != 0x7F { return .signalled(low) }
                return nil // stopped, not ended
            }
            if errno == EINTR { continue }
            return .unknown
        }
    }

    /// Whether a pid is alive, for processes that are not our children (a daemonized
    /// nginx master). A zombie counts as gone.
    static func isAlive(_ pid: pid_t) -> Bool {
        guard kill(pid, 0) == 0 || errno == EPERM else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
        // Field 3 follows the last ')' (the comm field may contain spaces and parens).
        guard let close = stat.lastIndex(of: ")") else { return true }
        let state = stat[stat.index(after: close)...].drop { $0 == " " }.first
        return state != "Z" && state != "X"
    }

    /// The start time of a process (clock ticks since boot, `/proc/PID/stat` field 22):
    /// with the pid, it identifies one process even across pid reuse.
    static func startTime(of pid: pid_t) -> UInt64? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state), so field 22 is fields[19].
        return fields.count > 19 ? UInt64(fields[19]) : nil
    }

    /// Whether any live (non-zombie) process is in process group `pgid`.
    static func groupAlive(_ pgid: pid_t) -> Bool {
        guard kill(-pgid, 0) == 0 || errno == EPERM else { return false }
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return false }
        for entry in entries {
            guard let pid = pid_t(entry),
                  let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            // After the comm field: state ppid pgrp ...
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 2, fields[0] != "Z", fields[0] != "X", pid_t(fields[2]) == pgid else { continue }
            return true
        }
        return false
    }

    /// Signals a whole process group (the session `spawn` created), ignoring ESRCH.
    static func signalGroup(_ pgid: pid_t, _ signal: Int32) {
        _ = kill(-pgid, signal)
    }

    static func signal(_ pid: pid_t, _ signal: Int32) {
        _ = kill(pid, signal)
    }

    /// The network namespace of a process (`net:[4026532…]`), or `nil` when it is gone.
    static func networkNamespace(of pid: pid_t) -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/net")
    }

    /// Every live pid whose network namespace is `namespace`.
    static func pids(inNetworkNamespace namespace: String) -> [pid_t] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return entries.compactMap { entry -> pid_t? in
            guard let pid = pid_t(entry), networkNamespace(of: pid) == namespace, isAlive(pid) else { return nil }
            return pid
        }
    }

    /// Absolute path of a program on PATH (or the standard system directories).
    static func which(_ program: String, path: String? = ProcessInfo.processInfo.environment["PATH"]) -> String? {
        if program.contains("/") { return FileManager.default.isExecutableFile(atPath: program) ? program : nil }
        let directories = (path ?? "").split(separator: ":").map(String.init) + ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]
        for directory in directories where !directory.isEmpty {
            let candidate = "\(directory)/\(program)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}

/// Polling with an upper bound: the lab never sleeps without a deadline.
enum Poll {
    /// Calls `condition` every `interval` until it returns a value or `timeout` passes.
    static func until<T>(timeout: Duration, interval: Duration = .milliseconds(50),
                         _ condition: () async throws -> T?) async throws -> T? {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while true {
            if let value = try await condition() { return value }
            if clock.now >= deadline { return nil }
            try await Task.sleep(for: interval)
        }
    }

    /// The blocking variant, for teardown (which runs from `defer` and cannot await).
    static func untilBlocking(timeout: Duration, interval: Duration = .milliseconds(20), _ condition: () -> Bool) -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while true {
            if condition() { return true }
            if clock.now >= deadline { return false }
            let (seconds, attoseconds) = interval.components
            var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
            nanosleep(&request, nil)
        }
    }
}
