/// Picks the location nginx would choose for a logged request path, as an index into
/// the locations it was built from. An approximation, by design:
/// exact (`=`) first, then the longest prefix (a `^~` prefix stops there), then
/// regexes (`~`, `~*`) in order, then the longest prefix. Differences from nginx:
/// the path is matched as logged (not URL-decoded or merged), nested locations are
/// flat, and only the locations given (routes with a pass) are candidates, so a request
/// to a static location counts for the longest proxied prefix that covers it.
/// Regexes run once per distinct path (memoised), never per line for a seen path.
struct AccessLogRouteMatcher {
    /// Exact and prefix locations as byte ranges of one pool (no per-entry arrays to
    /// retain in the per-line loop); `stop` marks `^~`.
    private var pool: [UInt8] = []
    private var exactRanges: [(start: Int, length: Int, index: Int)] = []
    private var prefixRanges: [(start: Int, length: Int, index: Int, stop: Bool)] = []
    private var regexes: [(regex: Regex<AnyRegexOutput>, index: Int)] = []
    private var memo: [UInt64: Int] = [:]
    private static let memoLimit = 65_536
    /// Whether regex locations exist (else the memo is never needed).
    var hasRegexes: Bool { !regexes.isEmpty }

    /// `locations` are route labels (`/`, `= /health`, `^~ /static/`, `~* \.php$`, `@named`).
    init(locations: [String]) {
        for (index, label) in locations.enumerated() {
            let parts = label.split(separator: " ", maxSplits: 1).map(String.init)
            let (modifier, path) = parts.count == 2 ? (parts[0], parts[1]) : ("", label)
            switch modifier {
            case "=":
                exactRanges.append((pool.count, path.utf8.count, index))
                pool += Array(path.utf8)
            case "^~":
                prefixRanges.append((pool.count, path.utf8.count, index, true))
                pool += Array(path.utf8)
            case "~", "~*":
                guard var regex = try? Regex(path) else { continue }
                if modifier == "~*" { regex = regex.ignoresCase() }
                regexes.append((regex, index))
            default:
                guard !label.hasPrefix("@") else { continue }
                prefixRanges.append((pool.count, label.utf8.count, index, false))
                pool += Array(label.utf8)
            }
        }
    }

    /// The index of the location for `path` (bytes of a buffer), or `nil` when none matches.
    mutating func match(_ buffer: UnsafeBufferPointer<UInt8>, _ path: Range<Int>) -> Int? {
        var bestIndex = -1, bestLength = -1, bestStops = false
        let exactHit: Int? = pool.withUnsafeBufferPointer { pool in
            for entry in exactRanges where entry.length == path.count
                && Self.hasPrefix(buffer, path, pool, entry.start, entry.length) {
                return entry.index
            }
            for entry in prefixRanges where entry.length <= path.count && entry.length > bestLength
                && Self.hasPrefix(buffer, path, pool, entry.start, entry.length) {
                (bestIndex, bestLength, bestStops) = (entry.index, entry.length, entry.stop)
            }
            return nil
        }
        if let exactHit { return exactHit }
        let best: Int? = bestIndex >= 0 ? bestIndex : nil
        if bestStops { return best }
        if !regexes.isEmpty {
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for index in path { hash = (hash ^ UInt64(buffer[index])) &* 0x100_0000_01b3 }
            if let known = memo[hash] { return known < 0 ? best : known }
            let text = String(decoding: UnsafeBufferPointer(rebasing: buffer[path]), as: UTF8.self)
            var found = -1
            for entry in regexes where (try? entry.regex.firstMatch(in: text)) != nil {
                found = entry.index
                break
            }
            if memo.count < Self.memoLimit { memo[hash] = found }
            if found >= 0 { return found }
        }
        return best
    }

    @inline(__always)
    private static func hasPrefix(_ buffer: UnsafeBufferPointer<UInt8>, _ path: Range<Int>, _ pool: UnsafeBufferPointer<UInt8>,
                                  _ start: Int, _ length: Int) -> Bool {
        var offset = 0
        while offset < length {
            if buffer[path.lowerBound + offset] != pool[start + offset] { return false }
            offset += 1
        }
        return true
    }
}
