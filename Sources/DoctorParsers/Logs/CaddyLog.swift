import DoctorFacts
import Foundation

/// Caddy's reverse-proxy failures, read from its `http.log.error` lines and classified
/// into the same `UpstreamErrorKind`s as nginx's error log, so the same checks fire.
///
/// Caddy logs Go's error text as `msg`, observed with Caddy 2.6.2:
/// `dial tcp 127.0.0.1:8001: connect: connection refused` (502),
/// `dial unix /run/app.sock: connect: no such file or directory` (502),
/// `dial unix /run/app.sock: connect: permission denied` (502),
/// `EOF` (the app closed the connection before a response header; 502),
/// `net/http: timeout awaiting response headers` (`response_header_timeout`; 504),
/// `read tcp 127.0.0.1:53656->127.0.0.1:8005: read: connection reset by peer` (502).
/// Unlike nginx, the line names the upstream only when dialing failed; for an EOF or a
/// header timeout the gatherer finds the address from the route the request took.
public enum CaddyLog {
    /// The line as an upstream event, or `nil` when it is not a reverse-proxy failure
    /// (access lines, start-up notices, a file server's 404, a client that went away).
    public static func event(_ line: CaddyLogLine, raw: Substring, source: String) -> ProxyLogEvent? {
        guard line.isError else { return nil }
        let status = line.status ?? 0
        // An upstream failure is always answered 502, 503 or 504; a file server's or a
        // matcher's error is a 4xx with an unrelated message.
        guard status == 0 || (500...599).contains(status) else { return nil }
        let failure = classify(line.message)
        guard failure.kind != .other || status == 502 || status == 504 else { return nil }
        return ProxyLogEvent(
            time: line.time, level: line.level, kind: failure.kind, errno: failure.errno,
            message: Redactor.redact(line.message), upstream: failure.upstream, endpoint: failure.endpoint,
            server: nil, request: line.requestLine.map(Redactor.redact), host: line.host,
            line: Redactor.redact(summary(line)), source: source)
    }

    /// The line as evidence: its time, level, logger, message and request, without the
    /// request headers Caddy logs (long, and a client's cookies or tokens have no place in a
    /// report); `source` points at the whole line.
    static func summary(_ line: CaddyLogLine) -> String {
        var text = ""
        if let time = line.time {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            text += formatter.string(from: time) + " "
        }
        text += "[\(line.level)] \(line.logger.isEmpty ? "caddy" : line.logger): \(line.message)"
        var context: [String] = []
        if let status = line.status { context.append("status \(status)") }
        if let request = line.requestLine { context.append("request \"\(request)\"") }
        if let host = line.host { context.append("host \(host)") }
        if !context.isEmpty { text += " (" + context.joined(separator: ", ") + ")" }
        return text
    }

    /// What a Go error text means, with the errno nginx would have logged for it and the
    /// address dialed when the text names one.
    public struct Failure: Hashable, Sendable {
        public var kind: UpstreamErrorKind
        public var errno: Int?
        public var endpoint: Endpoint?
        /// The dialed address as Caddy writes it (`127.0.0.1:8001`, `unix//run/app.sock`).
        public var upstream: String?
    }

    public static func classify(_ message: String) -> Failure {
        let dialed = dialTarget(message)
        let lowered = message.lowercased()
        func failure(_ kind: UpstreamErrorKind, _ errno: Int? = nil) -> Failure {
            Failure(kind: kind, errno: errno, endpoint: dialed?.endpoint, upstream: dialed?.text)
        }
        if lowered.contains("no such host") || lowered.contains("server misbehaving") && lowered.contains("lookup ") {
            return failure(.unresolvable)
        }
        if lowered.contains("connection refused") { return failure(.refused, 111) }
        if lowered.contains("no such file or directory") { return failure(.noSuchFile, 2) }
        if lowered.contains("permission denied") { return failure(.permissionDenied, 13) }
        if lowered.contains("resource temporarily unavailable") { return failure(.backlogFull, 11) }
        if lowered.contains("timeout awaiting response headers") { return failure(.readTimeout, 110) }
        if dialed != nil, lowered.contains("i/o timeout") || lowered.contains("connection timed out") {
            return failure(.connectTimeout, 110)
        }
        if lowered.contains("connection reset by peer") { return failure(.reset, 104) }
        if lowered.contains("server response headers exceeded") { return failure(.headerTooBig) }
        if lowered.contains("malformed http") { return failure(.invalidResponse) }
        if lowered.contains("no upstreams available") { return failure(.noLiveUpstreams) }
        if lowered.hasPrefix("tls: ") || lowered.contains("x509: ") || lowered.contains(": tls: ") { return failure(.tls) }
        if message == "EOF" || message == "unexpected EOF" || lowered.contains("server closed idle connection")
            || lowered.contains("transport connection broken") {
            return failure(.prematureClose)
        }
        return failure(.other)
    }

    /// `dial tcp HOST:PORT: …` / `dial unix PATH: …`: the address Caddy tried.
    static func dialTarget(_ message: String) -> (endpoint: Endpoint?, text: String)? {
        // `read tcp 127.0.0.1:53656->127.0.0.1:8005: read: connection reset by peer`: the peer after `->`.
        for verb in ["read ", "write ", "readfrom "] where message.hasPrefix(verb) {
            guard let arrow = message.range(of: "->") else { continue }
            let rest = message[arrow.upperBound...]
            let text = String(rest[..<(rest.range(of: ": ")?.lowerBound ?? rest.endIndex)])
            if message.hasPrefix(verb + "unix ") { return text.hasPrefix("/") ? (.unix(path: text), "unix/" + text) : nil }
            return (address(text), text)
        }
        guard let range = message.range(of: "dial ") else { return nil }
        let rest = message[range.upperBound...]
        if rest.hasPrefix("unix ") {
            let afterNetwork = rest.dropFirst("unix ".count)
            let end = afterNetwork.range(of: ": ")?.lowerBound ?? afterNetwork.endIndex
            let path = String(afterNetwork[..<end])
            guard path.hasPrefix("/") else { return nil }
            return (.unix(path: path), "unix/" + path)
        }
        for network in ["tcp ", "tcp4 ", "tcp6 "] where rest.hasPrefix(network) {
            let afterNetwork = rest.dropFirst(network.count)
            let end = afterNetwork.range(of: ": ")?.lowerBound ?? afterNetwork.endIndex
            let text = String(afterNetwork[..<end])
            return (address(text), text)
        }
        return nil
    }

    /// `127.0.0.1:8000`, `[::1]:8000`, `app:8000`.
    static func address(_ text: String) -> Endpoint? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port) else {
            return nil
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { return nil }
        return .tcp(host: host, port: port)
    }
}
