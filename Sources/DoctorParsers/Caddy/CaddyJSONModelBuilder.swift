import DoctorFacts

/// Turns a parsed Caddy JSON document into `CaddyGlobalOptions` and `CaddySite`s; see
/// `CaddyJSONFileParser` for the mapping and what is not read.
struct CaddyJSONModelBuilder {
    let path: String
    var diagnostics: [ConfigDiagnostic] = []

    init(path: String) { self.path = path }

    /// Handlers that pass the request on (never answer it themselves).
    static let middleware: Set<String> = [
        "headers", "encode", "vars", "map", "request_body", "authentication", "push", "templates", "tracing",
        "copy_response_headers", "intercept", "invoke", "log_append",
    ]
    /// Handlers that answer (besides `reverse_proxy`), under their Caddyfile directive names.
    static let responders: [String: String] = [
        "static_response": "respond", "file_server": "file_server", "error": "error", "acme_server": "acme_server",
        "metrics": "metrics", "copy_response": "copy_response",
    ]
    static let durationFields: Set<String> = [
        "dial_timeout", "dial_fallback_delay", "response_header_timeout", "expect_continue_timeout", "read_timeout",
        "write_timeout", "capture_stderr_timeout",
    ]

    func location(_ node: CaddyJSONNode) -> SourceLocation {
        SourceLocation(file: path, line: node.line, pointer: node.pointer)
    }

    // MARK: Document

    mutating func build(_ root: CaddyJSONNode) -> (CaddyGlobalOptions, [CaddySite]) {
        var global = CaddyGlobalOptions(source: location(root))
        if let admin = root["admin"] {
            global.adminDisabled = admin["disabled"]?.bool ?? false
            global.adminAddress = admin["listen"]?.string
            global.options.append(CaddySetting(name: "admin", args: global.adminDisabled ? ["off"] : [global.adminAddress ?? "localhost:2019"],
                                               source: location(admin)))
        }
        let http = root["apps"]?["http"]
        global.httpPort = http?["http_port"]?.int
        global.httpsPort = http?["https_port"]?.int
        let loggers = readLoggers(root["logging"]?["logs"])
        global.logs = loggers.filter { !$0.accessOnly }.map(\.output)

        var sites: [CaddySite] = []
        for (name, server) in http?["servers"]?.members ?? [] {
            guard case .object = server.value else {
                diagnostics.append(ConfigDiagnostic(kind: .syntax, message: "server \(name) is not an object", location: location(server)))
                continue
            }
            sites += self.sites(server, global: global, loggers: loggers)
        }
        return (global, sites)
    }

    // MARK: Logs

    struct Logger {
        var name: String
        var include: [String]
        var exclude: [String]
        var output: CaddyLogOutput
        /// Includes only access loggers: not where Caddy's runtime and proxy errors go.
        var accessOnly: Bool

        /// Whether `logger` (`http.log.access.log0`) is written here: the longest matching
        /// include/exclude entry decides, as in Caddy's `CustomLog.loggerAllowed`.
        func takes(_ logger: String) -> Bool {
            func covers(_ entry: String) -> Bool { logger == entry || logger.hasPrefix(entry + ".") }
            let included = include.filter(covers).map(\.count).max()
            let excluded = exclude.filter(covers).map(\.count).max()
            if include.isEmpty { return excluded == nil }
            guard let included else { return false }
            return excluded.map { included > $0 } ?? true
        }
    }

    func readLoggers(_ logs: CaddyJSONNode?) -> [Logger] {
        var loggers: [Logger] = []
        for (name, log) in logs?.members ?? [] {
            let writer = log["writer"]
            let output = writer?["output"]?.string ?? "stderr"
            let include = log["include"]?.strings ?? []
            loggers.append(Logger(
                name: name, include: include, exclude: log["exclude"]?.strings ?? [],
                output: CaddyLogOutput(path: output == "file" ? writer?["filename"]?.string : nil, output: output,
                                       format: log["encoder"]?["format"]?.string, source: location(log), name: name),
                accessOnly: !include.isEmpty && include.allSatisfy { $0.hasPrefix("http.log.access") }))
        }
        if !loggers.contains(where: { $0.name == "default" }) {
            // Caddy's default logger: stderr, everything no other logger was told to take.
            loggers.append(Logger(name: "default", include: [], exclude: [],
                                  output: CaddyLogOutput(source: SourceLocation(file: path, line: 1, pointer: "/logging/logs/default"),
                                                         name: "default"),
                                  accessOnly: false))
        }
        return loggers
    }

