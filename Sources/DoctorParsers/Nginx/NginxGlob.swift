/// Shell-style wildcards as nginx's `include` sees them through glob(3): `*`, `?`,
/// `[abc]`, `[a-z]`, `[!x]`/`[^x]` and `\` escapes; a wildcard never matches a leading `.`.
enum NginxGlob {
    /// Whether nginx treats this include path as a glob (it checks for `*`, `?` or `[`).
    static func isPattern(_ path: some StringProtocol) -> Bool {
        path.utf8.contains { $0 == UInt8(ascii: "*") || $0 == UInt8(ascii: "?") || $0 == NginxByte.openBracket }
    }

    /// Whether one path component `name` matches one pattern component.
    static func matches(_ pattern: some StringProtocol, _ name: some StringProtocol) -> Bool {
        let pattern = Array(pattern.utf8)
        let name = Array(name.utf8)
        if name.first == UInt8(ascii: "."), pattern.first != UInt8(ascii: ".") { return false }
        return match(pattern, 0, name, 0)
    }

    // Iterative with one backtrack point for `*`: linear enough for file names and no
    // exponential blow-up on patterns like `*a*a*a*b`.
    private static func match(_ pattern: [UInt8], _ p0: Int, _ name: [UInt8], _ n0: Int) -> Bool {
        var p = p0, n = n0
        var starP = -1, starN = -1
        while n < name.count {
            if p < pattern.count {
                let token = pattern[p]
                if token == UInt8(ascii: "*") {
                    starP = p
                    starN = n
                    p += 1
                    continue
                }
                if token == UInt8(ascii: "?") {
                    p += 1
                    n += 1
                    continue
                }
                if token == NginxByte.openBracket, let (matched, next) = bracket(pattern, p, name[n]) {
                    if matched {
                        p = next
                        n += 1
                        continue
                    }
                } else {
                    var literal = token
                    var width = 1
                    if token == NginxByte.backslash, p + 1 < pattern.count {
                        literal = pattern[p + 1]
                        width = 2
                    }
                    if literal == name[n] {
                        p += width
                        n += 1
                        continue
                    }
                }
            }
            guard starP >= 0 else { return false }
            p = starP + 1
            starN += 1
            n = starN
        }
        while p < pattern.count, pattern[p] == UInt8(ascii: "*") { p += 1 }
        return p == pattern.count
    }

    /// At `[`: whether `byte` is in the class, and the index after `]`. `nil` when the
    /// bracket is never closed, in which case `[` is an ordinary character.
    private static func bracket(_ pattern: [UInt8], _ open: Int, _ byte: UInt8) -> (Bool, Int)? {
        var p = open + 1
        var negated = false
        if p < pattern.count, pattern[p] == UInt8(ascii: "!") || pattern[p] == UInt8(ascii: "^") {
            negated = true
            p += 1
        }
        var matched = false
        var first = true
        while p < pattern.count {
            var low = pattern[p]
            if low == NginxByte.closeBracket, !first { return (matched != negated, p + 1) }
            first = false
            if low == NginxByte.backslash, p + 1 < pattern.count {
                p += 1
                low = pattern[p]
            }
            var high = low
            if p + 2 < pattern.count, pattern[p + 1] == NginxByte.dash, pattern[p + 2] != NginxByte.closeBracket {
                high = pattern[p + 2]
                p += 2
            }
            if low <= byte, byte <= high { matched = true }
            p += 1
        }
        return nil
    }
}
