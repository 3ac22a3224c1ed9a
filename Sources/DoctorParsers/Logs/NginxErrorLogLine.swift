import Foundation

/// Any line of an nginx error log, parsed: what `NginxErrorLog.parseAny` returns for lines
/// that are not about an upstream too (`bind() to 0.0.0.0:80 failed (98: Address already in use)`,
/// `signal process started`).
public struct NginxErrorLine: Hashable, Sendable {
    /// nginx writes local time without a zone; this is the instant in the zone it was read with.
    public var time: Date?
    /// `emerg`, `alert`, `crit`, `error`, `warn`, `notice`, `info` or `debug`.
    public var level: String
    /// The process that logged it (`4242#4242:`), when written.
    public var pid: Int?
    /// The connection number (`*17`), when the line is about one.
    public var connection: Int?
    /// The number in `(98: Address already in use)`, when the message has one.
    public var errno: Int?
    /// The message after `pid#tid: *N ` up to `, client:`, redacted.
    public var message: String
    public var client: String?
    public var server: String?
    /// The request line, redacted.
    public var request: String?
    /// nginx's `upstream: "…"`, with its URI part redacted.
    public var upstream: String?
    public var host: String?
    /// The line as logged (at most `NginxErrorLog.maxLineBytes`), redacted.
    public var line: String

    public init(time: Date?, level: String, pid: Int? = nil, connection: Int? = nil, errno: Int? = nil, message: String,
                client: String? = nil, server: String? = nil, request: String? = nil, upstream: String? = nil,
                host: String? = nil, line: String) {
        self.time = time
        self.level = level
        self.pid = pid
        self.connection = connection
        self.errno = errno
        self.message = message
        self.client = client
        self.server = server
        self.request = request
        self.upstream = upstream
        self.host = host
        self.line = line
    }
}
