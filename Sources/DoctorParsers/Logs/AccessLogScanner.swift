import DoctorFacts
import Foundation

/// Counts an access log's lines inside a time window, fed buffer by buffer (the
/// gatherer reads the file in chunks from where the window starts). The hot loop
/// works on bytes: no regex, no `String` per line; strings are made only for a new
/// upstream address, a new regex-matched path, or a 5xx kept as a sample.
public struct AccessLogScanner {
    public let format: AccessLogFormat
    public let path: String
    public let windowStart: Int
    private let routeLabels: [String]
    private let routeLocations: [String]
    private var matcher: AccessLogRouteMatcher
    private var fields = AccessLogFormat.Match()
    private let hasRequest: Bool

    public private(set) var lines = 0
    public private(set) var unmatched = 0
    /// Lines before the window (read because the seek-back lands before its start).
    public private(set) var skipped = 0
    private var lineNumber: Int?
    private var firstTime: Int?
    private var lastTime: Int?
    private var firstFailure: Int?
    private var lastFailure: Int?
    /// (routes + 1 unmatched) × 600 statuses, and × 100 for the 5xx origins.
    private var statuses: [Int]
    private var fromApp: [Int]
    private var fromProxy: [Int]
    private var upstreamIndex: [UInt64: Int] = [:]
    private var upstreamNames: [String] = []
    /// 600 status counters per upstream address (status 0: none logged).
    private var upstreamCounts: [Int] = []
    /// The two addresses seen last (hash, slot): most lines repeat one of them.
    private var lastUpstream: (UInt64, Int, UInt64, Int) = (0, -1, 0, -1)
    private var minutes: [Int: AccessLogMinute] = [:]
    private var samples: [AccessLogSample] = []
    private static let sampleLimit = 5

    /// `locations` and `labels` of the routes that log here, in route order.
    public init(format: AccessLogFormat, path: String, windowStart: Int, routeLabels: [String], routeLocations: [String],
                firstLineNumber: Int? = nil) {
        self.format = format
        self.path = path
        self.windowStart = windowStart
        self.routeLabels = routeLabels
        self.routeLocations = routeLocations
        matcher = AccessLogRouteMatcher(locations: routeLocations)
        hasRequest = format.logs(.request) || format.logs(.requestURI)
        lineNumber = firstLineNumber
        statuses = [Int](repeating: 0, count: (routeLocations.count + 1) * 600)
        fromApp = [Int](repeating: 0, count: (routeLocations.count + 1) * 100)
        fromProxy = fromApp
    }

    /// Counts the complete lines of `buffer`; returns the bytes used (up to and including
    /// the last newline). With `final`, a last line without a newline counts too.
    public mutating func consume(_ buffer: UnsafeBufferPointer<UInt8>, final: Bool = false) -> Int {
        var start = 0
        let count = buffer.count
        guard let base = buffer.baseAddress else { return 0 }
        while start < count {
            let found = memchr(base + start, 0x0A, count - start)
            let end: Int
            if let found {
                end = UnsafePointer<UInt8>(found.assumingMemoryBound(to: UInt8.self)) - base
            } else {
                guard final else { break }
                end = count
            }
            if end > start { line(buffer, start..<end) }
            if lineNumber != nil { lineNumber! += 1 }
            start = end + 1
        }
        return min(start, count)
    }

    /// The time of the first complete line at or after `offset` 0 of `buffer` whose time can be read.
    public static func firstTime(in buffer: UnsafeBufferPointer<UInt8>, format: AccessLogFormat, skipPartial: Bool) -> Int? {
        var match = AccessLogFormat.Match()
        var start = 0
        if skipPartial {
            guard let newline = buffer.firstIndex(of: 0x0A) else { return nil }
            start = newline + 1
        }
        while start < buffer.count {
            let end = buffer[start...].firstIndex(of: 0x0A) ?? buffer.count
            if format.match(buffer, start..<end, into: &match), let time = Self.time(buffer, match) { return time }
            start = end + 1
        }
        return nil
    }

    private static func time(_ buffer: UnsafeBufferPointer<UInt8>, _ match: AccessLogFormat.Match) -> Int? {
        if let range = match.range(.timeLocal) { return AccessLogFields.timeLocal(buffer, range) }
        if let range = match.range(.timeISO8601) { return AccessLogFields.timeISO8601(buffer, range) }
        if let range = match.range(.msec) { return AccessLogFields.msec(buffer, range) }
        return nil
    }

