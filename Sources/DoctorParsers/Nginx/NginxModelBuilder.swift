import DoctorFacts

/// Walks a directive tree by nginx context (main → http → server → location) and
/// fills an `NginxModel`. Only the contexts nginx reads these directives in are
/// entered, so a `map`, `types` or `geo` body is never mistaken for directives.
struct NginxModelBuilder {
    let prefix: String
    var model = NginxModel()
    /// Lower-cased upstream name → name as written and servers (nginx compares names case-insensitively).
    private var upstreamsByKey: [String: (name: String, servers: [UpstreamServer])] = [:]
    /// Lower-cased upstream name → its group-level settings (`upstream.keepalive`, …).
    private var upstreamSettings: [String: RouteSettingScope] = [:]

    init(prefix: String) {
        self.prefix = prefix
    }

    /// Upstream groups first: a pass may name a group defined further down.
    mutating func collectUpstreams(_ main: [NginxDirective]) {
        for http in main where NginxKeyword(http.name) == .http {
            for upstream in http.block ?? [] where NginxKeyword(upstream.name) == .upstream {
                guard let name = upstream.args.first else { continue }
                var servers: [UpstreamServer] = []
                var groupSettings = RouteSettingScope()
                for directive in upstream.block ?? [] where NginxRouteDirectives.upstreamDirectives.contains(directive.name) {
                    groupSettings["upstream." + directive.name] = [RouteSetting(name: "upstream." + directive.name,
                                                                                args: directive.args,
                                                                                source: directive.location)]
                }
                for server in upstream.block ?? [] where NginxKeyword(server.name) == .server {
                    guard let address = server.args.first else { continue }
                    guard let endpoint = NginxAddress.endpoint(address, defaultPort: 80) else {
                        note("cannot parse upstream server address \"\(address)\"", at: server.location)
                        continue
                    }
                    servers.append(UpstreamServer(endpoint: endpoint, parameters: Array(server.args.dropFirst()),
                                                  source: server.location))
                }
                // A second definition is an nginx error ("duplicate upstream"); the first one wins there too.
                if upstreamsByKey[name.lowercased()] == nil {
                    upstreamsByKey[name.lowercased()] = (name, servers)
                    upstreamSettings[name.lowercased()] = groupSettings
                    model.upstreams[name] = servers
                }
            }
        }
    }

    mutating func walkMain(_ directives: [NginxDirective]) {
        for directive in directives {
            switch NginxKeyword(directive.name) {
            case .user:
                guard let name = directive.args.first else { continue }
                model.user = NginxUser(name: name, group: directive.args.dropFirst().first, source: directive.location)
            case .pid:
                guard let path = directive.args.first else { continue }
                model.pidFile = resolvePath(path)
                model.pidFileSource = directive.location
            case .http:
                walkHTTP(directive.block ?? [])
            case .stream, .mail:
                walkOtherProtocol(directive.block ?? [])
            default:
                noteCommon(directive, inHTTP: false)
            }
        }
    }

    private mutating func walkHTTP(_ directives: [NginxDirective]) {
        let scope = inherit(RouteSettingScope(), directives)
        for index in directives.indices {
            let keyword = NginxKeyword(directives[index].name)
            switch keyword {
            case .server:
                walkServer(directives[index], inherited: scope)
            case .logFormat:
                addLogFormat(directives[index])
            case .errorLog, .accessLog, .resolver:
                noteCommon(directives[index], keyword: keyword, inHTTP: true)
            default:
                break
            }
        }
    }

    /// `stream {}` and `mail {}`: their servers bind sockets, but carry no HTTP routes.
    private mutating func walkOtherProtocol(_ directives: [NginxDirective]) {
        for directive in directives {
            if NginxKeyword(directive.name) == .server {
                for listen in directive.block ?? [] where NginxKeyword(listen.name) == .listen { addListen(listen) }
                for inner in directive.block ?? [] { noteCommon(inner, inHTTP: false) }
            } else {
                noteCommon(directive, inHTTP: false)
            }
        }
    }

    /// A pass directive found in a server, before the server's listens and names are known.
    private struct PendingRoute {
        var location: String
        var directive: NginxDirective
        /// Settings in effect where the pass is written.
        var scope: RouteSettingScope
    }

