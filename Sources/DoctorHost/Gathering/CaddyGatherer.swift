import DoctorFacts
import DoctorParsers
import Foundation

/// Finds Caddy instances (running `caddy run` processes, else `/etc/caddy/Caddyfile`, or
/// `--caddyfile`), reads their config through the host — a Caddyfile, or Caddy's JSON
/// (`--adapter json`, a `.json` file, `--resume`'s autosave.json) — and turns it into the
/// same facts as nginx's: a `ProxyInstance(kind: .caddy)` and one `Route` per `reverse_proxy`.
///
/// Scope follows nginx's: with `--caddyfile` only the Caddy running that file (or the
/// file alone); with only `--nginx-conf`, no Caddy at all (a lab run, or a person asking
/// about one nginx, must not be handed a Caddy from elsewhere on the machine).
struct CaddyGatherer: Sendable {
    let host: any Host
    let options: GatherOptions
    let processes: [ProcessRecord]

    /// What the Caddy side contributes to the facts.
    struct Result {
        var proxies: [ProxyInstance] = []
        var routes: [Route] = []
        var unavailable: [Unavailable] = []
    }

    static let defaultCaddyfile = "/etc/caddy/Caddyfile"
    /// Caddy's `dial_timeout` when the transport sets none (3 s since Caddy 2.5, caddyserver/caddy#4436;
    /// `response_header_timeout`, `read_timeout` and `write_timeout` have no default: Caddy waits).
    static let defaultDialTimeout = "3s"
    /// `RouteSettings.module` of Caddy routes: keys are `caddy_<role>` (`caddy_read_timeout`),
    /// each holding Caddy's own subdirective name (`response_header_timeout`).
    static let settingsModule = "caddy"

    /// A running Caddy and what its command line says.
    struct Running {
        var process: ProcessRecord
        var commandLine: CaddyCommandLine
        /// `--config` made absolute against the process's working directory.
        var config: String?
    }

    /// Whether Caddy is looked for at all under these options.
    static func wanted(_ options: GatherOptions) -> Bool {
        options.caddyfile != nil || options.nginxConfig == nil
    }

    func gather() async -> Result {
        var result = Result()
        guard Self.wanted(options) else { return result }
        let running = processes.compactMap(Self.running)
        var instances: [(config: String, adapter: String, process: Running?)] = []
        for caddy in running {
            let what = "caddy pid \(caddy.process.pid) config"
            if caddy.commandLine.resume {
                // `--resume` runs autosave.json when it exists, else loads --config as without it.
                let autosave = Self.autosavePath(user: caddy.process.user, host: host)
                if let autosave, (try? host.status(autosave, followLinks: true)) != nil {
                    instances.append((autosave, "json", caddy))
                    continue
                }
                if caddy.config == nil {
                    result.unavailable.append(Unavailable(what: what, reason: "started with --resume but no autosave.json at "
                        + "\(autosave ?? "its user's ~/.config/caddy/") (an XDG_CONFIG_HOME set only in Caddy's environment is not read): "
                        + Self.adminAPIReason))
                    continue
                }
            }
            guard let config = caddy.config else {
                result.unavailable.append(Unavailable(what: what, reason: "no --config: " + Self.adminAPIReason))
                continue
            }
            if caddy.commandLine.config == nil, (try? host.status(config, followLinks: true)) == nil {
                result.unavailable.append(Unavailable(what: what, reason: "no --config and no \(config): " + Self.adminAPIReason))
                continue
            }
            instances.append((config, caddy.commandLine.effectiveAdapter, caddy))
        }
        if let wanted = options.caddyfile.map({ NginxGatherer.absolute($0, against: FileManager.default.currentDirectoryPath) }) {
            if let match = instances.first(where: { NginxGatherer.samePath($0.config, wanted) }) {
                instances = [match]
            } else {
                instances = [(wanted, Self.adapter(forFile: wanted), nil)]
            }
        } else if instances.isEmpty, running.isEmpty {
            // Installed but not running: the packaged Caddyfile is a proxy to diagnose only when it proxies.
            // (A running Caddy whose config is unknown does not run it either.)
            guard (try? host.status(Self.defaultCaddyfile, followLinks: true)) != nil else { return result }
            instances = [(Self.defaultCaddyfile, "caddyfile", nil)]
        }
        var seen = Set<String>()
        instances = instances.filter { seen.insert($0.config).inserted }

