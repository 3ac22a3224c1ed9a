import DoctorFacts
@testable import DoctorParsers
import Foundation
import Testing

/// `caddy adapt` JSON reading and the cross-check, shown to catch each kind of
/// disagreement (the real fixtures show it stays silent when both readings agree).
@Suite("Caddy adapt JSON and cross-check")
struct CaddyConfigComparisonTests {
    private let main = "/etc/caddy/Caddyfile"

    private func adaptedJSON(_ name: String) throws -> [UInt8] {
        let root = try Fixtures.root("caddy/caddyfiles/\(name)")
        return try Array(Data(contentsOf: URL(fileURLWithPath: root + "/adapt.json")))
    }

    @Test func readsServersRoutesSubroutesAndLogs() throws {
        let adapted = try CaddyJSONConfig.parse(try adaptedJSON("matchers")).get()
        #expect(adapted.servers.map(\.name) == ["srv0"] && adapted.servers[0].listen == [":443"])
        let v2 = try #require(adapted.proxies.first { $0.dials == ["unix//run/reports/v2.sock"] })
        #expect(v2.hosts == ["app.example.com"])
        #expect(v2.paths == ["/reports/v2/*"])
        #expect(v2.endpoints == [.unix(path: "/run/reports/v2.sock")])
        let logs = try CaddyJSONConfig.parse(try adaptedJSON("multisite")).get().logs
        #expect(logs.first { $0.name == "default" } == CaddyJSONConfig.Log(
            name: "default", output: "file", filename: "/var/log/caddy/caddy.log", format: "json"))
        #expect(logs.contains { $0.filename == "/var/log/caddy/example.com-access.log" })
    }

    @Test func warningLinesBeforeTheJSONAreSkipped() throws {
        // As when stderr is captured with stdout: Caddy's JSON log warning, then the config.
        let warning = #"{"level":"warn","ts":1795267998.98,"msg":"Caddyfile input is not formatted"}"#
        let logged = CaddyJSONConfig.parse(Array((warning + "\n").utf8) + (try adaptedJSON("braceless")))
        #expect((try logged.get()).proxies.count == 2)
        let text = CaddyJSONConfig.parse(Array("2026/11/21 13:00:00 [WARNING] x\n".utf8) + (try adaptedJSON("braceless")))
        #expect((try text.get()).proxies.count == 2)
        // Only a warning, no config.
        guard case .failure = CaddyJSONConfig.parse(Array(warning.utf8)) else {
            Issue.record("a lone log line is not a config")
            return
        }
    }

    @Test func notJSONIsAnError() {
        guard case .failure(.notJSON) = CaddyJSONConfig.parse(Array("Error: adapting config using caddyfile: x".utf8)) else {
            Issue.record("expected notJSON")
            return
        }
        guard case .failure(.notAnObject) = CaddyJSONConfig.parse(Array("[1, 2]".utf8)) else {
            Issue.record("expected notAnObject")
            return
        }
    }

    private func parse(_ text: String) -> CaddyConfig {
        CaddyfileParser.parse(path: main, reader: InMemoryConfigReader([main: text]))
    }

    private let adapted = CaddyJSONConfig(
        proxies: [
            .init(server: "srv0", listen: [":443"], hosts: ["a.test"], paths: ["/api/*"], dials: ["10.0.0.1:8000"],
                  transportProtocol: "http", transport: ["dial_timeout": "2000000000"]),
            .init(server: "srv0", listen: [":443"], hosts: ["a.test"], paths: ["*"], dials: ["localhost:8001-8002"],
                  transportProtocol: nil, transport: [:]),
        ],
        servers: [.init(name: "srv0", listen: [":443"])])

    @Test func agreementIsSilent() {
        let config = parse("""
        a.test {
        \treverse_proxy /api/* 10.0.0.1:8000 {
        \t\ttransport http {
        \t\t\tdial_timeout 2s
        \t\t}
        \t}
        \treverse_proxy localhost:8001 localhost:8002
        }
        """)
        #expect(CaddyConfigComparison.compare(config, adapted) == [])
    }

    @Test func everyKindOfDisagreementIsReported() {
        let config = parse("""
        a.test {
        \treverse_proxy /v1/* 10.0.0.1:8000 {
        \t\ttransport http {
        \t\t\tdial_timeout 5s
        \t\t}
        \t}
        \treverse_proxy localhost:8001 localhost:9999 {$UNSET}
        }
        b.test:8443 {
        }
        """)
        let found = CaddyConfigComparison.compare(config, adapted)
        #expect(found.map(\.kind) == [.pathsDiffer, .timeoutDiffers, .upstreamOnlyInCaddyfile, .upstreamOnlyInAdapted,
                                      .listenDiffers])
        #expect(found[0].location == SourceLocation(file: main, line: 2))
        #expect(found[0].message.contains("/v1/*") && found[0].message.contains("/api/*"))
        #expect(found[1].location == SourceLocation(file: main, line: 4))
        #expect(found[2].message.contains("localhost:9999"))
        #expect(found[3].message.contains("localhost:8002"))
        #expect(found[4].message.contains("8443"))
    }
}
