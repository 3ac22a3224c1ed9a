import DoctorFacts
@testable import DoctorParsers
import Foundation
import Testing

/// Real Caddyfiles (Fixtures/caddy/caddyfiles), each accepted by `caddy validate` 2.6.2,
/// stored with the JSON `caddy adapt` 2.6.2 printed for it. Every test reads the
/// Caddyfile with `CaddyfileParser` and checks it against Caddy's own reading.
@Suite("Caddyfile: real configs against caddy adapt")
struct CaddyRealConfigTests {
    private func load(_ name: String) throws -> (config: CaddyConfig, adapted: CaddyJSONConfig, root: String) {
        let root = try Fixtures.root("caddy/caddyfiles/\(name)")
        let config = CaddyfileParser.parse(path: root + "/Caddyfile", reader: DirectoryConfigReader())
        let json = try Array(Data(contentsOf: URL(fileURLWithPath: root + "/adapt.json")))
        let adapted = try CaddyJSONConfig.parse(json).get()
        return (config, adapted, root)
    }

    private func endpoints(_ config: CaddyConfig) -> Set<Endpoint> {
        Set(config.proxyHandlers.flatMap(\.upstreams).compactMap(\.endpoint))
    }

    private func endpoints(_ adapted: CaddyJSONConfig) -> Set<Endpoint> {
        Set(adapted.proxies.flatMap(\.endpoints).compactMap { $0 })
    }

    @Test(arguments: ["multisite", "snippets", "matchers", "django", "php", "braceless", "mixed"])
    func agreesWithCaddyAdaptOnEveryUpstreamPathAndPort(name: String) throws {
        let (config, adapted, _) = try load(name)
        #expect(config.diagnostics == [])
        #expect(!adapted.proxies.isEmpty)
        #expect(endpoints(config) == endpoints(adapted))
        // Paths per upstream, compared here directly as well as through the comparison helper.
        for proxy in adapted.proxies {
            for endpoint in proxy.endpoints.compactMap({ $0 }) {
                let ours = Set(config.proxyHandlers.filter { $0.upstreams.contains { $0.endpoint == endpoint } }
                    .flatMap(\.routePaths))
                #expect(ours == Set(proxy.paths), "paths to \(endpoint)")
            }
        }
        #expect(CaddyConfigComparison.compare(config, adapted) == [])
    }

