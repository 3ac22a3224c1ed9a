import DoctorFacts
@testable import DoctorParsers
import Foundation
import Testing

/// `CaddyJSONFileParser` on the shapes `caddy adapt` never writes (Fixtures/caddy/json,
/// accepted by Caddy 2.6.2's `caddy validate`), and on input that is not a config at all.
@Suite("Caddy JSON config: hand-written shapes and bad input")
struct CaddyJSONHandwrittenTests {
    private func load() throws -> (config: CaddyConfig, file: String) {
        let file = try Fixtures.root("caddy/json/handwritten.json")
        return (CaddyJSONFileParser.parse(path: file, reader: DirectoryConfigReader()), file)
    }

    /// The 1-based line of the first line containing `needle` in `file`.
    private func line(of needle: String, in file: String) throws -> Int {
        let lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        return try #require(lines.firstIndex { $0.contains(needle) }) + 1
    }

    @Test func serversSitesAndListens() throws {
        let (config, _) = try load()
        #expect(config.diagnostics == [])
        #expect(config.global.httpPort == 8080)
        #expect(config.global.adminAddress == "unix//run/caddy/admin.sock" && !config.global.adminDisabled)
        // public: one site for api.example.test, one for the host-less catch-all route after it; internal: one TLS site.
        #expect(config.sites.map(\.addresses) == [["http://api.example.test:8080"], ["http://:8080"],
                                                  ["https://internal.example.test:9443", "https://internal.example.test:0"]])
        #expect(config.sites[2].binds == ["127.0.0.1", "unix//run/caddy/internal.sock"])
        #expect(config.sites[0].binds.isEmpty)
    }

    @Test func nestedSubroutesStripsAndUnixDial() throws {
        let (config, file) = try load()
        let api = config.sites[0]
        #expect(api.handlers.count == 3)
        let reports = api.handlers[0]
        // /v1 stripped by the matcher-less rewrite, then /reports/* matched: the client sends /v1/reports/…
        #expect(reports.routePaths == ["/v1/reports/*"])
        #expect(reports.upstreams.map(\.endpoint) == [.unix(path: "/run/reports/app.sock")])
        #expect(reports.upstreams[0].source == SourceLocation(
            file: file, line: try line(of: "unix//run/reports/app.sock", in: file),
            pointer: "/apps/http/servers/public/routes/0/handle/0/routes/0/handle/0/routes/1/handle/0/upstreams/0/dial"))
        #expect(reports.transport.dialTimeout?.value == "2s")
        #expect(reports.transport.responseHeaderTimeout?.value == "30s")
        #expect(reports.transport.responseHeaderTimeout?.source.line == (try line(of: "\"response_header_timeout\"", in: file)))
        #expect(reports.transport.keepalive?.value == "1m30s")
        #expect(reports.source.description.hasSuffix("(/apps/http/servers/public/routes/0/handle/0/routes/0/handle/0/routes/1/handle/0)"))

        let group = api.handlers[1]
        #expect(group.routePaths == ["/v1/*"])
        #expect(group.upstreams.compactMap(\.endpoint) == [10, 11, 12, 13].dropFirst().map { .tcp(host: "10.0.0.\($0)", port: 8000) })
        #expect(group.option("lb_policy")?.value == "least_conn" && group.option("lb_try_duration")?.value == "5s")
        #expect(group.option("health_uri")?.value == "/healthz")
    }

    @Test func regexpMatcherIsKeptAsACondition() throws {
        let (config, _) = try load()
        let legacy = config.sites[0].handlers[2]
        #expect(legacy.matcher.hasNonPathConditions && legacy.matcher.name == "@path_regexp")
        #expect(legacy.matcher.definition == "path_regexp ^/legacy/[0-9]+$")
        #expect(legacy.routePaths == ["*"])
        #expect(config.sites[0].otherHandlers.map(\.directive) == ["respond"])
        #expect(config.sites[0].otherHandlers[0].args == ["404"])
    }

    @Test func middlewareBeforeAProxyAndPlaceholderDial() throws {
        let (config, _) = try load()
        #expect(config.sites[1].handlers.map { $0.upstreams.map(\.endpoint) } == [[.tcp(host: "localhost", port: 8000)]])
        #expect(config.sites[1].otherHandlers.isEmpty, "headers is middleware, not an answer")
        let placeholder = config.sites[2].handlers[0].upstreams
        #expect(placeholder.count == 1 && placeholder[0].endpoint == nil && placeholder[0].raw == "{env.INTERNAL_UPSTREAM}")
    }

    @Test func logsRuntimeAndAccessByLoggerName() throws {
        let (config, _) = try load()
        #expect(config.global.logs.map(\.path) == ["/var/log/caddy/caddy.log"])
        #expect(config.global.logs.first?.name == "default")
        #expect(config.sites[0].logs.map(\.path) == ["/var/log/caddy/api-access.log"])
        // The catch-all route's requests are not mapped to a logger name: the default logger takes them.
        #expect(config.sites[1].logs.map(\.path) == ["/var/log/caddy/caddy.log"])
        #expect(config.sites[2].logs.isEmpty, "the internal server has no logs block: no access log")
    }

    @Test func routingFollowsTheJSONOrder() throws {
        let (config, _) = try load()
        let api = config.sites[0]
        guard case .proxy(let reports)? = api.answer(forPath: "/v1/reports/x"),
              case .proxy(let group)? = api.answer(forPath: "/v1/other"),
              case .other(let notFound)? = api.answer(forPath: "/else") else {
            Issue.record("unexpected answers")
            return
        }
        #expect(reports.upstreams.first?.endpoint == .unix(path: "/run/reports/app.sock"))
        #expect(group.upstreams.count == 3)
        #expect(notFound.directive == "respond")
    }

    @Test func unknownHandlersMatchersAndTypesDoNotCrash() {
        let text = #"""
        {"apps": {"http": {"servers": {
          "a": {"listen": ["tcp4/0.0.0.0:80", "not an address", 7],
                "routes": [{"match": [{"not": [{"path": ["/x"]}]}, {"method": ["GET"]}],
                            "handle": [{"handler": "rate_limit", "zone": {}}, {"handler": "reverse_proxy",
                                        "upstreams": [{"dial": "backend:8000"}, {"lookup_srv": "x"}],
                                        "dynamic_upstreams": {"source": "a", "name": "app.internal"},
                                        "transport": {"protocol": "fastcgi", "dial_timeout": 1.5e9, "versions": ["1.1", "2"]}},
                                       {"no handler": true}]},
                           "not a route", {"handle": "wrong type"}]},
          "b": "not an object"
        }}}}
        """#
        let config = CaddyJSONFileParser.parse(bytes: Array(text.utf8), path: "/etc/caddy/odd.json")
        #expect(config.diagnostics.map(\.message).contains { $0.contains("not an address") })
        #expect(config.diagnostics.map(\.message).contains { $0.contains("server b is not an object") })
        let site = try? #require(config.sites.first)
        #expect(site?.binds == ["0.0.0.0"] && site?.addresses == ["http://:80"])
        let proxy = site?.handlers.first
        #expect(proxy?.matcher.name == "@not+method")
        #expect(proxy?.transport.protocolName == "fastcgi" && proxy?.transport.dialTimeout?.value == "1.5s")
        #expect(proxy?.transport.setting("versions")?.args == ["1.1", "2"])
        #expect(proxy?.upstreams.map(\.raw) == ["backend:8000", "(upstream without dial)", "dynamic_upstreams a"])
        #expect(site?.otherHandlers.map(\.directive) == ["rate_limit", "(handler without a name)"])
    }

    @Test func badInputBecomesADiagnostic() {
        func kinds(_ bytes: [UInt8]) -> [ConfigDiagnostic.Kind] {
            let config = CaddyJSONFileParser.parse(bytes: bytes, path: "/etc/caddy/caddy.json")
            #expect(config.sites.isEmpty)
            return config.diagnostics.map(\.kind)
        }
        #expect(kinds(Array("{\"apps\": {\"http\": \n  {\"servers\": {,}}}}".utf8)) == [.syntax])
        let truncated = CaddyJSONFileParser.parse(bytes: Array("{\"apps\": {\"http\": {\n".utf8), path: "/c.json")
        #expect(truncated.diagnostics.first?.message == "not valid JSON: unexpected end of input")
        #expect(truncated.diagnostics.first?.location == SourceLocation(file: "/c.json", line: 2))
        #expect(kinds([0x7F, 0x45, 0x4C, 0x46, 0x02, 0x00, 0x01]) == [.binary])
        #expect(kinds(Array("[1, 2]".utf8)) == [.syntax])
        #expect(kinds([]) == [.syntax])
        #expect(kinds(Array("{} trailing".utf8)) == [.syntax])
        // Nesting past the bound is an error, not a stack overflow.
        #expect(kinds(Array((String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)).utf8)) == [.syntax])
        #expect(kinds(Array("{\"a\": \"\\ud800\\u0041 \\q\"}".utf8)) == [.syntax])
    }

    @Test func unreadableAndOversizedFiles() throws {
        try withTemporaryDirectory { directory in
            let missing = CaddyJSONFileParser.parse(path: directory + "/absent.json", reader: DirectoryConfigReader())
            #expect(missing.diagnostics.map(\.kind) == [.unreadable] && missing.files.isEmpty)
            let big = directory + "/big.json"
            try Data(("{\"x\": \"" + String(repeating: "a", count: 4096) + "\"}").utf8).write(to: URL(fileURLWithPath: big))
            let tooLarge = CaddyJSONFileParser.parse(path: big, reader: DirectoryConfigReader(), maxFileBytes: 1024)
            #expect(tooLarge.diagnostics.map(\.kind) == [.tooLarge])
            #expect(CaddyJSONFileParser.parse(path: big, reader: DirectoryConfigReader()).diagnostics.isEmpty)
        }
    }

    /// A snapshot keeps configs redacted (`Redactor.redact`); the redacted JSON must still read the same.
    @Test func redactedCopyReadsTheSame() throws {
        let text = #"""
        {"apps": {"http": {"servers": {"s": {"listen": [":80"], "routes": [{
          "handle": [
            {"handler": "authentication", "providers": {"http_basic": {"accounts": [{"username": "ops", "password": "JDJhJDE0JGV4YW1wbGU="}]}}},
            {"handler": "reverse_proxy", "headers": {"request": {"set": {"Authorization": ["Bearer abc.def"], "X-Api-Token": ["t0k3n"]}}},
             "upstreams": [{"dial": "127.0.0.1:8000"}], "transport": {"protocol": "http", "dial_timeout": "2s"}}
          ]}]}}},
          "tls": {"automation": {"policies": [{"issuers": [{"module": "acme", "challenges": {"dns": {"provider": {"name": "cloudflare", "api_token": "cf-secret"}}}}]}]}}
        }}
        """#
        let redacted = Redactor.redact(text)
        #expect(!redacted.contains("cf-secret") && !redacted.contains("JDJhJDE0JGV4YW1wbGU=") && !redacted.contains("abc.def"))
        let original = CaddyJSONFileParser.parse(bytes: Array(text.utf8), path: "/c.json")
        let copy = CaddyJSONFileParser.parse(bytes: Array(redacted.utf8), path: "/c.json")
        #expect(original.diagnostics == [] && copy.diagnostics == [], "\(copy.diagnostics)\n\(redacted)")
        #expect(copy.proxyHandlers.map(\.upstreams) == original.proxyHandlers.map(\.upstreams))
        #expect(copy.proxyHandlers.first?.transport.dialTimeout?.value == "2s")
        // Lists under a secret key, quoted or not, on one line or several: every element masked, the shape kept.
        #expect(Redactor.redact(#"token=[abc def] next"#) == "token=[[REDACTED] [REDACTED]] next")
        #expect(Redactor.redact("api_keys: [\"k1\", \"k\\\"2\"]\nport: 80") == "api_keys: [\"[REDACTED]\", \"[REDACTED]\"]\nport: 80")
        #expect(Redactor.redact("\"Authorization\": [\n  \"Basic x\"\n]\n\"b\": 1") == "\"Authorization\": [\n  \"[REDACTED]\"\n]\n\"b\": 1")
    }

    @Test func unicodeEscapesAndPointerEscaping() throws {
        let text = #"{"apps": {"http": {"servers": {"a/b~c": {"listen": [":80"], "routes": [{"match": [{"host": ["caf\u00e9.test", "\ud83d\ude00.test"]}], "handle": [{"handler": "reverse_proxy", "upstreams": [{"dial": "x:1"}]}]}]}}}}}"#
        let config = CaddyJSONFileParser.parse(bytes: Array(text.utf8), path: "/c.json")
        #expect(config.diagnostics == [])
        #expect(config.sites.first?.parsedAddresses.map(\.host) == ["café.test", "😀.test"])
        #expect(config.proxyHandlers.first?.source.pointer == "/apps/http/servers/a~1b~0c/routes/0/handle/0")
    }
}
