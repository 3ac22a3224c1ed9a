/// One directive in effect for a route: its arguments as written, where it is
/// written, or no source when it is nginx's built-in default.
public struct RouteSetting: Hashable, Codable, Sendable, CustomStringConvertible {
    /// The directive name (`proxy_read_timeout`, `proxy_set_header`, `upstream.keepalive`).
    public var name: String
    /// Arguments as written (`["60s"]`, `["Connection", ""]`, `["/var/log/nginx/a.log", "main"]`).
    public var args: [String]
    /// Where it is written; `nil` for a built-in default.
    public var source: SourceLocation?

    public init(name: String, args: [String], source: SourceLocation?) {
        self.name = name
        self.args = args
        self.source = source
    }

    /// The value nginx uses without this directive in the config.
    public var isDefault: Bool { source == nil }
    /// Arguments joined by spaces.
    public var value: String { args.joined(separator: " ") }
    /// The first argument as an nginx time, in seconds.
    public var seconds: Double? { args.first.flatMap(NginxValue.seconds) }
    /// The first argument as an nginx size, in bytes (for `proxy_buffers 8 4k` use `args[1]`).
    public var bytes: Int? { args.first.flatMap(NginxValue.bytes) }
    /// `name value (file:line)` or `name value (default)`, the way findings cite a setting.
    public var description: String {
        "\(name) \(value) (\(source?.description ?? "default"))"
    }
}