    /// The last `$time_local` read: its bytes without the seconds, and its value at second 0.
    /// Lines of one minute share all but the seconds, so most lines parse two digits.
    private var stampPrefix = [UInt8](repeating: 0, count: 26)
    private var stampBase: Int? = nil

    private mutating func cachedTime(_ buffer: UnsafeBufferPointer<UInt8>) -> Int? {
        guard let range = fields.range(.timeLocal), range.count == 26 else { return Self.time(buffer, fields) }
        let i = range.lowerBound
        if let base = stampBase {
            let same = stampPrefix.withUnsafeBufferPointer { prefix in
                memcmp(buffer.baseAddress! + i, prefix.baseAddress!, 18) == 0
                    && memcmp(buffer.baseAddress! + i + 20, prefix.baseAddress! + 20, 6) == 0
            }
            let tens = buffer[i + 18] &- 48, ones = buffer[i + 19] &- 48
            if same, tens < 10, ones < 10 { return base + Int(tens) * 10 + Int(ones) }
        }
        guard let value = AccessLogFields.timeLocal(buffer, range) else { return nil }
        let seconds = Int(buffer[i + 18] &- 48) * 10 + Int(buffer[i + 19] &- 48)
        stampPrefix.withUnsafeMutableBufferPointer { prefix in
            for offset in 0..<26 { prefix[offset] = buffer[i + offset] }
        }
        stampBase = value - seconds
        return value
    }

    private mutating func line(_ buffer: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) {
        guard format.match(buffer, range, into: &fields) else {
            lines += 1
            unmatched += 1
            return
        }
        let time = cachedTime(buffer)
        if let time, time < windowStart {
            skipped += 1
            return
        }
        lines += 1
        guard let statusRange = fields.range(.status), let status = AccessLogFields.integer(buffer, statusRange),
              status >= 100, status < 600 else {
            unmatched += 1
            return
        }
        if let time {
            if firstTime == nil { firstTime = time }
            lastTime = time
        }
        // The request path: `$request` is `METHOD /path?query HTTP/1.1`, `$request_uri` the path alone.
        var route = routeLocations.count
        var pathRange: Range<Int>? = nil
        if hasRequest {
            pathRange = Self.path(buffer, fields)
            if let pathRange, let index = matcher.match(buffer, pathRange) { route = index }
        }
        statuses[route * 600 + status] += 1

        let failed = status >= 500
        var requestTime: Double? = nil
        if let range = fields.range(.requestTime) { requestTime = AccessLogFields.seconds(buffer, range) }
        if let time { minute(time, failed: failed, gateway: status == 502 || status == 504, requestTime: requestTime) }
        if let addresses = fields.range(.upstreamAddr) { countUpstreams(buffer, addresses, fields.range(.upstreamStatus)) }
        guard failed else { return }
        if let time {
            if firstFailure == nil { firstFailure = time }
            lastFailure = time
        }
        if let origin = origin(buffer, status: status) {
            if origin { fromApp[route * 100 + status - 500] += 1 } else { fromProxy[route * 100 + status - 500] += 1 }
        }
        sample(buffer, status: status, time: time, path: pathRange, requestTime: requestTime)
    }

    /// `true`: the app answered this 5xx; `false`: nginx made it; `nil`: the log cannot tell.
    /// nginx logs its own 502/504 with `$upstream_status` 502/504 too when it tried a server,
    /// so an equal status is the app's only when the upstream's header arrived
    /// (`$upstream_header_time` a number, or upstream bytes received); without those
    /// variables an equal status is undecided and left to the error log.
    private func origin(_ buffer: UnsafeBufferPointer<UInt8>, status: Int) -> Bool? {
        guard let range = fields.range(.upstreamStatus) else { return nil }
        guard let last = Self.lastEntry(buffer, range), let upstream = AccessLogFields.integer(buffer, last) else {
            return false
        }
        guard upstream == status else { return false }
        if let header = fields.range(.upstreamHeaderTime), let lastHeader = Self.lastEntry(buffer, header) {
            return AccessLogFields.seconds(buffer, lastHeader) != nil
        }
        for field in [AccessLogFormat.Field.upstreamBytesReceived, .upstreamResponseLength] {
            if let bytes = fields.range(field), let lastBytes = Self.lastEntry(buffer, bytes) {
                return (AccessLogFields.integer(buffer, lastBytes) ?? 0) > 0
            }
        }
        return nil
    }