    /// The outputs of a server's access logs for requests to `hosts` (`[]`: host-less routes).
    func accessLogs(_ server: CaddyJSONNode, hosts: [String], ports: [Int], loggers: [Logger]) -> [CaddyLogOutput] {
        guard let logs = server["logs"] else { return [] }
        var names: [String] = []
        let mapped = logs["logger_names"]
        let fallback = logs["default_logger_name"]?.string ?? ""
        let skipUnmapped = logs["skip_unmapped_hosts"]?.bool ?? false
        let skipped = Set(logs["skip_hosts"]?.strings ?? [])
        for host in hosts.isEmpty ? [""] : hosts where !skipped.contains(host) {
            // Caddy looks the Host header up as sent (`a.test:8443` off the default ports), then without port.
            let named = (ports.map { "\(host):\($0)" } + [host]).flatMap { mapped?[$0]?.strings ?? [] }
            if !named.isEmpty {
                names += named
            } else if !(skipUnmapped && !host.isEmpty) {
                names.append(fallback)
            }
        }
        var outputs: [CaddyLogOutput] = []
        for name in names {
            let logger = name.isEmpty ? "http.log.access" : "http.log.access.\(name)"
            for taker in loggers where taker.takes(logger) && !outputs.contains(taker.output) {
                outputs.append(taker.output)
            }
        }
        return outputs
    }

    // MARK: Servers and sites

    /// One listen address: a TCP bind host (nil: every interface) and its ports, or a unix socket bind.
    struct Listen {
        var bind: String?
        var ports: [Int]
    }

