/// Caddy's path matcher for one pattern: case-insensitive; `*` alone matches all;
/// `*x*` substring, `*x` suffix, `x*` prefix; anything else a glob where `*` and `?` do
/// not cross `/` (exact match when it has no wildcard).
public enum CaddyPathPattern {
    public static func matches(_ pattern: String, _ path: String) -> Bool {
        let pattern = pattern.lowercased()
        var path = Substring(path.lowercased())
        while path.hasSuffix(".") || path.hasSuffix(" ") { path = path.dropLast() }
        if pattern == "*" { return true }
        if pattern.count > 1, pattern.hasPrefix("*"), pattern.hasSuffix("*") {
            return path.contains(pattern.dropFirst().dropLast())
        }
        if pattern.hasPrefix("*") { return path.hasSuffix(pattern.dropFirst()) }
        if pattern.hasSuffix("*") { return path.hasPrefix(pattern.dropLast()) }
        return glob(Array(pattern.utf8), 0, Array(path.utf8), 0)
    }

    private static func glob(_ pattern: [UInt8], _ p: Int, _ name: [UInt8], _ n: Int) -> Bool {
        var p = p, n = n
        while p < pattern.count {
            switch pattern[p] {
            case UInt8(ascii: "*"):
                var rest = n
                while true {
                    if glob(pattern, p + 1, name, rest) { return true }
                    if rest >= name.count || name[rest] == UInt8(ascii: "/") { return false }
                    rest += 1
                }
            case UInt8(ascii: "?"):
                guard n < name.count, name[n] != UInt8(ascii: "/") else { return false }
            default:
                guard n < name.count, name[n] == pattern[p] else { return false }
            }
            p += 1
            n += 1
        }
        return n == name.count
    }
}