    /// The last entry of a list field (`502, 504 : 200` → `200`).
    private static func lastEntry(_ buffer: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Range<Int>? {
        var start = range.upperBound
        while start > range.lowerBound {
            let byte = buffer[start - 1]
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: ",") || byte == UInt8(ascii: ":") { break }
            start -= 1
        }
        return start < range.upperBound ? start..<range.upperBound : nil
    }

    private static func path(_ buffer: UnsafeBufferPointer<UInt8>, _ fields: AccessLogFormat.Match) -> Range<Int>? {
        var start: Int
        let end: Int
        if let request = fields.range(.request) {
            start = request.lowerBound
            while start < request.upperBound, buffer[start] != UInt8(ascii: " ") { start += 1 }
            start += 1
            end = request.upperBound
        } else if let uri = fields.range(.requestURI) {
            start = uri.lowerBound
            end = uri.upperBound
        } else {
            return nil
        }
        guard start < end else { return nil }
        var stop = start
        while stop < end, buffer[stop] != UInt8(ascii: "?"), buffer[stop] != UInt8(ascii: " ") { stop += 1 }
        return start..<stop
    }

    /// The minute being counted, flushed into `minutes` when a line falls in another one
    /// (lines come in time order, so the dictionary is touched once a minute, not once a line).
    private var current = (start: Int.min, requests: 0, serverErrors: 0, gatewayErrors: 0, maxRequestTime: -1.0)

    private mutating func minute(_ time: Int, failed: Bool, gateway: Bool, requestTime: Double?) {
        let start = time - ((time % 60) + 60) % 60
        if start != current.start {
            flushMinute()
            current = (start, 0, 0, 0, -1)
        }
        current.requests += 1
        if failed { current.serverErrors += 1 }
        if gateway { current.gatewayErrors += 1 }
        if let requestTime, requestTime > current.maxRequestTime { current.maxRequestTime = requestTime }
    }

    private mutating func flushMinute() {
        guard current.start != Int.min, current.requests > 0 else { return }
        var entry = minutes[current.start] ?? AccessLogMinute(start: Date(timeIntervalSince1970: Double(current.start)),
                                                              requests: 0, serverErrors: 0, gatewayErrors: 0)
        entry.requests += current.requests
        entry.serverErrors += current.serverErrors
        entry.gatewayErrors += current.gatewayErrors
        if current.maxRequestTime >= 0 { entry.maxRequestTime = max(entry.maxRequestTime ?? 0, current.maxRequestTime) }
        minutes[current.start] = entry
        current.requests = 0
    }

    /// `$upstream_addr` and `$upstream_status` are lists aligned entry by entry (`, ` between
    /// servers tried, ` : ` between internal redirects).
    private mutating func countUpstreams(_ buffer: UnsafeBufferPointer<UInt8>, _ addresses: Range<Int>, _ statusRange: Range<Int>?) {
        var addressCursor = addresses.lowerBound
        var statusCursor = statusRange?.lowerBound ?? 0
        while let address = Self.nextEntry(buffer, &addressCursor, addresses.upperBound) {
            var status = 0
            if let statusRange, let entry = Self.nextEntry(buffer, &statusCursor, statusRange.upperBound) {
                status = AccessLogFields.integer(buffer, entry) ?? 0
            }
            guard !(address.count == 1 && buffer[address.lowerBound] == UInt8(ascii: "-")) else { continue }
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for index in address { hash = (hash ^ UInt64(buffer[index])) &* 0x100_0000_01b3 }
            let slot: Int
            if hash == lastUpstream.0 && lastUpstream.1 >= 0 {
                slot = lastUpstream.1
            } else if hash == lastUpstream.2 && lastUpstream.3 >= 0 {
                slot = lastUpstream.3
            } else if let known = upstreamIndex[hash] {
                slot = known
            } else {
                guard upstreamNames.count < 1024 else { continue }
                slot = upstreamNames.count
                upstreamIndex[hash] = slot
                upstreamNames.append(String(decoding: UnsafeBufferPointer(rebasing: buffer[address]), as: UTF8.self))
                upstreamCounts += [Int](repeating: 0, count: 600)
            }
            lastUpstream = (hash, slot, lastUpstream.0, lastUpstream.1)
            if status >= 0 && status < 600 {
                upstreamCounts[slot * 600 + status] += 1
            }
        }
    }

