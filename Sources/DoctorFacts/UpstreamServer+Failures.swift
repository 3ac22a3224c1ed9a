/// nginx's passive health check per `server` of an `upstream` block: after `max_fails`
/// failed attempts within `fail_timeout`, the server is skipped for `fail_timeout`.
extension UpstreamServer {
    /// `max_fails=N` (default 1; 0 turns the accounting off).
    public var maxFails: RouteSetting {
        parameter("max_fails") ?? RouteSetting(name: "max_fails", args: ["1"], source: nil)
    }

    /// `fail_timeout=T` (default 10s).
    public var failTimeout: RouteSetting {
        parameter("fail_timeout") ?? RouteSetting(name: "fail_timeout", args: ["10s"], source: nil)
    }

    private func parameter(_ name: String) -> RouteSetting? {
        for parameter in parameters where parameter.hasPrefix(name + "=") {
            return RouteSetting(name: name, args: [String(parameter.dropFirst(name.count + 1))], source: source)
        }
        return nil
    }
}
