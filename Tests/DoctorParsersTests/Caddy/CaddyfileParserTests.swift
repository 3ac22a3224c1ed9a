import DoctorFacts
@testable import DoctorParsers
import Testing

/// The Caddyfile syntax rules, one by one, on small in-memory files.
@Suite("Caddyfile parser")
struct CaddyfileParserTests {
    private let main = "/etc/caddy/Caddyfile"

    private func parse(_ text: String, files: [String: String] = [:]) -> CaddyConfig {
        var all = files
        all[main] = text
        return CaddyfileParser.parse(path: main, reader: InMemoryConfigReader(all))
    }

    private func tokens(_ text: String) -> [CaddyToken] {
        var lexer = CaddyLexer(file: "/t")
        return Array(text.utf8).withUnsafeBufferPointer { lexer.tokenize($0, origin: 0) }
    }

    // MARK: Lexer

    @Test func quotesBackticksCommentsAndEscapes() {
        let lexed = tokens("a \"b c\" `d \"e\"` f#g # comment\n\"x \\\"y\\\" \\n\" h\\i")
        #expect(lexed.map(\.text) == ["a", "b c", "d \"e\"", "f#g", "x \"y\" \\n", "h\\i"])
        #expect(lexed.map(\.line) == [1, 1, 1, 1, 2, 2])
        #expect(lexed.map(\.quoted) == [false, true, true, false, true, false])
    }

    @Test func multiLineQuotedTokenKeepsLaterTokensOnItsEndLine() {
        let lexed = tokens("respond \"one\ntwo\" 200\nnext")
        #expect(lexed.map(\.text) == ["respond", "one\ntwo", "200", "next"])
        #expect(lexed.map(\.line) == [1, 1, 2, 3])
        #expect(!lexed[1].isFollowedOnNewLine(by: lexed[2]))
        #expect(lexed[2].isFollowedOnNewLine(by: lexed[3]))
    }

    @Test func lineContinuationKeepsTheDirectiveLine() {
        let lexed = tokens("reverse_proxy a:1 \\\n   b:2 \\\r\n c:3\nnext")
        #expect(lexed.map(\.text) == ["reverse_proxy", "a:1", "b:2", "c:3", "next"])
        #expect(lexed.map(\.line) == [1, 1, 1, 1, 4])
    }

    @Test func quotedTokenAfterContinuationsStaysOnTheDirectiveLine() {
        // Found by the generated differential tests: a quoted upstream on a continued line
        // must not push the `{` that follows it onto a new line.
        let lexed = tokens("reverse_proxy \\\n a:1 \\\n \"b:2\" {\n\tto c:3\n}")
        #expect(lexed.map(\.text) == ["reverse_proxy", "a:1", "b:2", "{", "to", "c:3", "}"])
        #expect(lexed.map(\.line) == [1, 1, 1, 1, 4, 4, 5])
        let config = CaddyfileParser.parse(path: main, reader: InMemoryConfigReader([
            main: "a.test {\n\treverse_proxy \\\n\t\ta:1 \\\n\t\t\"b:2\" {\n\t\tto c:3\n\t}\n}",
        ]))
        #expect(config.diagnostics == [])
        #expect(config.proxyHandlers.map { $0.upstreams.map(\.raw) } == [["a:1", "b:2", "c:3"]])
    }

    @Test func heredocStripsTheClosingIndentation() {
        let lexed = tokens("respond <<HTML\n    <p>hi</p>\n      <b>x</b>\n    HTML 200\nafter")
        #expect(lexed.map(\.text) == ["respond", "<p>hi</p>\n  <b>x</b>\n", "200", "after"])
        #expect(lexed.map(\.line) == [1, 1, 4, 5])
        #expect(!lexed[1].isFollowedOnNewLine(by: lexed[2]))
    }