    /// The next entry of a list separated by `, ` or ` : `, advancing `cursor`.
    private static func nextEntry(_ buffer: UnsafeBufferPointer<UInt8>, _ cursor: inout Int, _ end: Int) -> Range<Int>? {
        while cursor < end, buffer[cursor] == UInt8(ascii: " ") || buffer[cursor] == UInt8(ascii: ",")
            || buffer[cursor] == UInt8(ascii: ":") {
            cursor += 1
        }
        guard cursor < end else { return nil }
        let start = cursor
        while cursor < end, buffer[cursor] != UInt8(ascii: ","), buffer[cursor] != UInt8(ascii: " ") { cursor += 1 }
        return start..<cursor
    }

    private mutating func sample(_ buffer: UnsafeBufferPointer<UInt8>, status: Int, time: Int?, path: Range<Int>?,
                                 requestTime: Double?) {
        func text(_ range: Range<Int>?) -> String? {
            range.map { String(decoding: UnsafeBufferPointer(rebasing: buffer[$0]), as: UTF8.self) }
        }
        var method = ""
        if let request = fields.range(.request) {
            var end = request.lowerBound
            while end < request.upperBound, buffer[end] != UInt8(ascii: " ") { end += 1 }
            method = text(request.lowerBound..<end) ?? ""
        } else if let range = fields.range(.requestMethod) {
            method = text(range) ?? ""
        }
        let source = lineNumber.map { "\(path_):\($0)" } ?? path_
        let entry = AccessLogSample(time: time.map { Date(timeIntervalSince1970: Double($0)) }, method: method,
                                    path: text(path) ?? "", status: status, upstreamStatus: text(fields.range(.upstreamStatus)),
                                    upstreamAddress: text(fields.range(.upstreamAddr)), requestTime: requestTime, source: source)
        if samples.count == Self.sampleLimit { samples.removeFirst() }
        samples.append(entry)
    }

    private var path_: String { path }

    private func counts(_ route: Int) -> AccessLogCounts {
        var result = AccessLogCounts()
        for status in 100..<600 where statuses[route * 600 + status] > 0 { result.statuses[status] = statuses[route * 600 + status] }
        for offset in 0..<100 {
            if fromApp[route * 100 + offset] > 0 { result.fromApp[500 + offset] = fromApp[route * 100 + offset] }
            if fromProxy[route * 100 + offset] > 0 { result.fromProxy[500 + offset] = fromProxy[route * 100 + offset] }
        }
        return result
    }

    /// The window's summary.
    public func summary(format name: String, source: SourceLocation?, bytesRead: Int) -> AccessLogWindow {
        var flushed = self
        flushed.flushMinute()
        let minutes = flushed.minutes
        var total = AccessLogCounts()
        for route in 0...routeLocations.count {
            let part = counts(route)
            total.statuses.merge(part.statuses, uniquingKeysWith: +)
            total.fromApp.merge(part.fromApp, uniquingKeysWith: +)
            total.fromProxy.merge(part.fromProxy, uniquingKeysWith: +)
        }
        let date = { (seconds: Int?) in seconds.map { Date(timeIntervalSince1970: Double($0)) } }
        return AccessLogWindow(
            path: path, format: name, source: source, windowStart: Date(timeIntervalSince1970: Double(windowStart)),
            firstTime: date(firstTime), lastTime: date(lastTime), lines: lines, unmatched: unmatched, bytesRead: bytesRead,
            logsUpstreamStatus: format.logs(.upstreamStatus), logsUpstreamAddress: format.logs(.upstreamAddr),
            logsRequestTime: format.logs(.requestTime), total: total,
            routes: routeLocations.indices.map { AccessLogRouteCounts(route: routeLabels[$0], location: routeLocations[$0],
                                                                       counts: counts($0)) },
            upstreams: upstreamNames.indices.map { slot in
                var statuses: [Int: Int] = [:]
                for status in 0..<600 where upstreamCounts[slot * 600 + status] > 0 { statuses[status] = upstreamCounts[slot * 600 + status] }
                return AccessLogUpstreamCounts(address: upstreamNames[slot], statuses: statuses)
            },
            firstFailure: date(firstFailure), lastFailure: date(lastFailure),
            minutes: minutes.values.sorted { $0.start < $1.start }, failureSamples: samples)
    }
}
