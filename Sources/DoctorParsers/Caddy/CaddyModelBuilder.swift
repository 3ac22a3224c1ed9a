import DoctorFacts

/// Turns parsed server blocks into the `CaddyConfig` model: global options, and per site
/// its addresses, binds, logs, named matchers, proxies and the non-proxy handlers that
/// can answer a path first.
struct CaddyModelBuilder {
    private(set) var diagnostics: [ConfigDiagnostic] = []

    /// Directives whose block holds more handlers, and whose first argument may be a matcher.
    static let scopeDirectives: Set<String> = ["handle", "handle_path", "route", "handle_errors"]
    /// Terminal handlers that are not proxies.
    static let otherTerminalDirectives: Set<String> = [
        "respond", "redir", "file_server", "static_response", "error", "abort", "acme_server", "metrics",
    ]
    /// php_fastcgi subdirectives that belong to its fastcgi transport.
    static let fastcgiTransportSettings: Set<String> = [
        "root", "split", "env", "resolve_root_symlink", "dial_timeout", "read_timeout", "write_timeout",
        "capture_stderr",
    ]

    mutating func build(_ blocks: [CaddyServerBlock]) -> (CaddyGlobalOptions, [CaddySite]) {
        var global = CaddyGlobalOptions()
        var sites: [CaddySite] = []
        for (index, block) in blocks.enumerated() {
            if block.keys.isEmpty {
                if index == 0 { global = globalOptions(block) }
                continue
            }
            sites.append(site(block))
        }
        return (global, sites)
    }

    private mutating func report(_ message: String, at location: SourceLocation) {
        diagnostics.append(ConfigDiagnostic(kind: .syntax, message: message, location: location))
    }

    // MARK: Global options

    private mutating func globalOptions(_ block: CaddyServerBlock) -> CaddyGlobalOptions {
        var options = CaddyGlobalOptions(source: block.location)
        for directive in block.directives {
            let args = directive.argTexts
            options.options.append(CaddySetting(name: directive.name.text, args: args, source: directive.location))
            switch directive.name.text {
            case "admin":
                if args.first == "off" {
                    options.adminDisabled = true
                } else if let address = args.first {
                    options.adminAddress = address
                }
            case "http_port":
                options.httpPort = port(args, directive)
            case "https_port":
                options.httpsPort = port(args, directive)
            case "auto_https":
                options.autoHTTPS = args.first
            case "default_bind":
                options.defaultBind += args
            case "log":
                options.logs.append(log(directive))
            default:
                break
            }
        }
        return options
    }

    private mutating func port(_ args: [String], _ directive: CaddyDirective) -> Int? {
        guard args.count == 1, let port = Int(args[0]), (0...65535).contains(port) else {
            report("\(directive.name.text) needs one port number, got \(args.joined(separator: " "))", at: directive.location)
            return nil
        }
        return port
    }

    /// `log [name] { output file PATH { … }; format json }` (global or site).
    private func log(_ directive: CaddyDirective) -> CaddyLogOutput {
        var output = CaddyLogOutput(source: directive.location)
        if let name = directive.args.first?.text { output.name = name }
        for setting in directive.block ?? [] {
            switch setting.name.text {
            case "output":
                let args = setting.argTexts
                output.output = args.first ?? "stderr"
                if output.output == "file" { output.path = args.count > 1 ? args[1] : nil }
                if output.output == "net" { output.path = nil }
            case "format":
                output.format = setting.args.first?.text
            default:
                break
            }
        }
        return output
    }

    // MARK: Sites

    private struct Scope {
        var directive: String
        var matcher: CaddyMatcher
        var text: String
        /// A `uri strip_prefix` in effect: not an enclosing block, but the paths below it
        /// are matched with this prefix removed.
        var strip: String?
    }

    private mutating func site(_ block: CaddyServerBlock) -> CaddySite {
        var site = CaddySite(addresses: block.keys.map(\.text), source: block.location)
        var matchers: [String: CaddyNamedMatcher] = [:]
        collectMatchers(block.directives, into: &matchers, site: &site)
        site.routing = walk(block.directives, scopes: [], matchers: matchers, site: &site)
        return site
    }