    @Test func unterminatedQuoteAndHeredocAreDiagnosed() {
        var lexer = CaddyLexer(file: "/t")
        let lexed = Array("a \"open\nb".utf8).withUnsafeBufferPointer { lexer.tokenize($0, origin: 0) }
        #expect(lexed.map(\.text) == ["a", "open\nb"])
        #expect(lexer.diagnostics.map(\.location) == [SourceLocation(file: "/t", line: 1)])

        var second = CaddyLexer(file: "/t")
        _ = Array("respond <<EOF\nbody\n".utf8).withUnsafeBufferPointer { second.tokenize($0, origin: 0) }
        #expect(second.diagnostics.count == 1 && second.diagnostics[0].message.contains("heredoc"))
    }

    @Test func envPlaceholdersTakeTheirDefaultOnly() {
        #expect(CaddyEnvPlaceholders.substituteDefaults("{$HOST:127.0.0.1}:{$PORT:8000}") == "127.0.0.1:8000")
        #expect(CaddyEnvPlaceholders.substituteDefaults("{$APP_ADDR}") == "{$APP_ADDR}")
        #expect(CaddyEnvPlaceholders.substituteDefaults("{$A:x:y}") == "x:y")
        let config = parse("""
        {$SITE:example.com} {
        \treverse_proxy {$APP_ADDR} {$FALLBACK:unix//run/app.sock}
        }
        """)
        #expect(config.sites.map(\.addresses) == [["example.com"]])
        let upstreams = config.proxyHandlers[0].upstreams
        #expect(upstreams.map(\.raw) == ["{$APP_ADDR}", "{$FALLBACK:unix//run/app.sock}"])
        #expect(upstreams.map(\.endpoint) == [nil, .unix(path: "/run/app.sock")])
    }

    // MARK: Blocks and addresses

    @Test func siteAddressesCommaAndSpaceSeparatedOverLines() throws {
        let config = parse("""
        a.test,
        b.test c.test {
        \trespond ok
        }
        http://d.test:81 :8080 localhost {
        \treverse_proxy app:8000
        }
        """)
        try #require(config.sites.map(\.addresses) == [["a.test", "b.test", "c.test"], ["http://d.test:81", ":8080", "localhost"]])
        #expect(config.sites[1].source == SourceLocation(file: main, line: 5))
        let parsed = config.sites[1].parsedAddresses
        #expect(parsed.map(\.host) == ["d.test", "", "localhost"])
        #expect(parsed.map { $0.listenPort() } == [81, 8080, 443])
        #expect(parsed.map { $0.isHTTPS() } == [false, false, true])
        #expect(config.diagnostics == [])
    }

    @Test func commaWithoutSpaceIsCaddysErrorButBothAddressesAreKept() {
        let config = parse("a.test,b.test {\n\treverse_proxy app:8000\n}")
        #expect(config.sites.map(\.addresses) == [["a.test", "b.test"]])
        #expect(config.diagnostics.map(\.kind) == [.syntax])
        #expect(config.diagnostics.first?.message.contains("cannot contain a comma") == true)
    }

    @Test func addressesEndAtTheLineWithoutTrailingCommaMakingABracelessSite() {
        // Caddy reads this as the site `a.test` with a directive named `b.test`.
        let config = parse("a.test\nb.test {\n\treverse_proxy app:8000\n}")
        #expect(config.sites.map(\.addresses) == [["a.test"]])
        #expect(config.proxyHandlers.isEmpty)
    }

