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
    var commandTimeout: Duration = .seconds(10)

    func gather(_ proxies: [ProxyInstance], routes: [Route], since start: Date) async
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
            // Without a global `log { output file … }` Caddy logs to stderr: under systemd (Debian's
            // caddy.service with the packaged Caddyfile) that is the unit's journal.
            if !reads.contains(where: { $0.isGlobal && $0.log.qualifier == "default" }),
               let journal = await journalWindow(proxy, since: start) {
                switch journal {
                case let .read(read):
                    reads.append(Read(log: read.log, isGlobal: true, entries: read.entries, firstLineNumber: nil,
                                      cutShort: read.cutShort, bytes: read.bytes))
                case let .failed(problem):
                    unavailable.append(problem)
                }
            } else if !proxy.errorLogs.contains(where: { $0.isFile && $0.qualifier == "default" }) {
                let output = proxy.errorLogs.first { $0.qualifier == "default" }?.path ?? "stderr"
                unavailable.append(Unavailable(
                    what: "caddy error log for \(proxy.configPath)",
                    reason: "Caddy's default logger writes to \(output) (no global `log { output file … }`) and this caddy "
                        + "runs under no systemd unit whose journal could be read: its reverse-proxy errors are wherever "
                        + "its manager keeps its stderr"))
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

    enum JournalOutcome {
        case read(JournalRead)
        case failed(Unavailable)
    }

    struct JournalRead {
        var log: LogFileDirective
        var entries: [CaddyLogWindow.Entry]
        var cutShort: Bool
        var bytes: Int
    }

    /// The window of the running caddy's systemd unit journal (`journalctl -u UNIT -o json`),
    /// whose `MESSAGE`s are Caddy's JSON lines; `nil` when it does not run under a systemd unit.
    func journalWindow(_ proxy: ProxyInstance, since start: Date) async -> JournalOutcome? {
        guard let pid = proxy.masterPID,
              let bytes = try? host.readFile("/proc/\(pid)/cgroup", maxBytes: 64 << 10),
              let unit = SystemdCgroup.serviceUnit(String(decoding: bytes, as: UTF8.self)) else { return nil }
        let lines = 5000
        let command = AllowedCommand.journal(unit: unit, sinceEpoch: Int(start.timeIntervalSince1970.rounded(.down)), lines: lines)
        let output = await host.run(command, timeout: commandTimeout, outputLimit: 16 << 20)
        let what = "caddy log (journal of \(unit))"
        if let failure = output.failure { return .failed(Unavailable(what: what, reason: failure)) }
        guard output.exitCode == 0 else {
            return .failed(Unavailable(what: what, reason: "journalctl exit status \(output.exitCode.map(String.init) ?? "?"): \(output.stderr.prefix(200))"))
        }
        let messages = JournalJSON.parse(output.stdout).compactMap(\.message)
        let log = LogFileDirective(path: "journalctl -u \(unit)", qualifier: "default")
        return .read(JournalRead(log: log, entries: CaddyLogWindow.entries(messages.map { Substring($0) }, windowStart: start),
                                    cutShort: output.truncated || messages.count >= lines, bytes: output.stdout.utf8.count))
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