    /// Named matchers of the site, wherever they are defined (Caddy scopes them to the
    /// block they are in; a name is rarely reused, and a use before its block still needs it).
    private mutating func collectMatchers(_ directives: [CaddyDirective], into matchers: inout [String: CaddyNamedMatcher],
                                          site: inout CaddySite) {
        for directive in directives {
            let name = directive.name.text
            if name.hasPrefix("@"), name.count > 1 {
                let matcher = namedMatcher(directive)
                if matchers[name] == nil { matchers[name] = matcher }
                site.namedMatchers.append(matcher)
            } else if Self.scopeDirectives.contains(name), let block = directive.block {
                collectMatchers(block, into: &matchers, site: &site)
            }
        }
    }

    private func namedMatcher(_ directive: CaddyDirective) -> CaddyNamedMatcher {
        var conditions: [(name: String, args: [String])] = []
        if let first = directive.args.first {
            let rest = directive.args.dropFirst().map(\.text)
            if first.quoted && rest.isEmpty {
                conditions.append(("expression", [first.text]))
            } else {
                conditions.append((first.text, rest))
            }
        }
        for line in directive.block ?? [] {
            conditions.append((line.name.text, line.argTexts))
        }
        let paths = conditions.filter { $0.name == "path" }.flatMap(\.args)
        let definition = conditions.map { ([$0.name] + $0.args).joined(separator: " ") }.joined(separator: "; ")
        return CaddyNamedMatcher(name: directive.name.text, paths: paths, definition: definition,
                                 hasNonPathConditions: conditions.contains { $0.name != "path" },
                                 source: directive.location)
    }

    /// Whether a token is a matcher token in first-argument position (Caddy's rule).
    static func isMatcherToken(_ token: CaddyToken) -> Bool {
        !token.quoted && (token.text == "*" || token.text.hasPrefix("/") || token.text.hasPrefix("@"))
    }

    /// The directive's matcher and its remaining arguments.
    private mutating func matcher(of directive: CaddyDirective, matchers: [String: CaddyNamedMatcher])
        -> (CaddyMatcher, [CaddyToken]) {
        guard let first = directive.args.first, Self.isMatcherToken(first) else { return (.all, directive.args) }
        let rest = Array(directive.args.dropFirst())
        if first.text == "*" { return (.all, rest) }
        if first.text.hasPrefix("/") { return (CaddyMatcher(paths: [first.text]), rest) }
        guard let named = matchers[first.text] else {
            report("matcher \(first.text) is not defined in this site", at: directive.location)
            return (CaddyMatcher(paths: ["*"], name: first.text, hasNonPathConditions: true), rest)
        }
        return (CaddyMatcher(paths: named.paths.isEmpty ? ["*"] : named.paths, name: named.name,
                             definition: named.definition, hasNonPathConditions: named.hasNonPathConditions,
                             source: named.source), rest)
    }

    /// `uri strip_prefix P` without a matcher: the path is rewritten before later
    /// handlers match it. Caddy sorts `uri` before every handler, so in a sorted block it
    /// applies to all of them; in a `route` block only to those written after it.
    private static func stripPrefix(_ directive: CaddyDirective) -> String? {
        guard directive.name.text == "uri", directive.args.count == 2, directive.args[0].text == "strip_prefix" else {
            return nil
        }
        return directive.args[1].text
    }