        for instance in instances {
            if instance.process == nil {
                do {
                    _ = try host.status(instance.config, followLinks: true)
                } catch {
                    result.unavailable.append(Unavailable(what: "caddy config \(instance.config)", reason: error.description))
                    continue
                }
            }
            let config: CaddyConfig
            switch instance.adapter {
            case "caddyfile":
                config = CaddyfileParser.parse(path: instance.config, reader: host)
            case "json":
                config = CaddyJSONFileParser.parse(path: instance.config, reader: host)
            default:
                result.unavailable.append(Unavailable(what: "caddy config \(instance.config)",
                                                      reason: "adapter \(instance.adapter): gwdoctor reads Caddyfiles and Caddy's JSON only"))
                continue
            }
            // A JSON file that is not JSON at all (binary, truncated) yields nothing: say so, as for an unreadable one.
            let unread: Set<ConfigDiagnostic.Kind> = instance.adapter == "json" && config.sites.isEmpty
                ? [.unreadable, .tooLarge, .binary, .syntax] : [.unreadable, .tooLarge]
            for diagnostic in config.diagnostics where unread.contains(diagnostic.kind) {
                result.unavailable.append(Unavailable(what: "caddy config \(diagnostic.location?.description ?? instance.config)",
                                                      reason: diagnostic.message))
            }
            let routes = Self.routes(config)
            // The packaged default that only serves files is not a proxy in front of an app.
            if instance.process == nil, options.caddyfile == nil, routes.isEmpty { continue }

            async let test = configTest(instance.config, adapter: instance.adapter, executable: instance.process?.commandLine.executable,
                                        config: config)
            var proxy = Self.proxy(config, path: instance.config, process: instance.process?.process)
            proxy.configAdapter = instance.adapter
            if proxy.workerUser == nil, instance.process == nil {
                // Debian's and the official caddy.service run `User=caddy`.
                proxy.workerUser = SharedAccountsLookup.exists(user: "caddy", host: host) ? "caddy" : nil
            }
            proxy.configTest = await test
            if instance.adapter == "caddyfile" {
                // JSON is what Caddy runs already: nothing to cross-check it against.
                result.unavailable += await crossCheck(instance.config, adapter: instance.adapter,
                                                       executable: instance.process?.commandLine.executable, config: config)
            }
            result.proxies.append(proxy)
            result.routes += routes
        }
        return result
    }

    /// `caddy run …` (or the `caddy start` child) with its config made absolute, else `nil`.
    static func running(_ process: ProcessRecord) -> Running? {
        guard let commandLine = CaddyCommandLine(process.cmdline) else { return nil }
        var config = commandLine.config
        if config == nil, !commandLine.resume, let cwd = process.cwd {
            // `caddy run` without --config loads ./Caddyfile when it exists; the doctor cannot
            // stat it from here, so it takes the conventional name and the parse says if it is missing.
            config = NginxGatherer.absolute("Caddyfile", against: cwd)
        }
        if let written = config {
            config = NginxGatherer.absolute(written, against: process.cwd ?? "/")
        }
        return Running(process: process, commandLine: commandLine, config: config)
    }

    /// Why a Caddy's routes are unknown when it has no config file: gwdoctor stays off the
    /// admin endpoint while diagnosing (a `GET /config/` is harmless, but the endpoint may be
    /// a unix socket only Caddy's user can open, or off, and diagnose reads files and
    /// `/proc` only; the fix step is the one place that talks to it).
    static let adminAPIReason = "config loaded through the admin API; gwdoctor does not query it"

    /// `~/.config/caddy/autosave.json` of Caddy's user (home from /etc/passwd), where
    /// `caddy run --resume` reads its last config when XDG_CONFIG_HOME is not set.
    static func autosavePath(user: String?, host: any Host) -> String? {
        guard let user, let bytes = try? host.readFile("/etc/passwd", maxBytes: 4 << 20) else { return nil }
        return autosavePath(user: user, passwd: String(decoding: bytes, as: UTF8.self))
    }

    /// As above, with /etc/passwd's text given.
    static func autosavePath(user: String, passwd: String) -> String? {
        for line in passwd.split(separator: "\n") {
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            guard fields.count >= 6, fields[0] == user, fields[5].hasPrefix("/") else { continue }
            let home = fields[5].hasSuffix("/") && fields[5].count > 1 ? String(fields[5].dropLast()) : String(fields[5])
            return (home == "/" ? "" : home) + "/.config/caddy/autosave.json"
        }
        return nil
    }

    static func adapter(forFile path: String) -> String {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        return name.hasSuffix(".json") ? "json" : "caddyfile"
    }

    // MARK: Facts from the model

    /// The proxy instance: listen addresses of every site, its log outputs, the process and its user.
    static func proxy(_ config: CaddyConfig, path: String, process: ProcessRecord?) -> ProxyInstance {
        let global = config.global
        var listens: [ListenDirective] = []
        for site in config.sites {
            for address in site.parsedAddresses {
                for listen in listenStrings(address, site: site, global: global) where !listens.contains(where: { $0.raw == listen.raw }) {
                    listens.append(ListenDirective(raw: listen.raw, endpoint: listen.endpoint, source: site.source))
                }
            }
        }
        let errorLogs = global.logs.map { log in
            LogFileDirective(path: log.output == "file" ? (log.path ?? "stderr") : log.output,
                             qualifier: log.name ?? "default", source: log.source)
        }
        var accessLogs: [LogFileDirective] = []
        for site in config.sites {
            for log in site.logs where !accessLogs.contains(where: { $0.path == (log.path ?? log.output) }) {
                accessLogs.append(LogFileDirective(path: log.output == "file" ? (log.path ?? "stderr") : log.output,
                                                   qualifier: log.format ?? "json", source: log.source))
            }
        }
        var diagnostics = config.diagnostics
        for site in config.sites where site.addresses.isEmpty {
            diagnostics.append(ConfigDiagnostic(kind: .syntax, message: "site block without an address", location: site.source))
        }
        return ProxyInstance(kind: .caddy, configPath: path, prefix: nil, masterPID: process?.pid,
                             workerPIDs: process.map { [$0.pid] } ?? [], masterCmdline: process?.cmdline ?? [],
                             workerUser: process?.user, workerGroup: nil, workerUserSource: nil,
                             listens: listens, errorLogs: errorLogs, accessLogs: accessLogs, logFormats: [:],
                             diagnostics: diagnostics)
    }

    /// `HOST:PORT` per bind host (`127.0.0.1:8080`), or `:PORT` for every interface, with ` ssl`
    /// when the address is served over TLS (so probes, as for nginx, skip it).
    static func listenStrings(_ address: CaddySiteAddress, site: CaddySite, global: CaddyGlobalOptions) -> [(raw: String, endpoint: Endpoint)] {
        let port = address.listenPort(httpPort: global.httpPort, httpsPort: global.httpsPort)
        let tls = address.isHTTPS(httpPort: global.httpPort, httpsPort: global.httpsPort)
        let suffix = tls ? " ssl" : ""
        let binds = site.binds.isEmpty ? global.defaultBind : site.binds
        if binds.isEmpty { return [(":\(port)\(suffix)", .tcp(host: "::", port: port))] }
        return binds.map { bind in
            if bind.hasPrefix("unix/") { return ("\(bind)\(suffix)", Endpoint.unix(path: String(bind.dropFirst("unix/".count)))) }
            var hostPart = bind
            if let range = hostPart.range(of: "://") { hostPart = String(hostPart[range.upperBound...]) }
            let shown = hostPart.contains(":") ? "[\(hostPart)]" : hostPart
            return ("\(shown):\(port)\(suffix)", .tcp(host: hostPart, port: port))
        }
    }

    /// One route per proxy handler of every site.
    static func routes(_ config: CaddyConfig) -> [Route] {
        var routes: [Route] = []
        for site in config.sites {
            let listens = site.parsedAddresses.flatMap { listenStrings($0, site: site, global: config.global).map(\.raw) }
            var uniqueListens: [String] = []
            for listen in listens where !uniqueListens.contains(listen) { uniqueListens.append(listen) }
            var names: [String] = []
            for address in site.parsedAddresses where !names.contains(address.host) { names.append(address.host) }
            for handler in site.handlers {
                routes.append(Route(proxy: .caddy, listen: uniqueListens, serverNames: names.map { $0.isEmpty ? "_" : $0 },
                                    location: location(handler), directive: handler.directive, target: target(handler),
                                    source: handler.source, settings: settings(handler, site: site)))
            }
        }
        return routes
    }

    /// The path the route takes, as a prefix like an nginx location: `/api/*` → `/api/`,
    /// every path → `/`; a named matcher with conditions besides paths keeps its name.
    static func location(_ handler: CaddyProxyHandler) -> String {
        let paths = handler.routePaths.isEmpty ? handler.matcher.paths : handler.routePaths
        if paths.isEmpty || paths.contains(where: { $0 == "*" || $0 == "/*" }) {
            if let name = handler.matcher.name, handler.matcher.hasNonPathConditions { return name }
            return "/"
        }
        let first = paths[0]
        if first.hasSuffix("*") { return String(first.dropLast()) }
        return first.hasPrefix("/") ? "= \(first)" : first
    }

    /// One upstream: its address; several: a group like an nginx `upstream` block, named by its addresses.
    static func target(_ handler: CaddyProxyHandler) -> RouteTarget {
        let scheme = handler.directive == "php_fastcgi" || handler.transport.protocolName == "fastcgi"
            ? "fastcgi" : (handler.upstreams.first?.scheme == "https" ? "https" : "http")
        let known = handler.upstreams.compactMap { upstream in upstream.endpoint.map { (upstream, $0) } }
        if handler.upstreams.count == 1, let (_, endpoint) = known.first {
            return .endpoint(scheme: scheme, endpoint)
        }
        if known.isEmpty || known.count < handler.upstreams.count {
            let unresolved = handler.upstreams.filter { $0.endpoint == nil }.map(\.raw)
            return .variable(raw: unresolved.isEmpty ? "reverse_proxy (no upstream)" : unresolved.joined(separator: " "))
        }
        return .upstream(scheme: scheme, name: handler.upstreams.map(\.raw).joined(separator: " "),
                         servers: known.map { UpstreamServer(endpoint: $1, source: $0.source) })
    }

    /// The transport's timeouts under the roles nginx's settings play (`read_timeout` is the
    /// wait for the response header), each holding Caddy's own subdirective name and line;
    /// the site's `log` outputs as `access_log`.
    static func settings(_ handler: CaddyProxyHandler, site: CaddySite) -> RouteSettings {
        var values: [String: [RouteSetting]] = [:]
        let transport = handler.transport
        func put(_ role: String, _ setting: CaddySetting?, default value: String? = nil, name: String) {
            if let setting {
                values["\(settingsModule)_\(role)"] = [RouteSetting(name: setting.name, args: setting.args, source: setting.source)]
            } else if let value {
                values["\(settingsModule)_\(role)"] = [RouteSetting(name: name, args: [value], source: nil)]
            }
        }
        put("read_timeout", transport.responseHeaderTimeout, name: "response_header_timeout")
        put("connect_timeout", transport.dialTimeout, default: defaultDialTimeout, name: "dial_timeout")
        put("send_timeout", transport.writeTimeout, name: "write_timeout")
        put("body_read_timeout", transport.readTimeout, name: "read_timeout")
        if let keepalive = transport.keepalive {
            values["upstream.keepalive"] = [RouteSetting(name: keepalive.name, args: keepalive.args, source: keepalive.source)]
        }
        let logs = site.logs.compactMap { log -> RouteSetting? in
            guard let path = log.path, log.output == "file" else { return nil }
            return RouteSetting(name: "access_log", args: [path, log.format ?? "json"], source: log.source)
        }
        if !logs.isEmpty { values["access_log"] = logs }
        return RouteSettings(module: settingsModule, values: values)
    }

    // MARK: Config test

    /// `caddy validate` when Caddy is installed. It provisions the config, which opens (and
    /// creates) every log file the config names, as gwdoctor's user: a log created by root would
    /// then keep Caddy (user `caddy`) from starting. So it runs only when every one exists.
    private func configTest(_ path: String, adapter: String, executable: String?, config: CaddyConfig) async -> ConfigTest? {
        guard options.runConfigTest else { return nil }
        let command = AllowedCommand.caddyValidate(executable: executable, config: path, adapter: adapter)
        let files = (config.global.logs + config.sites.flatMap(\.logs)).compactMap { $0.output == "file" ? $0.path : nil }
        let missing = files.filter { (try? host.status($0, followLinks: true)) == nil }
        if let first = missing.first {
            let result = CommandResult(argv: command.argv, exitCode: nil,
                                       failure: "not run: it would create the missing log file \(first) as gwdoctor's user")
            return ConfigTest(command: result, passed: nil, messages: [])
        }
        let output = await host.run(command, timeout: options.commandTimeout, outputLimit: options.commandOutputLimit)
        return Self.judge(output)
    }

    /// `caddy adapt` (when Caddy is installed) against what gwdoctor read from the Caddyfile: every
    /// disagreement (an upstream, path or timeout one side has and the other not) is said as
    /// unavailable, since then gwdoctor's reading of the file cannot be trusted for that route.
    private func crossCheck(_ path: String, adapter: String, executable: String?, config: CaddyConfig) async -> [Unavailable] {
        guard options.runConfigTest else { return [] }
        let output = await host.run(.caddyAdapt(executable: executable, config: path, adapter: adapter),
                                    timeout: options.commandTimeout, outputLimit: max(options.commandOutputLimit, 1 << 20))
        let what = "caddy adapt cross-check of \(path)"
        if let failure = output.failure {
            // No Caddy binary here (a snapshot from elsewhere, a container): nothing to compare with.
            return failure.contains("not installed") ? [] : [Unavailable(what: what, reason: failure)]
        }
        guard output.exitCode == 0, !output.truncated else {
            let reason = output.truncated ? "its output was longer than the cap" : "exit status \(output.exitCode.map(String.init) ?? "?")"
            return [Unavailable(what: what, reason: reason)]
        }
        switch CaddyJSONConfig.parse(Array(output.stdout.utf8)) {
        case let .failure(error):
            return [Unavailable(what: what, reason: "its JSON could not be read: \(error)")]
        case let .success(adapted):
            return CaddyConfigComparison.compare(config, adapted).map {
                Unavailable(what: what, reason: "caddy adapt disagrees with gwdoctor's reading: \($0)")
            }
        }
    }

    /// `Valid configuration` (exit 0) passes; an adapt or provisioning error fails with its
    /// message (and `Caddyfile:LINE` when it names one); a run that could not judge is `nil`.
    static func judge(_ output: CommandResult) -> ConfigTest {
        guard output.failure == nil, let code = output.exitCode else {
            return ConfigTest(command: output, passed: nil, messages: [])
        }
        if code == 0 { return ConfigTest(command: output, passed: true, messages: []) }
        let lines = (output.stderr + "\n" + output.stdout).split(separator: "\n").map(String.init)
        var messages: [ConfigTestMessage] = []
        for line in lines where line.hasPrefix("Error: ") || line.contains("\"level\":\"error\"") {
            let text = line.hasPrefix("Error: ") ? String(line.dropFirst("Error: ".count)) : line
            messages.append(ConfigTestMessage(level: "error", text: Redactor.redact(text), location: Self.location(in: text)))
        }
        let text = messages.map(\.text).joined(separator: " ")
        // Not the config's fault: gwdoctor's user may not open what Caddy's user can.
        let notJudged = text.contains("permission denied") && !text.contains("adapting config")
        return ConfigTest(command: output, passed: notJudged ? nil : false, messages: messages)
    }

    /// `/etc/caddy/Caddyfile:12` inside an error text.
    static func location(in text: String) -> SourceLocation? {
        for word in text.split(whereSeparator: { $0 == " " || $0 == "," }) {
            let trimmed = word.trimmingCharacters(in: CharacterSet(charactersIn: ":;()"))
            guard trimmed.hasPrefix("/"), let colon = trimmed.lastIndex(of: ":"),
                  let line = Int(trimmed[trimmed.index(after: colon)...]) else { continue }
            return SourceLocation(file: String(trimmed[..<colon]), line: line)
        }
        return nil
    }
}

/// Whether an account exists, read once from /etc/passwd through the host.
enum SharedAccountsLookup {
    static func exists(user: String, host: any Host) -> Bool {
        guard let bytes = try? host.readFile("/etc/passwd", maxBytes: 4 << 20) else { return false }
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n").contains { $0.hasPrefix("\(user):") }
    }
}
