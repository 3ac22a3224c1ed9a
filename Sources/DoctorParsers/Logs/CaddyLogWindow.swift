import DoctorFacts
import Foundation

/// Summarises the part of a Caddy log file inside the `--since` window into the same
/// two windows nginx's logs give: an `ErrorLogWindow` of its reverse-proxy failures and,
/// when the file holds access lines, an `AccessLogWindow` of its statuses.
///
/// Caddy logs no upstream status. What tells a 5xx Caddy made from one the app returned is
/// the `http.log.error` line Caddy writes for every request its proxy failed, just before
/// that request's access line: `errorRequests` (from every file of the proxy, since the two
/// loggers may write to different files) counts them by request; a 5xx access line with a
/// matching error line is Caddy's, one without is the app's. When no file of the proxy
/// receives the error logger, pass `nil`: the origin is then unknown, as for an nginx
/// format without `$upstream_status`.
public enum CaddyLogWindow {
    /// A parsed line of the window and its place in the file.
    public struct Entry: Sendable {
        public var line: CaddyLogLine
        public var raw: Substring
        /// Index of the line in the window (0 = the window's first line).
        public var offset: Int

        public init(line: CaddyLogLine, raw: Substring, offset: Int) {
            self.line = line
            self.raw = raw
            self.offset = offset
        }
    }

    /// A route an access line can be counted for: its label, the hosts its site answers
    /// and the path prefix of its matcher (`/` for the whole site).
    public struct RouteKey: Sendable {
        public var label: String
        public var location: String
        public var hosts: [String]
        public var pathPrefix: String
        /// The route's one upstream address; `nil` when it has several (or a placeholder).
        /// A failure Caddy logs without an address (`EOF`, a header timeout) is about this one.
        public var endpoint: Endpoint?

        public init(label: String, location: String, hosts: [String], pathPrefix: String, endpoint: Endpoint? = nil) {
            self.label = label
            self.location = location
            self.hosts = hosts
            self.pathPrefix = pathPrefix
            self.endpoint = endpoint
        }
    }

    /// The JSON lines of `lines` that are Caddy's, with their offsets; at or after `windowStart`
    /// when they carry a time.
    public static func entries(_ lines: [Substring], windowStart: Date) -> [Entry] {
        var entries: [Entry] = []
        for (offset, raw) in lines.enumerated() {
            guard let line = CaddyLogLine(raw) else { continue }
            if let time = line.time, time < windowStart { continue }
            entries.append(Entry(line: line, raw: raw, offset: offset))
        }
        return entries
    }

    /// Key of a request across its error and access lines.
    public static func requestKey(_ line: CaddyLogLine) -> String {
        "\(line.status ?? 0) \(line.method ?? "") \(line.host ?? "") \(line.uri ?? "")"
    }

    /// Requests the error logger reports as failed by the proxy, counted by `requestKey`.
    public static func proxyFailures(_ entries: [Entry]) -> [String: Int] {
        var keys: [String: Int] = [:]
        for entry in entries where entry.line.isError && (entry.line.status ?? 0) >= 500 {
            keys[requestKey(entry.line), default: 0] += 1
        }
        return keys
    }

    /// The reverse-proxy failures of the window, the last `keepLast` kept, counted per
    /// `"<kind> <address>"` like nginx's.
    /// An event without an address takes it from the route its request matched, when that
    /// route has one upstream (`routes`).
    public static func errors(_ entries: [Entry], path: String, windowStart: Date, firstLineNumber: Int?, cutShort: Bool,
                              routes: [RouteKey] = [], keepLast: Int = 20) -> ErrorLogWindow {
        var counts: [String: Int] = [:]
        var events: [ProxyLogEvent] = []
        for entry in entries {
            let source = firstLineNumber.map { "\(path):\($0 + entry.offset)" } ?? path
            guard var event = CaddyLog.event(entry.line, raw: entry.raw, source: source) else { continue }
            if event.endpoint == nil, event.kind != .unresolvable, let endpoint = route(for: entry.line, among: routes)?.endpoint {
                event.endpoint = endpoint
                event.upstream = endpoint.description
            }
            let target = event.endpoint?.description ?? event.upstream
            counts[target.map { "\(event.kind.rawValue) \($0)" } ?? event.kind.rawValue, default: 0] += 1
            events.append(event)
        }
        return ErrorLogWindow(path: path, windowStart: windowStart, events: Array(events.suffix(max(0, keepLast))),
                              counts: counts, cutShort: cutShort)
    }