    @Test func globalOptionsOnlyWhenFirst() {
        let config = parse("""
        {
        \tadmin off
        \thttp_port 8080
        \thttps_port 8443
        \tauto_https disable_redirects
        \tdefault_bind 127.0.0.1 [::1]
        \tlog access {
        \t\toutput stderr
        \t}
        }
        a.test {
        }
        {
        \tadmin localhost:2020
        }
        """)
        let global = config.global
        #expect(global.adminDisabled && global.adminAddress == nil)
        #expect(global.httpPort == 8080 && global.httpsPort == 8443 && global.autoHTTPS == "disable_redirects")
        #expect(global.defaultBind == ["127.0.0.1", "[::1]"])
        #expect(global.logs == [CaddyLogOutput(output: "stderr", source: SourceLocation(file: main, line: 7), name: "access")])
        #expect(global.source == SourceLocation(file: main, line: 1))
        #expect(global.options.map(\.name) == ["admin", "http_port", "https_port", "auto_https", "default_bind", "log"])
        #expect(config.diagnostics.map(\.location?.line) == [13])
    }

    // MARK: Imports and snippets

    @Test func snippetArgumentsInBothSyntaxesAndSlices() {
        let config = parse("""
        (proxy) {
        \treverse_proxy {args[0]} {args.1} {
        \t\theader_up X-Name {args[2]}
        \t\ttransport http {
        \t\t\tdial_timeout {args[3]}
        \t\t}
        \t}
        }
        (many) {
        \treverse_proxy /many/* {args[1:]}
        }
        a.test {
        \timport proxy 127.0.0.1:8001 127.0.0.1:8002 shop 2s
        \timport many unused 10.0.0.1:80 10.0.0.2:80
        }
        """)
        #expect(config.diagnostics == [])
        let handlers = config.proxyHandlers
        #expect(handlers.count == 2)
        #expect(handlers[0].upstreams.map(\.endpoint) == [.tcp(host: "127.0.0.1", port: 8001), .tcp(host: "127.0.0.1", port: 8002)])
        #expect(handlers[0].option("header_up")?.args == ["X-Name", "shop"])
        #expect(handlers[0].transport.dialTimeout?.value == "2s")
        #expect(handlers[0].source == SourceLocation(file: main, line: 2))
        #expect(handlers[1].upstreams.map(\.raw) == ["10.0.0.1:80", "10.0.0.2:80"])
    }

    @Test func aSnippetImportedTwiceGivesTwoDirectives() {
        let config = parse("""
        (p) {
        \treverse_proxy /x/* a:1
        }
        a.test {
        \timport p
        \timport p
        }
        """)
        #expect(config.proxyHandlers.count == 2)
        #expect(config.proxyHandlers.allSatisfy { $0.upstreams.map(\.raw) == ["a:1"] })
    }

