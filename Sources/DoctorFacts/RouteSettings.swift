/// The effective nginx settings of one route, after nginx's inheritance
/// (http → server → location → nested location / `if`): a directive written at a
/// lower level overrides the inherited one, and for array directives
/// (`proxy_set_header`, `access_log`, …) a lower level that writes any entry
/// replaces the whole inherited list. Absent directives carry nginx's default
/// (`isDefault`), so a check can always cite a value and where it comes from.
///
/// Keys are directive names. Only the route's own module is kept (a `uwsgi_pass`
/// route has `uwsgi_read_timeout`, not `proxy_read_timeout`); `module` names it,
/// and the typed accessors (`readTimeout`, `bufferSize`, …) pick the right one.
/// Settings of the target's upstream group use the prefix `upstream.`
/// (`upstream.keepalive`, `upstream.keepalive_timeout`); per-server `max_fails`
/// and `fail_timeout` are on `UpstreamServer`.
public struct RouteSettings: Hashable, Codable, Sendable {
    /// The pass module: `proxy`, `uwsgi`, `fastcgi`, `grpc` or `scgi`.
    public var module: String
    /// Directive name → entries in effect (one for a plain directive, several for an array).
    public var values: [String: [RouteSetting]]

    public init(module: String = "proxy", values: [String: [RouteSetting]] = [:]) {
        self.module = module
        self.values = values
    }

    /// The effective entry of a plain directive (the last one, as nginx keeps it).
    public subscript(_ name: String) -> RouteSetting? { values[name]?.last }
    /// Every entry of an array directive in effect.
    public func all(_ name: String) -> [RouteSetting] { values[name] ?? [] }
    /// `module_suffix` for this route's module: `moduleSetting("read_timeout")`.
    public func moduleSetting(_ suffix: String) -> RouteSetting? { self["\(module)_\(suffix)"] }

    public var readTimeout: RouteSetting? { moduleSetting("read_timeout") }
    public var connectTimeout: RouteSetting? { moduleSetting("connect_timeout") }
    public var sendTimeout: RouteSetting? { moduleSetting("send_timeout") }
    public var bufferSize: RouteSetting? { moduleSetting("buffer_size") }
    public var buffers: RouteSetting? { moduleSetting("buffers") }
    public var buffering: RouteSetting? { moduleSetting("buffering") }
    /// `proxy_http_version`; only `proxy` routes have one.
    public var httpVersion: RouteSetting? { moduleSetting("http_version") }
    public var clientMaxBodySize: RouteSetting? { self["client_max_body_size"] }
    public var clientBodyBufferSize: RouteSetting? { self["client_body_buffer_size"] }
    /// `access_log` entries in effect (`off` is one entry with args `["off"]`);
    /// paths are resolved against the prefix.
    public var accessLogs: [RouteSetting] { all("access_log") }
    /// Keep-alive connections cached per worker for the target's upstream group (`keepalive N`);
    /// `nil` when the target is not an upstream group or the group has none.
    public var upstreamKeepalive: RouteSetting? { self["upstream.keepalive"] }
    /// The upstream group's idle keep-alive timeout (default 60s when `keepalive` is set).
    public var upstreamKeepaliveTimeout: RouteSetting? { self["upstream.keepalive_timeout"] }

    /// The header line this route sends upstream for `name` (case-insensitive), from
    /// `proxy_set_header` / `grpc_set_header`: args are `[name, value]`. nginx adds
    /// `Host $proxy_host` and `Connection close` unless the list in effect sets them,
    /// so those two are always present (as defaults when not written); another
    /// header absent from the list is passed through from the client.
    public func header(_ name: String) -> RouteSetting? {
        let lowered = name.lowercased()
        return all("\(module)_set_header").last { $0.args.first?.lowercased() == lowered }
    }
}