    /// The access lines of the window as an `AccessLogWindow`; `nil` when the file has none.
    public static func access(_ entries: [Entry], path: String, source: SourceLocation?, windowStart: Date,
                              firstLineNumber: Int?, cutShort: Bool, bytesRead: Int, routes: [RouteKey],
                              proxyFailures: [String: Int]?, keepSamples: Int = 10) -> AccessLogWindow? {
        let access = entries.filter { $0.line.isAccess && $0.line.status != nil }
        guard !access.isEmpty else { return nil }
        var window = AccessLogWindow(path: path, format: "caddy-json", source: source, windowStart: windowStart,
                                     bytesRead: bytesRead, logsUpstreamStatus: proxyFailures != nil,
                                     logsUpstreamAddress: false, logsRequestTime: true)
        window.cutShort = cutShort
        var pending = proxyFailures ?? [:]
        var perRoute: [String: AccessLogCounts] = [:]
        var minutes: [Date: AccessLogMinute] = [:]
        var samples: [AccessLogSample] = []
        for entry in access {
            let line = entry.line
            guard let status = line.status else { continue }
            window.lines += 1
            if let time = line.time {
                window.firstTime = min(window.firstTime ?? time, time)
                window.lastTime = max(window.lastTime ?? time, time)
            }
            var origin: Bool? = nil // true: the proxy made it
            if status >= 500, proxyFailures != nil {
                let key = requestKey(line)
                if let left = pending[key], left > 0 {
                    pending[key] = left - 1
                    origin = true
                } else {
                    origin = false
                }
            }
            func add(_ counts: inout AccessLogCounts) {
                counts.statuses[status, default: 0] += 1
                if origin == true { counts.fromProxy[status, default: 0] += 1 }
                if origin == false { counts.fromApp[status, default: 0] += 1 }
            }
            add(&window.total)
            if let route = route(for: line, among: routes) { add(&perRoute[route.label, default: AccessLogCounts()]) }
            if let time = line.time {
                let start = Date(timeIntervalSince1970: (time.timeIntervalSince1970 / 60).rounded(.down) * 60)
                var minute = minutes[start] ?? AccessLogMinute(start: start, requests: 0, serverErrors: 0, gatewayErrors: 0)
                minute.requests += 1
                if status >= 500 { minute.serverErrors += 1 }
                if status == 502 || status == 504 { minute.gatewayErrors += 1 }
                if let duration = line.duration { minute.maxRequestTime = max(minute.maxRequestTime ?? 0, duration) }
                minutes[start] = minute
            }
            if status >= 500 {
                if let time = line.time {
                    window.firstFailure = min(window.firstFailure ?? time, time)
                    window.lastFailure = max(window.lastFailure ?? time, time)
                }
                let uri = line.uri ?? "/"
                let pathOnly = String(uri.prefix { $0 != "?" })
                samples.append(AccessLogSample(time: line.time, method: line.method ?? "-", path: pathOnly, status: status,
                                               upstreamStatus: origin.map { $0 ? "-" : String(status) },
                                               requestTime: line.duration,
                                               source: firstLineNumber.map { "\(path):\($0 + entry.offset)" } ?? path))
            }
        }
        window.routes = routes.compactMap { route in
            perRoute[route.label].map { AccessLogRouteCounts(route: route.label, location: route.location, counts: $0) }
        }
        window.minutes = minutes.values.sorted { $0.start < $1.start }
        window.failureSamples = Array(samples.suffix(keepSamples))
        return window
    }

    /// The route whose site answers the request's host (any when none names it) with the longest matching path prefix.
    static func route(for line: CaddyLogLine, among routes: [RouteKey]) -> RouteKey? {
        guard !routes.isEmpty else { return nil }
        let host = (line.host ?? "").lowercased()
        let bare = host.hasPrefix("[") ? host : String(host.prefix { $0 != ":" })
        let named = routes.filter { $0.hosts.contains { $0.lowercased() == host || $0.lowercased() == bare } }
        let candidates = named.isEmpty ? routes : named
        let path = String((line.uri ?? "/").prefix { $0 != "?" })
        return candidates.filter { path.hasPrefix($0.pathPrefix) }.max { $0.pathPrefix.count < $1.pathPrefix.count }
    }
}
