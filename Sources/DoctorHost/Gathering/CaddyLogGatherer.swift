import DoctorFacts
import DoctorParsers
import Foundation

/// Reads every log file a Caddy writes (global `log` outputs and the sites' `log`
/// outputs) over the `--since` window, and summarises them into the same error-log and
/// access-log windows nginx's logs give, so the same checks read both proxies.
///
/// Caddy stamps its JSON lines with `"ts": <unix seconds>`, which the shared
/// `LogWindowReader` does not know; the window is found the same way (tail from the
/// end, growing ×4 until a line older than the window, capped).
struct CaddyLogGatherer: Sendable {
    let host: any Host
    var maxBytes = 16 << 20
    var initialBytes = 64 << 10

    func gather(_ proxies: [ProxyInstance], routes: [Route], since start: Date)
        -> (errors: [ErrorLogWindow], access: [AccessLogWindow], unavailable: [Unavailable]) {
        var errors: [ErrorLogWindow] = []
        var access: [AccessLogWindow] = []
        var unavailable: [Unavailable] = []
        var seen = Set<String>()
        for proxy in proxies where proxy.kind == .caddy {
            let keys = routes.filter { $0.proxy == .caddy }.map(Self.routeKey)
            struct Read {
                var log: LogFileDirective
                var isGlobal: Bool
                var entries: [CaddyLogWindow.Entry]
                var firstLineNumber: Int?
                var cutShort: Bool
                var bytes: Int
            }
            var reads: [Read] = []
            let files = proxy.errorLogs.map { ($0, true) } + proxy.accessLogs.map { ($0, false) }
            for (log, isGlobal) in files where log.isFile && seen.insert(log.path).inserted {
                do {
                    let window = try read(log.path, since: start)
                    reads.append(Read(log: log, isGlobal: isGlobal, entries: CaddyLogWindow.entries(window.lines, windowStart: start),
                                      firstLineNumber: window.firstLineNumber, cutShort: window.cutShort, bytes: window.bytes))
                } catch {
                    unavailable.append(Unavailable(what: "caddy log \(log.path)", reason: error.description))
                }
            }
            // The error logger writes to the default log; only when that one is read can a 5xx
            // without an error line be called the app's.
            let errorLoggerRead = reads.contains { $0.isGlobal && $0.log.qualifier == "default" }
            let failures = errorLoggerRead ? CaddyLogWindow.proxyFailures(reads.flatMap(\.entries)) : nil
            for read in reads {
                let hasErrorLines = read.entries.contains { $0.line.isError }
                if read.isGlobal || hasErrorLines {
                    errors.append(CaddyLogWindow.errors(read.entries, path: read.log.path, windowStart: start,
                                                        firstLineNumber: read.firstLineNumber, cutShort: read.cutShort, routes: keys))
                }
                if let window = CaddyLogWindow.access(read.entries, path: read.log.path, source: read.log.source, windowStart: start,
                                                      firstLineNumber: read.firstLineNumber, cutShort: read.cutShort,
                                                      bytesRead: read.bytes, routes: keys, proxyFailures: failures) {
                    access.append(window)
                }
            }
        }
        return (errors, access, unavailable)
    }

    static func routeKey(_ route: Route) -> CaddyLogWindow.RouteKey {
        var prefix = route.location
        if prefix.hasPrefix("= ") { prefix = String(prefix.dropFirst(2)) }
        if !prefix.hasPrefix("/") { prefix = "/" }
        let endpoints = route.target.endpoints
        return CaddyLogWindow.RouteKey(label: route.label, location: route.location, hosts: route.serverNames,
                                       pathPrefix: prefix, endpoint: endpoints.count == 1 ? endpoints[0] : nil)
    }

    struct Window {
        var lines: [Substring]
        var firstLineNumber: Int?
        var cutShort: Bool
        var bytes: Int
    }

    /// The window's lines, oldest first (see the type's comment).
    func read(_ path: String, since start: Date) throws(HostError) -> Window {
        if let status = try? host.status(path, followLinks: true), status.kind != .regular {
            throw .io(path, errno: 22, message: "not a regular file (\(status.kind.rawValue))")
        }
        var size = initialBytes
        while true {
            let tail = try host.readTail(path, maxBytes: size)
            let text = String(decoding: tail.bytes, as: UTF8.self)
            var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            if lines.last?.isEmpty == true { lines.removeLast() }
            if tail.offset > 0, !lines.isEmpty { lines.removeFirst() }
            let first = lines.lazy.compactMap { CaddyLogLine.time(in: $0) }.first
            let reached = first.map { $0 < start } ?? false
            if tail.offset == 0 || reached || size >= maxBytes {
                let skipped = lines.prefix { line in CaddyLogLine.time(in: line).map { $0 < start } ?? true }.count
                return Window(lines: Array(lines.dropFirst(skipped)), firstLineNumber: tail.offset == 0 ? skipped + 1 : nil,
                              cutShort: tail.offset > 0 && !reached, bytes: tail.bytes.count)
            }
            size = min(size * 4, maxBytes)
        }
    }
}
