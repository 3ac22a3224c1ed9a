import DoctorFacts

/// Directive name → entries in effect at one level of the configuration.
typealias RouteSettingScope = [String: [RouteSetting]]

/// Which nginx directives end up in `RouteSettings`, which of them are arrays, and
/// nginx's built-in defaults (for x86-64 Linux: a 4 KiB memory page, where nginx
/// writes `4k|8k`).
enum NginxRouteDirectives {
    /// Pass modules, whose directives share a suffix (`proxy_read_timeout`, `uwsgi_read_timeout`).
    static let modules = ["proxy", "uwsgi", "fastcgi", "grpc", "scgi"]

    /// Suffixes tracked for every module.
    private static let moduleSuffixes = [
        "read_timeout", "connect_timeout", "send_timeout", "buffer_size", "buffers", "busy_buffers_size",
        "buffering", "request_buffering", "max_temp_file_size", "next_upstream", "next_upstream_tries",
        "next_upstream_timeout", "intercept_errors", "http_version", "set_header",
    ]

    /// nginx's default for `module_suffix`; `nil` when the module has no such directive or no default.
    private static func defaultArgs(module: String, suffix: String) -> [String]? {
        switch suffix {
        case "read_timeout", "connect_timeout", "send_timeout": ["60s"]
        case "buffer_size": ["4k"]
        case "buffers": module == "grpc" ? nil : ["8", "4k"]
        case "busy_buffers_size": module == "grpc" ? nil : ["8k"]
        case "buffering", "request_buffering": module == "grpc" ? nil : ["on"]
        case "max_temp_file_size": module == "grpc" ? nil : ["1024m"]
        case "next_upstream": ["error", "timeout"]
        case "next_upstream_tries", "next_upstream_timeout": ["0"]
        case "intercept_errors": ["off"]
        case "http_version": module == "proxy" ? ["1.0"] : nil
        default: nil
        }
    }

    /// Module-independent `http` directives and their defaults.
    private static let commonDirectives: [(name: String, defaultArgs: [String])] = [
        ("client_max_body_size", ["1m"]),
        ("client_body_buffer_size", ["16k"]),
        ("client_body_timeout", ["60s"]),
        ("client_header_buffer_size", ["1k"]),
        ("client_header_timeout", ["60s"]),
        ("large_client_header_buffers", ["4", "8k"]),
        ("keepalive_timeout", ["75s"]),
        ("keepalive_requests", ["1000"]),
        ("send_timeout", ["60s"]),
    ]

    /// Directives of an `upstream` block, kept as `upstream.NAME`.
    static let upstreamDirectives: Set<String> = ["keepalive", "keepalive_timeout", "keepalive_requests", "keepalive_time"]

    /// Array directives: a level that writes any entry replaces the whole inherited list.
    static let arrayDirectives: Set<String> = Set(modules.map { "\($0)_set_header" } + ["access_log"])

    private static let tracked: Set<String> = {
        var names = Set(commonDirectives.map(\.name))
        for module in modules { for suffix in moduleSuffixes { names.insert("\(module)_\(suffix)") } }
        names.insert("access_log")
        return names
    }()

    static func isTracked(_ name: String) -> Bool { tracked.contains(name) }

    /// Whether a tracked directive applies to a route using `module` (another module's directives do not).
    static func belongs(_ name: String, to module: String) -> Bool {
        for other in modules where other != module && name.hasPrefix(other + "_") { return false }
        return true
    }

    /// The defaults a route with `module` gets for directives not in effect.
    static func defaults(module: String, accessLog: String, upstreamKeepalive: Bool) -> [(String, [String])] {
        var result: [(String, [String])] = []
        for suffix in moduleSuffixes {
            if let args = defaultArgs(module: module, suffix: suffix) { result.append(("\(module)_\(suffix)", args)) }
        }
        for entry in commonDirectives { result.append((entry.name, entry.defaultArgs)) }
        result.append(("access_log", [accessLog, "combined"]))
        if upstreamKeepalive {
            result.append(("upstream.keepalive_timeout", ["60s"]))
            result.append(("upstream.keepalive_requests", ["1000"]))
        }
        return result
    }
}