    private mutating func walkServer(_ server: NginxDirective, inherited: RouteSettingScope) {
        var listens: [String] = []
        var names: [String] = []
        var pending: [PendingRoute] = []
        let body = server.block ?? []
        // A server's directives apply to all its locations wherever they are written in the block.
        let scope = inherit(inherited, body)
        for index in body.indices {
            let keyword = NginxKeyword(body[index].name)
            switch keyword {
            case .listen:
                listens.append(body[index].args.joined(separator: " "))
                addListen(body[index])
            case .serverName:
                names.append(contentsOf: body[index].args)
            case .location:
                walkLocation(body[index], inherited: scope, into: &pending)
            case .if:
                // `if` at server level only allows rewrite directives in nginx; a pass
                // here fails `nginx -t`, but the route is still what the author meant.
                collectPasses(body[index].block ?? [], location: "/", inherited: scope, into: &pending)
            case .pass:
                pending.append(PendingRoute(location: "/", directive: body[index], scope: scope))
            case .errorLog, .accessLog, .resolver:
                noteCommon(body[index], keyword: keyword, inHTTP: true)
            default:
                // Not even copied: most directives of a server are of no interest here.
                break
            }
        }
        if listens.isEmpty {
            listens = ["80"]
            model.listens.append(ListenDirective(raw: "80", endpoint: .tcp(host: "0.0.0.0", port: 80),
                                                 source: server.location))
        }
        if names.isEmpty { names = [""] }
        for route in pending {
            guard let argument = route.directive.args.first else {
                note("\"\(route.directive.name)\" has no target", at: route.directive.location)
                continue
            }
            guard let target = NginxAddress.passTarget(directive: route.directive.name, argument: argument,
                                                       upstreams: upstreamsByKey) else {
                note("cannot parse \(route.directive.name) target \"\(argument)\"", at: route.directive.location)
                continue
            }
            model.routes.append(Route(proxy: .nginx, listen: listens, serverNames: names, location: route.location,
                                      directive: route.directive.name, target: target,
                                      source: route.directive.location,
                                      settings: settings(pass: route.directive.name, scope: route.scope, target: target)))
        }
    }

    private mutating func walkLocation(_ location: NginxDirective, inherited: RouteSettingScope,
                                       into pending: inout [PendingRoute]) {
        let path = Self.locationLabel(location.args)
        let body = location.block ?? []
        let scope = inherit(inherited, body)
        for index in body.indices {
            let keyword = NginxKeyword(body[index].name)
            switch keyword {
            case .location:
                walkLocation(body[index], inherited: scope, into: &pending)
            case .if, .limitExcept:
                collectPasses(body[index].block ?? [], location: path, inherited: scope, into: &pending)
            case .pass:
                pending.append(PendingRoute(location: path, directive: body[index], scope: scope))
            case .errorLog, .accessLog, .resolver:
                noteCommon(body[index], keyword: keyword, inHTTP: true)
            default:
                // Not even copied: most directives of a server are of no interest here.
                break
            }
        }
    }

    /// Passes (and logs) inside `if` / `limit_except`, which belong to the enclosing location.
    private mutating func collectPasses(_ directives: [NginxDirective], location: String,
                                        inherited: RouteSettingScope, into pending: inout [PendingRoute]) {
        // `if` and `limit_except` are nested location configurations in nginx: they inherit and override.
        let scope = inherit(inherited, directives)
        for index in directives.indices {
            let keyword = NginxKeyword(directives[index].name)
            switch keyword {
            case .pass:
                pending.append(PendingRoute(location: location, directive: directives[index], scope: scope))
            case .if, .limitExcept:
                collectPasses(directives[index].block ?? [], location: location, inherited: scope, into: &pending)
            case .errorLog, .accessLog, .resolver:
                noteCommon(directives[index], keyword: keyword, inHTTP: true)
            default:
                break
            }
        }
    }

    /// `location` arguments as routes name them: modifier and path separated by one
    /// space (`= /health`, `~* \.php$`), also when written together (`=/health`).
    static func locationLabel(_ args: [String]) -> String {
        if args.count >= 2 { return "\(args[0]) \(args[1])" }
        guard let only = args.first else { return "" }
        let bytes = only.utf8
        guard let first = bytes.first, first == UInt8(ascii: "=") || first == UInt8(ascii: "~") || first == UInt8(ascii: "^")
        else { return only }
        for modifier in ["~*", "^~", "=", "~"] where only.hasPrefix(modifier) && bytes.count > modifier.utf8.count {
            return "\(modifier) \(only.dropFirst(modifier.count))"
        }
        return only
    }

    // MARK: Route settings

