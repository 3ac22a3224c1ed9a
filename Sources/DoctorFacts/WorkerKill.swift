import Foundation

/// An app-server process that was killed, and what killed it: the kernel's OOM killer,
/// the app server's own timeout (Gunicorn `WORKER TIMEOUT (pid:N)` before `was sent SIGKILL`,
/// uWSGI `HARAKIRI`), or a signal nobody explains.
public struct WorkerKill: Hashable, Codable, Sendable {
    /// Who killed it.
    public enum Reason: String, Hashable, Codable, Sendable {
        /// Kernel `Out of memory: Killed process N`, systemd `Result=oom-kill`.
        case outOfMemory = "out-of-memory"
        /// The app server's worker timeout (Gunicorn `--timeout`, uWSGI harakiri).
        case workerTimeout = "worker-timeout"
        /// Killed by a signal no line explains (`kill -9`, a watchdog).
        case signal
    }

    public var reason: Reason
    public var pid: Int?
    /// The line that shows it, redacted.
    public var line: String
    /// `path:line`, `journal`, `dmesg`.
    public var source: String
    public var time: Date?

    public init(reason: Reason, pid: Int?, line: String, source: String, time: Date?) {
        self.reason = reason
        self.pid = pid
        self.line = Redactor.redact(line)
        self.source = source
        self.time = time
    }
}
