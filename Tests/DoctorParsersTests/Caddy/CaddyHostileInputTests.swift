import DoctorFacts
@testable import DoctorParsers
import Foundation
import Testing

/// Input no Caddyfile should be, and what the parser makes of it: a clear diagnostic,
/// the rest of the config still read, no crash, no hang.
@Suite("hostile Caddyfile input")
struct CaddyHostileInputTests {
    private let main = "/etc/caddy/Caddyfile"

    private func randomBytes(count: Int, seed: UInt64) -> [UInt8] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
    }

    @Test func fileImportCycleIsReportedOnceAndNotFollowed() {
        let reader = InMemoryConfigReader([
            main: "import a.caddy\nmain.test {\n\treverse_proxy m:1\n}",
            "/etc/caddy/a.caddy": "a.test {\n\treverse_proxy a:1\n}\nimport b.caddy",
            "/etc/caddy/b.caddy": "b.test {\n\treverse_proxy b:1\n}\nimport a.caddy",
        ])
        let config = CaddyfileParser.parse(path: main, reader: reader)
        #expect(config.diagnostics.map(\.kind) == [.includeCycle])
        #expect(config.diagnostics.first?.location == SourceLocation(file: "/etc/caddy/b.caddy", line: 4))
        #expect(config.diagnostics.first?.message.contains("/etc/caddy/a.caddy -> /etc/caddy/b.caddy -> /etc/caddy/a.caddy") == true)
        #expect(config.sites.map(\.addresses) == [["a.test"], ["b.test"], ["main.test"]])
    }

    @Test func fileImportingItselfThroughAGlob() {
        let reader = InMemoryConfigReader([
            main: "import sites/*",
            "/etc/caddy/sites/a": "a.test {\n\timport *\n\treverse_proxy a:1\n}",
        ])
        let config = CaddyfileParser.parse(path: main, reader: reader)
        #expect(config.diagnostics.map(\.kind) == [.includeCycle])
        #expect(config.proxyHandlers.count == 1)
    }

    @Test func snippetImportingItself() {
        let config = CaddyfileParser.parse(path: main, reader: InMemoryConfigReader([
            main: "(loop) {\n\treverse_proxy x:1\n\timport loop\n}\na.test {\n\timport loop\n}",
        ]))
        #expect(config.diagnostics.map(\.kind) == [.includeCycle])
        #expect(config.diagnostics.first?.location == SourceLocation(file: main, line: 3))
        #expect(config.proxyHandlers.count == 1)
    }

    @Test func importBombIsCutByTheBudgetQuickly() {
        var files = [main: "a.test {\n\timport level0\n}"]
        for level in 0..<30 {
            files["/etc/caddy/level\(level)"] = level == 29
                ? "reverse_proxy x:1"
                : "import level\(level + 1)\nimport level\(level + 1)"
        }
        let started = ContinuousClock.now
        let config = CaddyfileParser.parse(path: main, reader: InMemoryConfigReader(files))
        #expect(ContinuousClock.now - started < .seconds(20))
        #expect(config.diagnostics.map(\.kind) == [.tooLarge])
        #expect(!config.proxyHandlers.isEmpty)
    }

    @Test func missingImportAndUnreadableImport() {
        let reader = InMemoryConfigReader([
            main: "import /etc/caddy/nope.caddy\nimport secret.caddy\na.test {\n\treverse_proxy a:1\n}",
        ], failures: ["/etc/caddy/secret.caddy": .permissionDenied])
        let config = CaddyfileParser.parse(path: main, reader: reader)
        #expect(config.diagnostics.map(\.kind) == [.missingInclude, .unreadable])
        #expect(config.diagnostics.map(\.location?.line) == [1, 2])
        #expect(config.proxyHandlers.count == 1)
    }

    @Test func missingMainFile() {
        let config = CaddyfileParser.parse(path: main, reader: InMemoryConfigReader())
        #expect(config.diagnostics.map(\.kind) == [.unreadable])
        #expect(config.diagnostics.first?.message.contains("no such file") == true)
        #expect(config.sites.isEmpty && config.files.isEmpty)
    }

    @Test func unterminatedBlocksKeepWhatWasRead() {
        let config = CaddyfileParser.parse(path: main, reader: InMemoryConfigReader([
            main: "a.test {\n\treverse_proxy a:1\n\thandle /x/* {\n\t\treverse_proxy b:1\n",
        ]))
        #expect(config.diagnostics.map(\.kind) == [.syntax, .syntax])
        #expect(Set(config.diagnostics.compactMap(\.location?.line)) == [1, 3])
        #expect(config.proxyHandlers.map { $0.upstreams.map(\.raw) } == [["a:1"], ["b:1"]])
    }

    @Test func strayCloseBraceAndUnterminatedSnippet() {
        let config = CaddyfileParser.parse(path: main, reader: InMemoryConfigReader([
            main: "}\na.test {\n\treverse_proxy a:1\n}\n}\n(snip) {\n\trespond x\n",
        ]))
        #expect(config.diagnostics.map(\.location?.line) == [1, 5, 6])
        #expect(config.proxyHandlers.count == 1)
    }

    @Test func binaryImportIsSkippedWithABinaryDiagnostic() {
        var garbage = randomBytes(count: 4096, seed: 1)
        garbage[10] = 0x0A
        garbage[20] = 0
        var reader = InMemoryConfigReader([
            main: "import conf.d/*\n",
            "/etc/caddy/conf.d/site": "a.test {\n\treverse_proxy a:1\n}",
        ])
        reader.files["/etc/caddy/conf.d/core"] = garbage
        let config = CaddyfileParser.parse(path: main, reader: reader)
        #expect(config.diagnostics.map(\.kind) == [.binary])
        #expect(config.diagnostics.first?.location?.file == "/etc/caddy/conf.d/core")
        #expect(config.diagnostics.first?.location?.line == 1 + garbage[..<20].filter { $0 == 0x0A }.count)
        #expect(config.proxyHandlers.count == 1)
    }

    @Test func binaryMainFileYieldsNothingButTheDiagnostic() {
        var reader = InMemoryConfigReader()
        reader.files[main] = randomBytes(count: 65536, seed: 7) + [0]
        let config = CaddyfileParser.parse(path: main, reader: reader)
        #expect(config.diagnostics.map(\.kind) == [.binary])
        #expect(config.sites.isEmpty)
    }

    @Test(arguments: [2, 3, 5, 8, 13])
    func randomTextWithoutNULsNeverCrashesOrHangs(seed: UInt64) {
        let alphabet = Array("{}\"`\\$#\n <:/,@*()ab".utf8)
        let bytes = randomBytes(count: 200_000, seed: seed).map { $0 & 1 == 0 ? alphabet[Int($0 >> 1) % alphabet.count] : max($0, 1) }
        var reader = InMemoryConfigReader()
        reader.files[main] = bytes
        let config = CaddyfileParser.parse(path: main, reader: reader)
        #expect(config.diagnostics.allSatisfy { $0.location?.file == main && ($0.location?.line ?? 0) >= 1 })
    }

    @Test func deepNestingIsBounded() {
        let text = "a.test {\n" + String(repeating: "route {\n", count: 20_000) + "reverse_proxy deep:1\n"
            + String(repeating: "}\n", count: 20_000) + "reverse_proxy shallow:1\n}\n"
        let config = CaddyfileParser.parse(path: main, reader: InMemoryConfigReader([main: text]))
        #expect(config.diagnostics.map(\.kind) == [.syntax])
        #expect(config.diagnostics.first?.message.contains("nested more than") == true)
        #expect(config.proxyHandlers.map { $0.upstreams.map(\.raw) } == [["shallow:1"]])
    }

    /// A 50 MB Caddyfile in the shape big ones take: a long IP blocklist matcher, then the sites.
    private func writeFiftyMegabytes(to path: String) throws -> Int {
        var text = "example.com {\n\t@blocked remote_ip"
        text.reserveCapacity(52 << 20)
        var index = 0
        while text.utf8.count < 50 << 20 {
            text += " \\\n\t\t10.\(index >> 16 & 255).\(index >> 8 & 255).\(index & 255)/32"
            index += 1
        }
        text += "\n\trespond @blocked 403\n\treverse_proxy 127.0.0.1:8000\n}\n"
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        return index
    }

    @Test func fiftyMegabyteFileIsRejectedAsTooLargeWithoutReadingIt() throws {
        try withTemporaryDirectory { directory in
            _ = try writeFiftyMegabytes(to: directory + "/Caddyfile")
            let started = ContinuousClock.now
            let config = CaddyfileParser.parse(path: directory + "/Caddyfile", reader: DirectoryConfigReader())
            #expect(ContinuousClock.now - started < .seconds(2))
            #expect(config.diagnostics.map(\.kind) == [.tooLarge])
            #expect(config.diagnostics.first?.message.contains("over the 16777216-byte limit") == true)
            #expect(config.sites.isEmpty)
        }
    }

    @Test func fiftyMegabyteFileParsesWithARaisedLimit() throws {
        try withTemporaryDirectory { directory in
            let entries = try writeFiftyMegabytes(to: directory + "/Caddyfile")
            let started = ContinuousClock.now
            let config = CaddyfileParser.parse(path: directory + "/Caddyfile", reader: DirectoryConfigReader(),
                                               maxFileBytes: 64 << 20)
            // Linear work, but 2.6 million tokens in a debug build on a shared 2-core machine
            // took 17–35 s here; the bound only catches a hang or a quadratic blow-up.
            #expect(ContinuousClock.now - started < .seconds(180))
            #expect(config.diagnostics == [])
            let site = try #require(config.sites.first)
            #expect(site.namedMatchers.first?.definition.split(separator: " ").count == entries + 1)
            #expect(site.handlers.map { $0.upstreams.map(\.endpoint) } == [[.tcp(host: "127.0.0.1", port: 8000)]])
            // Continued lines count once the logical line ends, as in Caddy.
            #expect(site.handlers.first?.source.line == entries + 4)
        }
    }
}