    static func listen(_ text: String) -> Listen? {
        var rest = Substring(text)
        if let slash = rest.firstIndex(of: "/"), !rest.hasPrefix("/") {
            let network = rest[..<slash].lowercased()
            if network.hasPrefix("unix") { return Listen(bind: "unix/" + rest[rest.index(after: slash)...], ports: [0]) }
            if ["tcp", "tcp4", "tcp6", "udp", "udp4", "udp6"].contains(network) { rest = rest[rest.index(after: slash)...] }
        }
        var host: Substring
        let portText: Substring
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            guard after.hasPrefix(":") else { return nil }
            portText = after.dropFirst()
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        } else {
            return nil
        }
        var ports: [Int] = []
        if let dash = portText.firstIndex(of: "-"), let low = Int(portText[..<dash]),
           let high = Int(portText[portText.index(after: dash)...]), low <= high, high - low < 256 {
            ports = Array(low...high)
        } else if let port = Int(portText), (0...65535).contains(port) {
            ports = [port]
        }
        guard !ports.isEmpty else { return nil }
        return Listen(bind: host.isEmpty ? nil : String(host), ports: ports)
    }

    /// Whether Caddy serves this server over TLS (see `CaddyJSONFileParser`).
    static func servesTLS(_ server: CaddyJSONNode, ports: [Int], hosts: [String], global: CaddyGlobalOptions) -> Bool {
        if !(server["tls_connection_policies"]?.elements.isEmpty ?? true) { return true }
        let automatic = server["automatic_https"]
        if automatic?["disable"]?.bool == true || ports.isEmpty { return false }
        let skipped = Set(automatic?["skip"]?.strings ?? [])
        let httpPort = global.httpPort ?? 80
        let httpsPort = global.httpsPort ?? 443
        if ports.allSatisfy({ $0 == httpsPort }) { return true }
        let qualifying = hosts.filter { !$0.isEmpty && !$0.contains("{") && !skipped.contains($0) }
        return ports.contains { $0 != httpPort } && !qualifying.isEmpty
    }

    /// Top-level host matchers of a route (every match set), in order.
    static func hosts(_ route: CaddyJSONNode) -> [String] {
        var hosts: [String] = []
        for set in route["match"]?.elements ?? [] {
            for host in set["host"]?.strings ?? [] where !hosts.contains(host) { hosts.append(host) }
        }
        return hosts
    }

    mutating func sites(_ server: CaddyJSONNode, global: CaddyGlobalOptions, loggers: [Logger]) -> [CaddySite] {
        var listens: [Listen] = []
        for entry in server["listen"]?.elements ?? [] {
            guard let text = entry.string else { continue }
            if let listen = Self.listen(text) {
                listens.append(listen)
            } else {
                diagnostics.append(ConfigDiagnostic(kind: .syntax, message: "listen address \(text) is not host:port or unix/PATH",
                                                    location: location(entry)))
            }
        }
        var ports: [Int] = []
        for port in listens.flatMap(\.ports) where !ports.contains(port) { ports.append(port) }
        let tcpPorts = listens.filter { !($0.bind?.hasPrefix("unix/") ?? false) }.flatMap(\.ports)
        let binds: [String] = listens.contains { $0.bind == nil } ? [] : listens.compactMap(\.bind)
        let routes = server["routes"]?.elements ?? []
        let tls = Self.servesTLS(server, ports: tcpPorts, hosts: routes.flatMap(Self.hosts), global: global)

        func addresses(_ hosts: [String]) -> [String] {
            let scheme = tls ? "https" : "http"
            return (hosts.isEmpty ? [""] : hosts).flatMap { host in
                let shown = host.contains(":") ? "[\(host)]" : host
                return ports.map { "\(scheme)://\(shown):\($0)" }
            }
        }

        // Consecutive routes with the same hosts are one site, as a Caddyfile site block is.
        var groups: [(hosts: [String], routes: [CaddyJSONNode])] = []
        for route in routes {
            let hosts = Self.hosts(route)
            if let last = groups.last, last.hosts == hosts {
                groups[groups.count - 1].routes.append(route)
            } else {
                groups.append((hosts, [route]))
            }
        }
        var sites: [CaddySite] = []
        for group in groups {
            var site = CaddySite(addresses: addresses(group.hosts), binds: binds, source: location(group.routes[0]),
                                 logs: accessLogs(server, hosts: group.hosts, ports: ports, loggers: loggers))
            let nodes = walk(group.routes, into: &site, paths: ["*"], prefix: "", context: [], depth: 0, topLevel: true)
            site.routing = [.scope(directive: "route", matcher: .all, children: nodes)]
            sites.append(site)
        }
        if let errors = server["errors"]?["routes"], !errors.elements.isEmpty {
            var site = CaddySite(addresses: addresses(errors.elements.flatMap(Self.hosts)), binds: binds, source: location(errors),
                                 logs: accessLogs(server, hosts: errors.elements.flatMap(Self.hosts), ports: ports, loggers: loggers))
            let nodes = walk(errors.elements, into: &site, paths: ["*"], prefix: "", context: ["handle_errors"], depth: 0, topLevel: true)
            site.routing = [.scope(directive: "handle_errors", matcher: .all, children: nodes)]
            sites.append(site)
        }
        if sites.isEmpty {
            // A server without routes still listens (and answers an empty 200).
            sites.append(CaddySite(addresses: addresses([]), binds: binds, source: location(server),
                                   logs: accessLogs(server, hosts: [], ports: ports, loggers: loggers)))
        }
        return sites
    }

    // MARK: Routes

    /// The route's matcher: `path` patterns, every other condition named (`@path_regexp`);
    /// top-level `host` conditions belong to the site and are not conditions here.
    func matcher(_ match: CaddyJSONNode?, topLevel: Bool) -> CaddyMatcher {
        let sets = match?.elements ?? []
        guard !sets.isEmpty else { return .all }
        var paths: [String] = []
        var catchAll = false
        var kinds: [String] = []
        var definition: [String] = []
        for set in sets {
            let setPaths = set["path"]?.strings ?? []
            if setPaths.isEmpty { catchAll = true }
            paths += setPaths
            for (key, value) in set.members where key != "path" && !(topLevel && key == "host") {
                if !kinds.contains(key) { kinds.append(key) }
                definition.append("\(key) \(Self.summary(value))")
            }
        }
        let effective = catchAll || paths.isEmpty ? ["*"] : paths
        guard !kinds.isEmpty else { return CaddyMatcher(paths: effective) }
        return CaddyMatcher(paths: effective, name: "@" + kinds.joined(separator: "+"),
                            definition: ((paths.isEmpty ? [] : ["path " + paths.joined(separator: " ")]) + definition)
                                .joined(separator: "; "),
                            hasNonPathConditions: true, source: location(match!))
    }

    /// A matcher value as short text: `^/api/` for `path_regexp`, `X-A b` for a header.
    static func summary(_ node: CaddyJSONNode, depth: Int = 0) -> String {
        if let text = node.scalarText { return text }
        guard depth < 3 else { return "…" }
        switch node.value {
        case let .array(elements): return elements.map { summary($0, depth: depth + 1) }.joined(separator: " ")
        case let .object(members):
            if let pattern = node["pattern"]?.string { return pattern }
            return members.map { "\($0.key) \(summary($0.node, depth: depth + 1))" }.joined(separator: " ")
        default: return ""
        }
    }

    /// Walks `routes` in order, filling `site`; the routing nodes of this level.
    mutating func walk(_ routes: [CaddyJSONNode], into site: inout CaddySite, paths: [String], prefix: String,
                       context: [String], depth: Int, topLevel: Bool = false) -> [CaddyRouteNode] {
        guard depth < 64 else {
            diagnostics.append(ConfigDiagnostic(kind: .syntax, message: "routes nested more than 64 subroutes deep; not read further",
                                                location: routes.first.map(location)))
            return []
        }
        var prefix = prefix
        var nodes: [CaddyRouteNode] = []
        for route in routes {
            let match = route["match"]
            let matcher = self.matcher(match, topLevel: topLevel)
            var routePaths = paths
            let narrow = matcher.paths.filter { $0.hasPrefix("/") && $0 != "/*" }
            if !narrow.isEmpty { routePaths = narrow.map { prefix + $0 } }
            let hasMatch = !(match?.elements.isEmpty ?? true)
            let scopeMatcher = topLevel && !matcher.hasNonPathConditions && matcher.paths == ["*"] ? CaddyMatcher.all : matcher
            let routeContext = hasMatch && scopeMatcher != .all ? context + ["route \(matcher)"] : context
            var children: [CaddyRouteNode] = []
            var stripped = false
            for handler in route["handle"]?.elements ?? [] {
                let name = handler["handler"]?.string
                switch name {
                case "subroute":
                    let inner = walk(handler["routes"]?.elements ?? [], into: &site, paths: routePaths, prefix: prefix,
                                     context: routeContext + ["subroute"], depth: depth + 1)
                    children.append(.scope(directive: "route", matcher: .all, children: inner))
                case "reverse_proxy":
                    site.handlers.append(proxy(handler, matcher: stripped ? .all : scopeMatcher, context: routeContext,
                                               routePaths: routePaths))
                    children.append(.proxy(site.handlers.count - 1))
                case "rewrite":
                    if let strip = handler["strip_path_prefix"]?.string {
                        // handle_path's strip: later siblings match the stripped path.
                        if !hasMatch { prefix += strip }
                        stripped = true
                        children.append(.stripPrefix(strip))
                    }
                case let name? where Self.middleware.contains(name):
                    break
                default:
                    var directive = name.flatMap { Self.responders[$0] } ?? name ?? "(handler without a name)"
                    var args: [String] = []
                    if name == "static_response" {
                        let status = handler["status_code"]?.scalarText
                        if let status, status.hasPrefix("3"), let target = handler["headers"]?["Location"]?.strings.first {
                            directive = "redir"
                            args = [target, status]
                        } else if let status {
                            args = [status]
                        }
                    } else if name == "file_server", let root = handler["root"]?.string {
                        args = [root]
                    }
                    site.otherHandlers.append(CaddyOtherHandler(directive: directive, matcher: stripped ? .all : scopeMatcher,
                                                                context: routeContext, args: args, source: location(handler),
                                                                routePaths: routePaths))
                    // A plugin's handler may as well be middleware: it does not take paths from proxies.
                    if let name, Self.responders[name] != nil { children.append(.other(site.otherHandlers.count - 1)) }
                }
            }
            if hasMatch, scopeMatcher != .all {
                nodes.append(.scope(directive: "route", matcher: scopeMatcher, children: children))
            } else {
                // No condition: its strips apply to the routes after it, as Caddy runs them.
                nodes += children
            }
        }
        return nodes
    }

    // MARK: reverse_proxy

    mutating func proxy(_ handler: CaddyJSONNode, matcher: CaddyMatcher, context: [String], routePaths: [String]) -> CaddyProxyHandler {
        let transportNode = handler["transport"]
        var transport = CaddyTransport(protocolName: transportNode?["protocol"]?.string ?? "http",
                                       source: transportNode.map(location))
        var tls = false
        for (key, value) in transportNode?.members ?? [] where key != "protocol" {
            switch key {
            case "keep_alive":
                if value["enabled"]?.bool == false {
                    transport.settings.append(CaddySetting(name: "keepalive", args: ["off"], source: location(value)))
                } else if let idle = value["idle_timeout"], let text = Self.duration(idle) {
                    transport.settings.append(CaddySetting(name: "keepalive", args: [text], source: location(idle)))
                }
            case "tls":
                tls = true
                transport.settings.append(CaddySetting(name: "tls", source: location(value)))
            case let name where Self.durationFields.contains(name):
                if let text = Self.duration(value) { transport.settings.append(CaddySetting(name: name, args: [text], source: location(value))) }
            default:
                if let text = value.scalarText {
                    transport.settings.append(CaddySetting(name: key, args: [text], source: location(value)))
                } else if case .array = value.value {
                    transport.settings.append(CaddySetting(name: key, args: value.strings, source: location(value)))
                }
            }
        }
        var upstreams: [CaddyUpstream] = []
        for upstream in handler["upstreams"]?.elements ?? [] {
            guard let dialNode = upstream["dial"], let dial = dialNode.string else {
                upstreams.append(CaddyUpstream(raw: "(upstream without dial)", endpoint: nil, source: location(upstream)))
                continue
            }
            for endpoint in CaddyUpstreamAddress.endpoints(dial: dial) {
                upstreams.append(CaddyUpstream(raw: dial, endpoint: endpoint, source: location(dialNode), scheme: tls ? "https" : nil))
            }
        }
        if let dynamic = handler["dynamic_upstreams"] {
            upstreams.append(CaddyUpstream(raw: "dynamic_upstreams \(dynamic["source"]?.string ?? "?")", endpoint: nil,
                                           source: location(dynamic)))
        }
        var options: [CaddySetting] = []
        func option(_ name: String, _ node: CaddyJSONNode?, duration: Bool = false) {
            guard let node, let text = duration ? Self.duration(node) : node.scalarText else { return }
            options.append(CaddySetting(name: name, args: [text], source: location(node)))
        }
        let balancing = handler["load_balancing"]
        option("lb_policy", balancing?["selection_policy"]?["policy"])
        option("lb_try_duration", balancing?["try_duration"], duration: true)
        option("lb_try_interval", balancing?["try_interval"], duration: true)
        let health = handler["health_checks"]
        option("health_uri", health?["active"]?["uri"] ?? health?["active"]?["path"])
        option("health_port", health?["active"]?["port"])
        option("fail_duration", health?["passive"]?["fail_duration"], duration: true)
        option("max_fails", health?["passive"]?["max_fails"])
        option("flush_interval", handler["flush_interval"], duration: true)
        return CaddyProxyHandler(directive: "reverse_proxy", matcher: matcher, context: context, upstreams: upstreams,
                                 transport: transport, source: location(handler), options: options, routePaths: routePaths)
    }

    /// A JSON duration as Go writes it: integer nanoseconds (`90000000000` → `1m30s`,
    /// `500000000` → `500ms`) or Caddy's duration string as written (`"3s"`).
    static func duration(_ node: CaddyJSONNode) -> String? {
        if let text = node.string { return text }
        guard case let .number(text) = node.value else { return nil }
        guard let nanoseconds = Int(text) else { return Double(text).map { "\($0 / 1e9)s" } }
        if nanoseconds == 0 { return "0s" }
        if nanoseconds % 1_000_000_000 != 0 {
            return nanoseconds % 1_000_000 == 0 ? "\(nanoseconds / 1_000_000)ms" : "\(nanoseconds)ns"
        }
        var seconds = nanoseconds / 1_000_000_000
        var out = ""
        if seconds >= 3600 { out += "\(seconds / 3600)h"; seconds %= 3600 }
        if seconds >= 60 || !out.isEmpty { out += "\(seconds / 60)m"; seconds %= 60 }
        return out + "\(seconds)s"
    }
}