    /// `parent` overridden by the tracked directives written directly in `body`.
    private func inherit(_ parent: RouteSettingScope, _ body: [NginxDirective]) -> RouteSettingScope {
        var own = RouteSettingScope()
        for directive in body where NginxRouteDirectives.isTracked(directive.name) {
            var args = directive.args
            if directive.name == "access_log", let target = args.first {
                args[0] = resolveLogTarget(target)
                // The format is optional (`combined`); spelled out so readers find it at args[1].
                if target != "off" && (args.count == 1 || args[1].contains("=")) { args.insert("combined", at: 1) }
            }
            own[directive.name, default: []].append(RouteSetting(name: directive.name, args: args,
                                                                 source: directive.location))
        }
        var scope = parent
        for (name, entries) in own {
            // An array directive written at this level replaces the inherited list; a plain one overrides.
            scope[name] = NginxRouteDirectives.arrayDirectives.contains(name) ? entries : [entries[entries.count - 1]]
        }
        return scope
    }

    /// The route's settings: its module's directives in scope, its upstream group's, then defaults.
    private func settings(pass: String, scope: RouteSettingScope, target: RouteTarget) -> RouteSettings {
        let module = pass.hasSuffix("_pass") ? String(pass.dropLast(5)) : "proxy"
        var values = scope.filter { NginxRouteDirectives.belongs($0.key, to: module) }
        if case let .upstream(_, name, _) = target, let group = upstreamSettings[name.lowercased()] {
            values.merge(group) { _, group in group }
        }
        let defaultLog = resolvePath("logs/access.log")
        for (name, args) in NginxRouteDirectives.defaults(module: module, accessLog: defaultLog,
                                                       upstreamKeepalive: values["upstream.keepalive"] != nil)
        where values[name] == nil {
            values[name] = [RouteSetting(name: name, args: args, source: nil)]
        }
        // nginx adds `Host $proxy_host` and `Connection close` to whatever proxy_set_header list is in effect.
        if module == "proxy" {
            var headers = values["proxy_set_header"] ?? []
            for (header, value) in [("Host", "$proxy_host"), ("Connection", "close")]
            where !headers.contains(where: { $0.args.first?.lowercased() == header.lowercased() }) {
                headers.append(RouteSetting(name: "proxy_set_header", args: [header, value], source: nil))
            }
            values["proxy_set_header"] = headers
        }
        return RouteSettings(module: module, values: values)
    }

    // MARK: Directives valid in several contexts

    private mutating func noteCommon(_ directive: NginxDirective, inHTTP: Bool) {
        noteCommon(directive, keyword: NginxKeyword(directive.name), inHTTP: inHTTP)
    }

    private mutating func noteCommon(_ directive: NginxDirective, keyword: NginxKeyword, inHTTP: Bool) {
        switch keyword {
        case .errorLog:
            guard let target = directive.args.first else { return }
            model.errorLogs.append(LogFileDirective(path: resolveLogTarget(target),
                                                    qualifier: directive.args.dropFirst().first ?? "error",
                                                    source: directive.location))
        case .accessLog where inHTTP:
            guard let target = directive.args.first else { return }
            let format = target == "off" ? nil : (directive.args.dropFirst().first ?? "combined")
            model.accessLogs.append(LogFileDirective(path: resolveLogTarget(target), qualifier: format,
                                                     source: directive.location))
        case .resolver:
            model.resolvers.append(directive.location)
        default:
            break
        }
    }

    private mutating func addListen(_ directive: NginxDirective) {
        guard let address = directive.args.first else {
            note("\"listen\" has no address", at: directive.location)
            return
        }
        let endpoint = NginxAddress.endpoint(address, defaultPort: 80, bareNumberIsPort: true)
        if endpoint == nil { note("cannot parse listen address \"\(address)\"", at: directive.location) }
        model.listens.append(ListenDirective(raw: directive.args.joined(separator: " "), endpoint: endpoint,
                                             source: directive.location))
    }

    private mutating func addLogFormat(_ directive: NginxDirective) {
        guard let name = directive.args.first else { return }
        var parts = directive.args.dropFirst()
        if let first = parts.first, first.hasPrefix("escape=") { parts = parts.dropFirst() }
        // nginx refuses to redefine `combined`; the built-in stays authoritative.
        guard name != "combined" else { return }
        model.logFormats[name] = parts.joined()
    }

    private mutating func note(_ message: String, at location: SourceLocation) {
        model.diagnostics.append(ConfigDiagnostic(kind: .syntax, message: message, location: location))
    }

    // MARK: Paths

    private func resolveLogTarget(_ target: String) -> String {
        if target == "off" || target == "stderr" || target.hasPrefix("syslog:") || target.hasPrefix("memory:") {
            return target
        }
        return resolvePath(target)
    }

    private func resolvePath(_ path: String) -> String {
        if path.hasPrefix("/") || prefix.isEmpty { return path }
        return prefix.hasSuffix("/") ? prefix + path : prefix + "/" + path
    }
}
