import DoctorFacts
@testable import DoctorParsers
import Foundation
import Testing

/// Differential test against Caddy itself: Fixtures/caddy/generated holds Caddyfiles made
/// by a seeded generator (mixing global options, snippets with arguments, file and glob
/// imports, several addresses, named matchers, nested handle/handle_path/route, proxies
/// with every upstream form, `to`, transport timeouts, line continuations, respond/redir/
/// file_server, bind, logs), each kept only if `caddy adapt` 2.6.2 accepted it, with the
/// JSON it printed. The parser must agree with every one of them.
@Suite("Caddyfile: generated configs against caddy adapt")
struct CaddyGeneratedConfigTests {
    static let cases: [String] = {
        guard let root = try? Fixtures.root("caddy/generated"),
              let names = try? FileManager.default.contentsOfDirectory(atPath: root) else { return [] }
        return names.filter { $0.hasPrefix("g") && $0.dropFirst().allSatisfy(\.isNumber) }.sorted()
    }()

    @Test func thereAreCasesToCompare() {
        #expect(Self.cases.count >= 40)
    }

    @Test(arguments: cases)
    func agreesWithCaddyAdapt(name: String) throws {
        let root = try Fixtures.root("caddy/generated/\(name)")
        let config = CaddyfileParser.parse(path: root + "/Caddyfile", reader: DirectoryConfigReader())
        let json = try Array(Data(contentsOf: URL(fileURLWithPath: root + "/adapt.json")))
        let adapted = try CaddyJSONConfig.parse(json).get()
        #expect(config.diagnostics == [])
        #expect(!config.sites.isEmpty)
        #expect(CaddyConfigComparison.compare(config, adapted) == [])
        #expect(Set(config.proxyHandlers.flatMap(\.upstreams).compactMap(\.endpoint))
            == Set(adapted.proxies.flatMap(\.endpoints).compactMap { $0 }))
    }
}
