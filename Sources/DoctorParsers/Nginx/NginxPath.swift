/// Lexical path arithmetic for config paths, done without touching the file system
/// (the parser may be reading a snapshot of another machine).
enum NginxPath {
    /// The directory part, with its trailing `/` removed (`/etc/nginx/nginx.conf` → `/etc/nginx`);
    /// `""` when there is none.
    static func directory(of path: String) -> String {
        guard let slash = path.utf8.lastIndex(of: NginxByte.slash) else { return "" }
        if slash == path.utf8.startIndex { return "/" }
        return String(path[..<slash])
    }

    /// `path` if absolute, else `path` under `base`; then normalised.
    static func resolve(_ path: String, against base: String) -> String {
        if path.utf8.first == NginxByte.slash || base.isEmpty { return normalize(path) }
        return normalize(base + "/" + path)
    }

    /// Collapses `//`, `/./` and `dir/..` lexically, so one file spelled two ways is seen
    /// as one when detecting include cycles. (A symlink can still alias a file; the
    /// loader's depth limit covers that.)
    static func normalize(_ path: String) -> String {
        if isNormal(path) { return path }
        let absolute = path.utf8.first == NginxByte.slash
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == "..", let last = parts.last, last != ".." {
                parts.removeLast()
                continue
            }
            if part == "..", absolute { continue }
            parts.append(part)
        }
        let joined = parts.joined(separator: "/")
        if absolute { return "/" + joined }
        return joined.isEmpty ? "." : joined
    }

    /// No empty, `.` or `..` component and no trailing `/`: the common case, checked on
    /// bytes because every include of every location passes through here.
    static func isNormal(_ path: String) -> Bool {
        var componentLength = 0
        var componentIsDots = true
        var atStart = true
        for byte in path.utf8 {
            if byte == NginxByte.slash {
                // A leading `/` is the root, not an empty component.
                if !atStart, componentLength == 0 || (componentIsDots && componentLength <= 2) { return false }
                componentLength = 0
                componentIsDots = true
            } else {
                componentLength += 1
                if byte != UInt8(ascii: ".") { componentIsDots = false }
            }
            atStart = false
        }
        if componentLength == 0 { return path == "/" }
        return !(componentIsDots && componentLength <= 2)
    }
}
