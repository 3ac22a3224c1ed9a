/// A place in a file, printed as `path:line` so a person can open it directly.
///
/// In a JSON config (Caddy's `caddy.json`) the line alone is ambiguous — one line can hold
/// a whole route — so `pointer` adds the RFC 6901 JSON pointer of the value
/// (`/apps/http/servers/srv0/routes/0/handle/0/upstreams/0/dial`), printed after the line.
public struct SourceLocation: Hashable, Codable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    /// The JSON pointer of the value within a JSON file; nil for every other config.
    public var pointer: String?

    public init(file: String, line: Int, pointer: String? = nil) {
        self.file = file
        self.line = line
        self.pointer = pointer
    }

    public var description: String {
        guard let pointer else { return "\(file):\(line)" }
        return "\(file):\(line) (\(pointer.isEmpty ? "/" : pointer))"
    }
}
