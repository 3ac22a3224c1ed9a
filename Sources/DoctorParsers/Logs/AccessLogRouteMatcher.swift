/// Picks the location nginx would choose for a logged request path, as an index into
/// the locations it was built from. An approximation, by design:
/// exact (`=`) first, then the longest prefix (a `^~` prefix stops there), then
/// regexes (`~`, `~*`) in order, then the longest prefix. Differences from nginx:
/// the path is matched as logged (not URL-decoded or merged), nested locations are
/// flat, and only the locations given (routes with a pass) are candidates, so a request
/// to a static location counts for the longest proxied prefix that covers it.
/// Regexes run once per distinct path (memoised), never per line for a seen path.
struct AccessLogRouteMatcher {
    private enum Kind { case exact, prefix, stopPrefix, regex }
    private struct Entry {
        var kind: Kind
        var bytes: [UInt8]
        var regex: Regex<AnyRegexOutput>?
        var index: Int
    }

    private var exact: [Entry] = []
    private var prefixes: [Entry] = []
    private var regexes: [Entry] = []
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
            case "=": exact.append(Entry(kind: .exact, bytes: Array(path.utf8), index: index))
            case "^~": prefixes.append(Entry(kind: .stopPrefix, bytes: Array(path.utf8), index: index))
            case "~", "~*":
                guard var regex = try? Regex(path) else { continue }
                if modifier == "~*" { regex = regex.ignoresCase() }
                regexes.append(Entry(kind: .regex, bytes: [], regex: regex, index: index))
            default:
                guard !label.hasPrefix("@") else { continue }
                prefixes.append(Entry(kind: .prefix, bytes: Array(label.utf8), index: index))
            }
        }
    }

    /// The index of the location for `path` (bytes of a buffer), or `nil` when none matches.
    mutating func match(_ buffer: UnsafeBufferPointer<UInt8>, _ path: Range<Int>) -> Int? {
        for entry in exact where entry.bytes.count == path.count && Self.hasPrefix(buffer, path, entry.bytes) {
            return entry.index
        }
        var best: Entry? = nil
        for entry in prefixes where entry.bytes.count <= path.count && entry.bytes.count > (best?.bytes.count ?? -1)
            && Self.hasPrefix(buffer, path, entry.bytes) {
            best = entry
        }
        if let best, best.kind == .stopPrefix { return best.index }
        if !regexes.isEmpty {
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for index in path { hash = (hash ^ UInt64(buffer[index])) &* 0x100_0000_01b3 }
            if let known = memo[hash] { return known < 0 ? best?.index : known }
            let text = String(decoding: UnsafeBufferPointer(rebasing: buffer[path]), as: UTF8.self)
            var found = -1
            for entry in regexes where (try? entry.regex?.firstMatch(in: text)) != nil {
                found = entry.index
                break
            }
            if memo.count < Self.memoLimit { memo[hash] = found }
            if found >= 0 { return found }
        }
        return best?.index
    }

    private static func hasPrefix(_ buffer: UnsafeBufferPointer<UInt8>, _ path: Range<Int>, _ bytes: [UInt8]) -> Bool {
        var index = path.lowerBound
        for byte in bytes {
            if buffer[index] != byte { return false }
            index += 1
        }
        return true
    }
}
