/// Substitutes an import's arguments into the imported tokens, as Caddy does:
/// `{args[N]}` (Caddy 2.7+) and `{args.N}` (Caddy 2.6 and older) inside any token, and a
/// token that is exactly `{args[:]}`, `{args[N:]}`, `{args[:M]}` or `{args[N:M]}` replaced
/// by that many tokens. Indexes past the arguments are left as written (Caddy's
/// `ReplaceKnown`), so a snippet imported without arguments keeps its placeholders.
enum CaddyImportArguments {
    static func substitute(_ args: [String], in tokens: [CaddyToken], origin: Int) -> [CaddyToken] {
        var out: [CaddyToken] = []
        out.reserveCapacity(tokens.count)
        for var token in tokens {
            token.origin = origin
            guard token.text.contains("{args") else {
                out.append(token)
                continue
            }
            if let range = sliceRange(token.text, count: args.count) {
                for arg in args[range] {
                    var piece = token
                    piece.text = arg
                    piece.written = arg
                    out.append(piece)
                }
                continue
            }
            token.text = replaceIndexes(token.text, args)
            token.written = replaceIndexes(token.written, args)
            out.append(token)
        }
        return out
    }

    /// The argument range of a whole-token slice placeholder (`{args[1:]}`), nil otherwise.
    private static func sliceRange(_ text: String, count: Int) -> Range<Int>? {
        guard text.hasPrefix("{args["), text.hasSuffix("]}") else { return nil }
        let inner = text.dropFirst(6).dropLast(2)
        guard let colon = inner.firstIndex(of: ":") else { return nil }
        let lowerText = inner[..<colon], upperText = inner[inner.index(after: colon)...]
        guard let lower = lowerText.isEmpty ? 0 : Int(lowerText),
              let upper = upperText.isEmpty ? count : Int(upperText) else { return nil }
        let clampedLower = min(max(lower, 0), count)
        return clampedLower..<max(clampedLower, min(upper, count))
    }

    private static func replaceIndexes(_ text: String, _ args: [String]) -> String {
        var out = ""
        var rest = Substring(text)
        while let open = rest.range(of: "{args") {
            out += rest[..<open.lowerBound]
            let after = rest[open.upperBound...]
            var index: Int?
            var end = after.startIndex
            if after.hasPrefix("["), let close = after.range(of: "]}") {
                index = Int(after[after.index(after: after.startIndex)..<close.lowerBound])
                end = close.upperBound
            } else if after.hasPrefix("."), let close = after.firstIndex(of: "}") {
                index = Int(after[after.index(after: after.startIndex)..<close])
                end = after.index(after: close)
            }
            if let index, index >= 0, index < args.count {
                out += args[index]
                rest = after[end...]
            } else {
                out += rest[open]
                rest = after
            }
        }
        out += rest
        return out
    }
}
