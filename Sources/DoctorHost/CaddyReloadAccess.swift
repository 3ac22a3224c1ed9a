import DoctorFacts
import DoctorParsers

/// How a running Caddy can be made to load its Caddyfile again, decided right before a
/// reload (`gwdoctor fix --apply`), from the file on disk and the listener table.
///
/// Caddy ignores SIGHUP and SIGUSR1: a new config reaches a running Caddy only through its
/// admin endpoint (`caddy reload` POSTs the adapted config there, and so does Debian's
/// `systemctl reload caddy`, whose `ExecReload` is `caddy reload`), or by restarting it.
/// With `admin off` (the labs, many hardened installs) only a restart applies a new config,
/// and a restart of the proxy drops every connection in flight and leaves the site down if
/// the new config cannot start (a port taken, a certificate missing): a bigger step than a
/// reload, so gwdoctor leaves it to a person.
///
/// `caddy reload` without `--address` posts to `localhost:2019` (or the file's `admin`
/// address), which on a machine with two Caddys may be the other one. So the reload is
/// allowed only when a listener at that address belongs to the very process being
/// reloaded; the command then names the address explicitly.
public enum CaddyReloadAccess: Hashable, Sendable {
    /// `caddy reload --config F --adapter A --address ADDRESS` reaches this Caddy.
    case adminAPI(address: String, command: AllowedCommand)
    /// No safe automatic reload; `why` says what stops it.
    case none(why: String)

    /// Caddy's default admin address when the file names none.
    public static let defaultAdminAddress = "localhost:2019"

    /// The config as gwdoctor reads it: a Caddyfile, or Caddy's JSON; nil for another adapter.
    static func parse(host: any Host, config: String, adapter: String) -> CaddyConfig? {
        switch adapter {
        case "caddyfile": CaddyfileParser.parse(path: config, reader: host)
        case "json": CaddyJSONFileParser.parse(path: config, reader: host)
        default: nil
        }
    }

    /// Decides for the Caddy `pid` running `config` with `adapter` (a Caddyfile's `admin`
    /// option or a JSON config's `admin.listen` / `admin.disabled`; other adapters are not read,
    /// so no address is trusted).
    public static func decide(host: any Host, config: String, adapter: String, executable: String?, pid: Int) -> CaddyReloadAccess {
        guard let parsed = parse(host: host, config: config, adapter: adapter) else {
            return .none(why: "its config uses the \(adapter) adapter; gwdoctor reads the admin address of Caddyfiles and Caddy's JSON only")
        }
        let global = parsed.global
        if global.adminDisabled {
            let at = global.options.first { $0.name == "admin" }.map { " (\($0.source))" } ?? ""
            let written = adapter == "json" ? "its JSON config sets `admin.disabled`" : "its Caddyfile sets `admin off`"
            return .none(why: "\(written)\(at): Caddy then has no admin endpoint, so `caddy reload` and "
                + "`systemctl reload caddy` cannot reach it and only a restart of Caddy applies a new config")
        }
        let address = global.adminAddress ?? defaultAdminAddress
        let listeners: [Listener]
        do {
            listeners = try host.listeners()
        } catch {
            return .none(why: "the listener table cannot be read (\(error)), so the admin endpoint \(address) cannot be tied to pid \(pid)")
        }
        guard let wanted = adminEndpoint(address) else {
            return .none(why: "the admin address \(address) is not one gwdoctor can check")
        }
        let owned = listeners.contains { listener in
            listener.pids.contains(pid) && matches(listener.endpoint, wanted)
        }
        guard owned else {
            return .none(why: "nothing that pid \(pid) holds listens on its admin address \(address) "
                + "(another Caddy, or an address set by CADDY_ADMIN): a reload there could reach another instance")
        }
        guard let command = AllowedCommand.caddyReload(executable: executable, config: config, adapter: adapter, address: address) else {
            return .none(why: "the reload command cannot be built safely from \(config) and \(address)")
        }
        return .adminAPI(address: address, command: command)
    }

    /// The first log file the Caddyfile names that does not exist, else `nil`. `caddy validate`
    /// provisions the config, which opens (and creates) every log file, as gwdoctor's user: a
    /// log created by root would then keep Caddy (user `caddy`) from starting, so neither the
    /// gatherer nor the fix runs it while one is missing.
    public static func missingLogFile(host: any Host, config: String, adapter: String = "caddyfile") -> String? {
        guard let parsed = parse(host: host, config: config, adapter: adapter) else { return nil }
        let files = (parsed.global.logs + parsed.sites.flatMap(\.logs)).compactMap { $0.output == "file" ? $0.path : nil }
        return files.first { (try? host.status($0, followLinks: true)) == nil }
    }

    /// The binary (argv[0] when absolute) and adapter of a running `caddy run` command line,
    /// or `nil` when it is not one.
    public static func running(_ commandLine: [String]) -> (executable: String?, adapter: String)? {
        CaddyCommandLine(commandLine).map { ($0.executable, $0.effectiveAdapter) }
    }

    /// `localhost:2019`, `127.0.0.1:2019`, `[::1]:2019`, `:2019`, `tcp/…`, `unix//path` → an endpoint.
    public static func adminEndpoint(_ address: String) -> Endpoint? {
        var text = address
        if text.hasPrefix("unix/") {
            let path = String(text.dropFirst("unix/".count))
            return path.hasPrefix("/") ? .unix(path: path) : nil
        }
        if text.hasPrefix("tcp/") { text = String(text.dropFirst("tcp/".count)) }
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port) else {
            return nil
        }
        var hostPart = String(text[..<colon])
        if hostPart.hasPrefix("["), hostPart.hasSuffix("]") { hostPart = String(hostPart.dropFirst().dropLast()) }
        return .tcp(host: hostPart, port: port)
    }

    /// A listener serves `wanted`: the same unix path, or the same port on an address that
    /// answers the wanted host (`localhost` is either loopback; an empty host is any address).
    public static func matches(_ listener: Endpoint, _ wanted: Endpoint) -> Bool {
        switch (listener, wanted) {
        case let (.unix(a), .unix(b)):
            return a == b
        case let (.tcp(have, havePort), .tcp(want, wantPort)):
            guard havePort == wantPort else { return false }
            let loopback: Set<String> = ["127.0.0.1", "::1", "localhost"]
            let any: Set<String> = ["0.0.0.0", "::", "*", ""]
            if any.contains(want) { return any.contains(have) }
            if want == "localhost" { return loopback.contains(have) || any.contains(have) }
            return have == want || any.contains(have)
        default:
            return false
        }
    }
}
