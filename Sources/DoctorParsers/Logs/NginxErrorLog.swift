import DoctorFacts
import Foundation

/// Lines of nginx's error log: every level, and the upstream failures among them
/// classified the way a 502/504 diagnosis needs them.
///
/// Formats are those of nginx 1.22.1 as observed (see
/// shared/reference/proxy-failures.md). Work per line is bounded by `maxLineBytes`:
/// nginx itself never writes more than 2048 bytes per line, so a longer one is not
/// nginx's and only its start is looked at.
public enum NginxErrorLog {
    /// Bytes of one line that are parsed and kept; the rest of a longer line is ignored.
    public static let maxLineBytes = 4096

    /// The line as an upstream event, or `nil` when it is not about an upstream failure:
    /// start-up and signal notices, `bind() … failed`, static-file errors, and client-side
    /// events that carry upstream context (the client closed or timed out, a response
    /// buffered to a temporary file). Info and debug lines count only when they classify.
    public static func parse(_ line: Substring, source: String, localZone: TimeZone = .current) -> ProxyLogEvent? {
        guard let scanned = ScannedEvent(line, localZone: localZone) else { return nil }
        return scanned.event(source: source)
    }

    /// Any error-log line (level, time, message, context), or `nil` when it is not one.
    public static func parseAny(_ line: Substring, localZone: TimeZone = .current) -> NginxErrorLine? {
        guard let record = NginxErrorLogRecord(line, maxBytes: maxLineBytes) else { return nil }
        let requestURI = record.request.flatMap(Self.requestURI)
        return NginxErrorLine(
            time: LogTimestamp.parse(record.stamp, localZone: localZone), level: record.level, pid: record.pid,
            connection: record.connection, errno: record.errno, message: Redactor.redact(record.message),
            client: record.client, server: record.server, request: record.request.map(Redactor.redact),
            upstream: record.upstream.map { NginxErrorLogUpstream($0, requestURI: requestURI).redacted },
            host: record.host, line: Redactor.redact(String(decoding: record.bytes, as: UTF8.self)))
    }

    /// What kind of upstream failure a message reports.
    ///
    /// By errno number first, because the words after it differ between builds
    /// (`111: Unknown error`), then by the message. Resolver failures come before the
    /// errno: their number is the resolver's code (`(2: Server failure)`,
    /// `(3: Host not found)`), not an errno.
    public static func classify(message: String, errno: Int?) -> UpstreamErrorKind {
        if isResolverFailure(message) { return .unresolvable }
        switch errno {
        case 111: return .refused
        case 2: return .noSuchFile
        case 13: return .permissionDenied
        case 11: return .backlogFull
        case 104: return .reset
        case 110: return timeoutKind(message)
        default: break
        }
        if message.contains("upstream timed out") { return timeoutKind(message) }
        if message.contains("upstream prematurely closed connection") {
            return message.contains("while reading upstream") ? .truncatedBody : .prematureClose
        }
        if message.contains("upstream sent too big header") { return .headerTooBig }
        if message.contains("upstream sent") { return .invalidResponse } // invalid header, no valid HTTP/1.0 header, …
        if message.contains("no live upstreams") { return .noLiveUpstreams }
        if message.contains("upstream server temporarily disabled") { return .serverDisabled }
        if message.contains("SSL_do_handshake() failed") || message.contains("upstream SSL certificate") { return .tls }
        return .other
    }

    /// The request target of a request line (`GET /health/ HTTP/1.1` → `/health/`).
    static func requestURI(_ request: String) -> String? {
        let words = request.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
        return words.count >= 2 ? String(words[1]) : nil
    }

    private static func timeoutKind(_ message: String) -> UpstreamErrorKind {
        message.contains("while connecting to upstream") || message.contains("while SSL handshaking to upstream")
            ? .connectTimeout : .readTimeout
    }

    static func isResolverFailure(_ message: String) -> Bool {
        message.contains("no resolver defined to resolve") || message.contains(" could not be resolved")
    }

    /// The name a resolver failure is about (`no resolver defined to resolve app.internal`,
    /// `app.internal could not be resolved (3: Host not found)`).
    static func unresolvedName(_ message: String) -> String? {
        if let range = message.range(of: "no resolver defined to resolve ") {
            return message[range.upperBound...].split(separator: " ").first.map(String.init)
        }
        if let range = message.range(of: " could not be resolved") {
            return message[..<range.lowerBound].split(separator: " ").last.map(String.init)
        }
        return nil
    }

    /// Messages that carry upstream context but are about the client or are routine.
    private static let notUpstreamFailures = [
        "client prematurely closed", "client closed", "client timed out", "while sending to client",
        "an upstream response is buffered to a temporary file", "client intended to send", "client sent",
        "while reading client request",
    ]

    /// One line read far enough to count it: kind and target, no redaction yet.
    struct ScannedEvent {
        var record: NginxErrorLogRecord
        var time: Date?
        var kind: UpstreamErrorKind
        var upstream: NginxErrorLogUpstream?

        init?(_ line: Substring, localZone: TimeZone) {
            guard let record = NginxErrorLogRecord(line, maxBytes: NginxErrorLog.maxLineBytes) else { return nil }
            let message = record.message
            let resolver = NginxErrorLog.isResolverFailure(message) && record.request != nil
            guard record.upstream != nil || message.contains("upstream") || resolver else { return nil }
            // Every such message names the client or a buffered response; most lines name neither.
            if message.contains("client") || message.contains("buffered") {
                guard !NginxErrorLog.notUpstreamFailures.contains(where: { message.contains($0) }) else { return nil }
            }
            let kind = NginxErrorLog.classify(message: message, errno: record.errno)
            if kind == .other, record.level == "info" || record.level == "debug" { return nil }
            self.record = record
            self.kind = kind
            time = LogTimestamp.parse(record.stamp, localZone: localZone)
            upstream = record.upstream.map { NginxErrorLogUpstream($0, requestURI: record.request.flatMap(NginxErrorLog.requestURI)) }
        }

        /// `refused unix:/run/app.sock`, `no-live-upstreams http://backend`, `unresolvable app.internal`.
        var countKey: String {
            let target = upstream?.endpoint?.description ?? upstream?.target
                ?? (kind == .unresolvable ? NginxErrorLog.unresolvedName(record.message) : nil)
            guard let target, !target.isEmpty else { return kind.rawValue }
            return "\(kind.rawValue) \(target)"
        }

        func event(source: String) -> ProxyLogEvent {
            ProxyLogEvent(
                time: time, level: record.level, kind: kind,
                // A resolver's code is not an errno.
                errno: kind == .unresolvable ? nil : record.errno,
                message: Redactor.redact(record.message), upstream: upstream?.redacted, endpoint: upstream?.endpoint,
                server: record.server, request: record.request.map(Redactor.redact), host: record.host,
                line: Redactor.redact(String(decoding: record.bytes, as: UTF8.self)), source: source)
        }
    }
}