    @Test func fileImportsResolveAgainstTheImportingFileDirectory() {
        let config = parse("import conf.d/*.caddy\nimport /opt/extra.caddy", files: [
            "/etc/caddy/conf.d/a.caddy": "a.test {\n\timport ../snippets/proxy.caddy\n}",
            "/etc/caddy/conf.d/b.caddy": "b.test {\n\treverse_proxy 10.0.0.2:8000\n}",
            "/etc/caddy/conf.d/.hidden.caddy": "hidden.test {\n}",
            "/etc/caddy/snippets/proxy.caddy": "reverse_proxy 10.0.0.1:8000",
            "/opt/extra.caddy": "extra.test {\n\timport sub/x.caddy\n}",
            "/opt/sub/x.caddy": "reverse_proxy unix//run/x.sock",
        ])
        #expect(config.diagnostics == [])
        #expect(config.sites.map(\.addresses) == [["a.test"], ["b.test"], ["extra.test"]])
        #expect(config.proxyHandlers.map(\.source) == [
            SourceLocation(file: "/etc/caddy/snippets/proxy.caddy", line: 1),
            SourceLocation(file: "/etc/caddy/conf.d/b.caddy", line: 2),
            SourceLocation(file: "/opt/sub/x.caddy", line: 1),
        ])
        // A glob's files are all read when the import is met, as Caddy does.
        #expect(config.files == [main, "/etc/caddy/conf.d/a.caddy", "/etc/caddy/conf.d/b.caddy",
                                 "/etc/caddy/snippets/proxy.caddy", "/opt/extra.caddy", "/opt/sub/x.caddy"])
    }

    @Test func emptyGlobIsANoteAndMissingFileADiagnosticAtTheImportLine() {
        let config = parse("import sites/*.caddy\na.test {\n\timport missing.caddy\n\treverse_proxy b:1\n}")
        #expect(config.diagnostics.map(\.kind) == [.emptyGlob, .missingInclude])
        #expect(config.diagnostics.map(\.location) == [SourceLocation(file: main, line: 1), SourceLocation(file: main, line: 3)])
        #expect(config.diagnostics[1].message.contains("/etc/caddy/missing.caddy"))
        #expect(config.proxyHandlers.count == 1)
    }

    // MARK: Matchers and scopes

    @Test func matcherTokensAndNamedMatchers() {
        let config = parse("""
        a.test {
        \t@static path /css/* /js/*
        \t@post {
        \t\tmethod POST
        \t\tpath /upload
        \t}
        \treverse_proxy /api/* api:8000
        \treverse_proxy * catchall:8000
        \treverse_proxy @post upload:8000
        \treverse_proxy @nope x:1
        \tfile_server @static
        \trespond "not a matcher" 200
        }
        """)
        let handlers = config.proxyHandlers
        #expect(handlers.map(\.matcher.paths) == [["/api/*"], ["*"], ["/upload"], ["*"]])
        #expect(handlers[1].matcher.isCatchAllPath)
        #expect(handlers[2].matcher.name == "@post" && handlers[2].matcher.hasNonPathConditions)
        #expect(handlers[2].matcher.definition == "method POST; path /upload")
        #expect(handlers[2].upstreams.map(\.raw) == ["upload:8000"])
        #expect(config.diagnostics.map(\.message) == ["matcher @nope is not defined in this site"])
        let others = config.sites[0].otherHandlers
        #expect(others.map(\.routePaths) == [["/css/*", "/js/*"], ["*"]])
        #expect(others[1].args == ["not a matcher", "200"])
    }

    @Test func nestedScopesGiveContextAndRoutePaths() {
        let config = parse("""
        a.test {
        \thandle_path /api/* {
        \t\troute /v1/* {
        \t\t\treverse_proxy v1:8000
        \t\t}
        \t\thandle {
        \t\t\treverse_proxy /health rest:8000
        \t\t}
        \t}
        \thandle @ws {
        \t\treverse_proxy ws:8000
        \t}
        \t@ws header Upgrade websocket
        }
        """)
        let handlers = config.proxyHandlers
        #expect(handlers.map(\.context) == [["handle_path /api/*", "route /v1/*"], ["handle_path /api/*", "handle"], ["handle @ws"]])
        #expect(handlers.map(\.routePaths) == [["/api/v1/*"], ["/api/health"], ["*"]])
        #expect(config.diagnostics == [])
    }

    @Test func answerFollowsCaddysDirectiveOrderAndHandleGroups() {
        let config = parse("""
        a.test {
        \treverse_proxy catchall:1
        \treverse_proxy /api/* api:1
        \treverse_proxy /api/admin/* admin:1
        \trespond /api/health 200
        \thandle /static/* {
        \t\tfile_server
        \t}
        \thandle {
        \t\treverse_proxy /only/* only:1
        \t}
        \thandle {
        \t\treverse_proxy /merged/* merged:1
        \t}
        \thandle_path /strip/* {
        \t\treverse_proxy /v1/* stripped:1
        \t}
        \troute {
        \t\treverse_proxy /route/* first:1
        \t\trespond /route/* 404
        \t}
        }
        """)
        let site = config.sites[0]
        func answer(_ path: String) -> String? {
            switch site.answer(forPath: path) {
            case let .proxy(handler)?: handler.upstreams.first?.raw
            case let .other(handler)?: handler.directive
            case nil: nil
            }
        }
        // Written order does not matter outside `route`: longest path first, respond before proxies.
        #expect(answer("/api/admin/users") == "admin:1")
        #expect(answer("/api/x") == "api:1")
        #expect(answer("/api/health") == "respond")
        #expect(answer("/API/X") == "api:1")
        // handle blocks are exclusive, but two adjacent ones with the same matcher are merged.
        #expect(answer("/static/a.css") == "file_server")
        #expect(answer("/only/x") == "only:1")
        #expect(answer("/merged/x") == "merged:1")
        // handle_path matches inner paths after stripping its prefix.
        #expect(answer("/strip/v1/x") == "stripped:1")
        #expect(answer("/route/x") == "first:1")
        #expect(answer("/elsewhere") == "catchall:1")
    }

    // MARK: Upstreams

    @Test(arguments: [
        ("localhost:8000", [Endpoint.tcp(host: "localhost", port: 8000)]),
        ("unix//run/app.sock", [.unix(path: "/run/app.sock")]),
        ("unix+h2c//run/grpc.sock", [.unix(path: "/run/grpc.sock")]),
        ("http://10.0.0.2:8000", [.tcp(host: "10.0.0.2", port: 8000)]),
        ("http://10.0.0.2", [.tcp(host: "10.0.0.2", port: 80)]),
        ("https://backend.internal", [.tcp(host: "backend.internal", port: 443)]),
        ("h2c://grpc:50051", [.tcp(host: "grpc", port: 50051)]),
        ("app", [.tcp(host: "app", port: 80)]),
        (":9000", [.tcp(host: "localhost", port: 9000)]),
        ("[::1]:8000", [.tcp(host: "::1", port: 8000)]),
        ("tcp/10.0.0.1:81", [.tcp(host: "10.0.0.1", port: 81)]),
        ("localhost:8001-8003", [.tcp(host: "localhost", port: 8001), .tcp(host: "localhost", port: 8002),
                                 .tcp(host: "localhost", port: 8003)]),
    ])
    func upstreamAddresses(text: String, expected: [Endpoint]) {
        #expect(CaddyUpstreamAddress.endpoints(text).endpoints == expected)
    }

    @Test(arguments: ["{http.request.host}:80", "{env.APP}", "{$APP_ADDR}", "srv+http://_api._tcp.example.com", "app:notaport"])
    func unresolvableUpstreamsHaveNoEndpoint(text: String) {
        #expect(CaddyUpstreamAddress.endpoints(text).endpoints == [nil])
    }

    @Test func siteBindsAndLogs() {
        let config = parse("""
        :8080 {
        \tbind 127.0.0.1
        \tbind [::1] unix//run/caddy.sock
        \tlog {
        \t\toutput file /var/log/caddy/a.log {
        \t\t\troll_size 10mb
        \t\t}
        \t\tformat json
        \t}
        \tlog {
        \t\toutput discard
        \t}
        \treverse_proxy 127.0.0.1:8000
        }
        """)
        let site = config.sites[0]
        #expect(site.binds == ["127.0.0.1", "[::1]", "unix//run/caddy.sock"])
        #expect(site.bindSources.map(\.line) == [2, 3])
        #expect(site.logs == [
            CaddyLogOutput(path: "/var/log/caddy/a.log", output: "file", format: "json", source: SourceLocation(file: main, line: 4)),
            CaddyLogOutput(output: "discard", source: SourceLocation(file: main, line: 10)),
        ])
    }

    @Test func durations() {
        #expect(CaddyDuration.seconds("30s") == 30)
        #expect(CaddyDuration.seconds("1m30s") == 90)
        #expect(CaddyDuration.seconds("500ms") == 0.5)
        #expect(CaddyDuration.seconds("1.5h") == 5400)
        #expect(CaddyDuration.seconds("2d") == 172_800)
        #expect(CaddyDuration.seconds("90000000000") == 90)
        #expect(CaddyDuration.seconds("off") == nil)
        #expect(CaddyDuration.seconds("") == nil)
    }
}
