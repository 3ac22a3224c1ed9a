extension Route {
    /// The Host a client sends to reach this route, for probes and for the `curl` a fix
    /// suggests: the first server name that is a name (not `_`, not a wildcard such as
    /// `*.example.com` or `.example.com`, not a `~regex`), else `localhost`.
    public var requestHostName: String { Self.requestHostName(serverNames) }

    /// `requestHostName` of a list of server names (nginx `server_name`, Caddy site hosts).
    public static func requestHostName(_ names: [String]) -> String {
        names.first { !$0.isEmpty && $0 != "_" && !$0.contains("*") && !$0.hasPrefix("~") && !$0.hasPrefix(".") } ?? "localhost"
    }
}