    /// Adds the handlers of `directives` to `site` and returns them as route nodes.
    @discardableResult
    private mutating func walk(_ directives: [CaddyDirective], scopes outerScopes: [Scope], ordered: Bool = false,
                               matchers: [String: CaddyNamedMatcher], site: inout CaddySite) -> [CaddyRouteNode] {
        var nodes: [CaddyRouteNode] = []
        var scopes = outerScopes
        if !ordered {
            for strip in directives.compactMap(Self.stripPrefix) {
                scopes.append(Scope(directive: "uri", matcher: .all, text: "uri strip_prefix \(strip)", strip: strip))
            }
        }
        for directive in directives {
            let name = directive.name.text
            if let strip = Self.stripPrefix(directive) {
                nodes.append(.stripPrefix(strip))
                if ordered {
                    scopes.append(Scope(directive: "uri", matcher: .all, text: "uri strip_prefix \(strip)", strip: strip))
                }
            }
            let context = scopes.filter { $0.strip == nil }.map(\.text)
            switch name {
            case "bind":
                site.binds += directive.argTexts
                site.bindSources.append(directive.location)
            case "log":
                site.logs.append(log(directive))
            case "reverse_proxy", "php_fastcgi":
                nodes.append(.proxy(site.handlers.count))
                site.handlers.append(proxy(directive, scopes: scopes, context: context, matchers: matchers))
            case _ where Self.scopeDirectives.contains(name):
                let (matcher, _) = self.matcher(of: directive, matchers: matchers)
                let text = ([name] + directive.args.map(\.written)).joined(separator: " ")
                // Error routes are a separate route list in Caddy: rewrites of the site do not carry over.
                let base = name == "handle_errors" ? scopes.filter { $0.strip == nil } : scopes
                let children = walk(directive.block ?? [], scopes: base + [Scope(directive: name, matcher: matcher, text: text)],
                                    ordered: name == "route", matchers: matchers, site: &site)
                nodes.append(.scope(directive: name, matcher: matcher, children: children))
            case _ where Self.otherTerminalDirectives.contains(name):
                let (matcher, args) = self.matcher(of: directive, matchers: matchers)
                nodes.append(.other(site.otherHandlers.count))
                site.otherHandlers.append(CaddyOtherHandler(
                    directive: name, matcher: matcher, context: context, args: args.map(\.text),
                    source: directive.location, routePaths: Self.routePaths(scopes: scopes, own: matcher)))
            default:
                break
            }
        }
        return nodes
    }

    private mutating func proxy(_ directive: CaddyDirective, scopes: [Scope], context: [String],
                                matchers: [String: CaddyNamedMatcher]) -> CaddyProxyHandler {
        let isFastCGI = directive.name.text == "php_fastcgi"
        let (matcher, args) = self.matcher(of: directive, matchers: matchers)
        var handler = CaddyProxyHandler(
            directive: directive.name.text, matcher: matcher, context: context,
            transport: CaddyTransport(protocolName: isFastCGI ? "fastcgi" : "http", source: isFastCGI ? directive.location : nil),
            source: directive.location, routePaths: Self.routePaths(scopes: scopes, own: matcher))
        handler.upstreams = args.flatMap(upstreams)
        for line in directive.block ?? [] {
            let setting = CaddySetting(name: line.name.text, args: line.argTexts, source: line.location)
            switch line.name.text {
            case "to":
                handler.upstreams += line.args.flatMap(upstreams)
            case "transport":
                handler.transport.protocolName = line.args.first?.text ?? "http"
                handler.transport.source = line.location
                handler.transport.settings += (line.block ?? []).map {
                    CaddySetting(name: $0.name.text, args: $0.argTexts, source: $0.location)
                }
            case _ where isFastCGI && Self.fastcgiTransportSettings.contains(line.name.text):
                handler.transport.settings.append(setting)
            default:
                handler.options.append(setting)
            }
        }
        return handler
    }

    private func upstreams(_ token: CaddyToken) -> [CaddyUpstream] {
        let (scheme, endpoints) = CaddyUpstreamAddress.endpoints(token.text)
        let source = SourceLocation(file: token.file, line: token.line)
        return endpoints.map { CaddyUpstream(raw: token.written, endpoint: $0, source: source, scheme: scheme) }
    }

    // MARK: Paths

    /// The paths a handler serves as the client sends them: the innermost path condition
    /// wins (both must match in Caddy, so the inner one is the narrower in any config that
    /// works), with the prefixes `handle_path` and `uri strip_prefix` strip put back in front. Patterns not
    /// starting with `/` (`*.php`) do not narrow the route. `["*"]` for every path.
    static func routePaths(scopes: [(directive: String, paths: [String], strip: String?)]) -> [String] {
        var paths = ["*"]
        var prefix = ""
        for scope in scopes {
            if let strip = scope.strip {
                prefix += strip
                continue
            }
            let narrow = scope.paths.filter { $0.hasPrefix("/") && $0 != "/*" }
            guard !narrow.isEmpty else { continue }
            paths = narrow.map { prefix + $0 }
            if scope.directive == "handle_path" {
                var stripped = Substring(narrow[0])
                while stripped.hasSuffix("*") { stripped = stripped.dropLast() }
                while stripped.hasSuffix("/") { stripped = stripped.dropLast() }
                prefix += stripped
            }
        }
        return paths
    }

    private static func routePaths(scopes: [Scope], own: CaddyMatcher) -> [String] {
        routePaths(scopes: scopes.map { ($0.directive, $0.matcher.paths, $0.strip) } + [("", own.paths, nil)])
    }
}