    @Test func multisite() throws {
        let (config, adapted, root) = try load("multisite")
        let file = root + "/Caddyfile"
        #expect(config.files == [file])
        #expect(config.global.adminDisabled && adapted.adminDisabled)
        #expect(config.global.logs == [CaddyLogOutput(path: "/var/log/caddy/caddy.log", output: "file", format: "json",
                                                      source: SourceLocation(file: file, line: 6))])
        #expect(adapted.logs.first { $0.name == "default" }?.filename == "/var/log/caddy/caddy.log")
        #expect(config.sites.map(\.addresses) == [
            ["example.com", "www.example.com"], ["api.example.com"], ["admin.example.com:8443"],
            ["http://status.example.com:8080"],
        ])
        let shop = config.sites[0]
        #expect(shop.source == SourceLocation(file: file, line: 16))
        #expect(shop.logs.map(\.path) == ["/var/log/caddy/example.com-access.log"])
        #expect(shop.handlers.count == 1)
        #expect(shop.handlers[0].context == ["handle"])
        #expect(shop.handlers[0].upstreams.map(\.raw) == ["127.0.0.1:8000"])
        #expect(shop.otherHandlers.map(\.directive) == ["file_server"])
        #expect(shop.otherHandlers[0].routePaths == ["/static/*"])

        let api = config.sites[1].handlers[0]
        #expect(api.upstreams.map(\.endpoint) == [
            .tcp(host: "10.0.0.11", port: 8000), .tcp(host: "10.0.0.12", port: 8000), .tcp(host: "10.0.0.13", port: 8000),
        ])
        #expect(api.upstreams[2].source == SourceLocation(file: file, line: 33))
        #expect(api.option("lb_policy")?.value == "least_conn")
        #expect(api.option("health_uri")?.value == "/healthz")
        #expect(api.transport.protocolName == "http")
        #expect(api.transport.source == SourceLocation(file: file, line: 38))
        #expect(api.transport.dialTimeout?.value == "3s")
        #expect(api.transport.dialTimeout?.source == SourceLocation(file: file, line: 39))
        #expect(api.transport.responseHeaderTimeout?.value == "30s")
        #expect(api.transport.keepalive?.value == "2m")

        let admin = config.sites[2]
        #expect(admin.binds == ["127.0.0.1", "::1"])
        #expect(admin.handlers[0].upstreams[0].endpoint == .unix(path: "/run/gunicorn/admin.sock"))
        #expect(adapted.servers.first { $0.listen.contains("127.0.0.1:8443") }?.listen == ["127.0.0.1:8443", "[::1]:8443"])

        let status = config.sites[3]
        #expect(status.parsedAddresses[0].listenPort() == 8080 && !status.parsedAddresses[0].isHTTPS())
        #expect(status.otherHandlers.map(\.directive) == ["respond"])
        #expect(status.otherHandlers[0].matcher.paths == ["/ping"])
        #expect(status.otherHandlers[0].args == ["pong", "200"])
    }

    @Test func snippetsImportedFromGlobbedFilesWithArguments() throws {
        let (config, _, root) = try load("snippets")
        #expect(config.files == [
            root + "/Caddyfile", root + "/snippets/proxy.caddy", root + "/sites/blog.caddy", root + "/sites/shop.caddy",
        ])
        #expect(config.global.adminDisabled == false)
        #expect(config.global.adminAddress == "localhost:2019")
        #expect(config.global.httpPort == 8080 && config.global.httpsPort == 8443)
        #expect(config.sites.map(\.addresses) == [["blog.example.org"], ["shop.example.org", "shop.example.net"]])
        #expect(config.sites[0].source == SourceLocation(file: root + "/sites/blog.caddy", line: 1))

        let blog = config.sites[0]
        #expect(blog.logs.map(\.path) == ["/var/log/caddy/blog.log"])
        #expect(blog.handlers.count == 1)
        // A snippet's directives keep the snippet's file:line, where a person would edit them.
        #expect(blog.handlers[0].source == SourceLocation(file: root + "/snippets/proxy.caddy", line: 3))
        #expect(blog.handlers[0].upstreams.map(\.endpoint) == [.tcp(host: "127.0.0.1", port: 8001)])
        #expect(blog.handlers[0].option("header_up")?.args == ["X-App", "blog"])
        #expect(blog.handlers[0].transport.readTimeout?.value == "60s")

        let shop = config.sites[1]
        #expect(shop.logs.map(\.path) == ["/var/log/caddy/shop.log"])
        #expect(shop.handlers.map(\.context) == [["handle /api/*"], ["handle"]])
        #expect(shop.handlers.map(\.routePaths) == [["/api/*"], ["*"]])
        #expect(shop.handlers[0].upstreams[0].endpoint == .tcp(host: "127.0.0.1", port: 8002))
        // The env placeholder's default is used, the raw text kept.
        #expect(shop.handlers[1].upstreams[0].raw == "{$SHOP_UPSTREAM:127.0.0.1:8003}")
        #expect(shop.handlers[1].upstreams[0].endpoint == .tcp(host: "127.0.0.1", port: 8003))
        #expect(shop.parsedAddresses.map { $0.listenPort(httpPort: 8080, httpsPort: 8443) } == [8443, 8443])
    }

    @Test func matchersHandlePathAndRoute() throws {
        let (config, _, root) = try load("matchers")
        let site = try #require(config.sites.first)
        #expect(site.namedMatchers.map(\.name) == ["@api", "@websockets", "@legacy"])
        #expect(site.namedMatchers[0].paths == ["/api/*", "/graphql"])
        #expect(site.namedMatchers[1].hasNonPathConditions)
        #expect(site.namedMatchers[2].definition == "path /old/* /older/*")

        let byFirstUpstream = Dictionary(uniqueKeysWithValues: site.handlers.map { ($0.upstreams[0].raw, $0) })
        let websockets = try #require(byFirstUpstream["localhost:8001"])
        #expect(websockets.matcher.name == "@websockets" && websockets.matcher.hasNonPathConditions)
        #expect(websockets.matcher.definition == "header Connection *Upgrade*; header Upgrade websocket")
        let api = try #require(byFirstUpstream["localhost:8000"])
        #expect(api.upstreams.count == 2)
        #expect(api.matcher.paths == ["/api/*", "/graphql"] && api.matcher.source == SourceLocation(file: root + "/Caddyfile", line: 2))
        let v2 = try #require(byFirstUpstream["unix//run/reports/v2.sock"])
        #expect(v2.context == ["handle_path /reports/*"] && v2.matcher.paths == ["/v2/*"])
        #expect(v2.routePaths == ["/reports/v2/*"])
        #expect(byFirstUpstream["unix//run/reports/v1.sock"]?.routePaths == ["/reports/*"])
        let admin = try #require(byFirstUpstream["localhost:8020"])
        #expect(admin.context == ["route /admin/*"] && admin.routePaths == ["/admin/*"])

        #expect(site.otherHandlers.map(\.directive) == ["redir", "respond", "file_server", "respond"])
        #expect(site.otherHandlers[0].matcher.name == "@legacy" && site.otherHandlers[0].routePaths == ["/old/*", "/older/*"])
        #expect(site.otherHandlers[1].routePaths == ["/robots.txt"])
        #expect(site.otherHandlers[2].routePaths == ["/media/*"])
        #expect(site.otherHandlers[3].context == ["handle_errors"])
    }

    @Test func djangoBehindGunicornSocket() throws {
        let (config, adapted, root) = try load("django")
        let file = root + "/Caddyfile"
        #expect(config.global.adminDisabled && config.global.defaultBind == ["0.0.0.0"])
        let handler = try #require(config.proxyHandlers.first)
        #expect(config.proxyHandlers.count == 1)
        #expect(handler.upstreams.map(\.endpoint) == [.unix(path: "/run/gunicorn/mysite.sock")])
        #expect(handler.source == SourceLocation(file: file, line: 24))
        let transport = handler.transport
        #expect(transport.settings.map(\.name) == ["dial_timeout", "response_header_timeout", "read_timeout",
                                                   "write_timeout", "keepalive"])
        #expect(transport.responseHeaderTimeout.flatMap { CaddyDuration.seconds($0.value) } == 60)
        #expect(transport.writeTimeout?.source == SourceLocation(file: file, line: 31))
        #expect(adapted.proxies[0].transport["response_header_timeout"].flatMap(CaddyDuration.seconds) == 60)
        #expect(config.sites[0].logs == [CaddyLogOutput(path: "/var/log/caddy/mysite-access.log", output: "file",
                                                        format: "json", source: SourceLocation(file: file, line: 8))])
        #expect(config.sites[0].otherHandlers.map(\.routePaths) == [["/static/*"], ["/media/*"]])
        #expect(adapted.servers.map(\.listen) == [["0.0.0.0:443"]])
    }

    @Test func phpFastCGI() throws {
        let (config, adapted, _) = try load("php")
        let wiki = try #require(config.sites.first?.handlers.first)
        #expect(wiki.directive == "php_fastcgi")
        #expect(wiki.transport.protocolName == "fastcgi")
        #expect(wiki.upstreams[0].endpoint == .unix(path: "/run/php/php8.2-fpm.sock"))
        #expect(wiki.transport.dialTimeout?.value == "3s" && wiki.transport.readTimeout?.value == "300s")
        #expect(config.sites[0].logs.map(\.output) == ["stdout"] && config.sites[0].logs[0].format == "console")
        let tools = config.sites[1].handlers
        #expect(tools.map(\.directive) == ["php_fastcgi", "reverse_proxy"])
        #expect(tools[0].routePaths == ["/legacy/*"])
        #expect(adapted.proxies.filter { $0.transportProtocol == "fastcgi" }.count == 2)
    }

    @Test func bracelessSiteWithLineContinuationsAndBackticks() throws {
        let (config, _, root) = try load("braceless")
        #expect(config.sites.map(\.addresses) == [["localhost:8080"]])
        let handlers = config.sites[0].handlers
        #expect(handlers.map { $0.upstreams.map(\.raw) } == [["127.0.0.1:9000", "127.0.0.1:9001"], ["127.0.0.1:9002"]])
        // Continued arguments keep their directive's line (Caddy's line).
        #expect(handlers[0].upstreams.map(\.source) == Array(repeating: SourceLocation(file: root + "/Caddyfile", line: 4), count: 2))
        #expect(handlers[1].source.line == 7)
    }

    @Test func snippetSitesUriStripPrefixImportsInHandleAndErrorRoutes() throws {
        let (config, adapted, root) = try load("mixed")
        #expect(config.sites.map(\.addresses) == [["one.example.com"], ["two.example.com"], ["three.example.com"]])
        #expect(config.sites[0].handlers[0].upstreams.map(\.endpoint) == [.tcp(host: "127.0.0.1", port: 7001)])
        let three = config.sites[2].handlers
        #expect(three.map(\.directive) == ["reverse_proxy", "reverse_proxy", "php_fastcgi", "reverse_proxy", "reverse_proxy"])
        #expect(three.map(\.routePaths) == [["/app/inc/*"], ["/app/ws/*"], ["/app/php/*"], ["*"], ["*"]])
        #expect(three[0].source == SourceLocation(file: root + "/inc/a.caddy", line: 1))
        #expect(three[0].context == ["handle /inc/*"])
        #expect(three[1].upstreams.map(\.raw) == ["localhost:7003"])
        #expect(three[1].option("handle_response") != nil)
        #expect(config.sites[2].otherHandlers.isEmpty)
        #expect(three[2].upstreams.map(\.raw) == ["{$PHP:127.0.0.1:9000}"])
        #expect(three[3].context == ["handle_errors"])
        #expect(three[4].transport.settings.map(\.name) == ["tls", "tls_insecure_skip_verify"])
        #expect(adapted.proxies.filter(\.inErrorRoutes).flatMap(\.dials) == ["localhost:7004"])
    }

    @Test func debianDefaultServesFilesAndProxiesNothing() throws {
        let (config, adapted, root) = try load("debian-default")
        #expect(config.diagnostics == [])
        #expect(config.sites.map(\.addresses) == [[":80"]])
        #expect(config.proxyHandlers.isEmpty && adapted.proxies.isEmpty)
        #expect(config.sites[0].otherHandlers.map(\.directive) == ["file_server"])
        #expect(config.sites[0].otherHandlers[0].source == SourceLocation(file: root + "/Caddyfile", line: 16))
        if case .other(let handler)? = config.sites[0].answer(forPath: "/index.html") {
            #expect(handler.directive == "file_server")
        } else {
            Issue.record("file_server should answer /index.html")
        }
        #expect(adapted.servers.map(\.listen) == [[":80"]])
        #expect(CaddyConfigComparison.compare(config, adapted) == [])
    }
}
