import DoctorFacts
@testable import DoctorParsers
import Foundation
import Testing

/// Input no nginx config should be, and what the loader makes of it: a clear
/// diagnostic, partial results, no crash, no hang.
@Suite("hostile nginx input")
struct NginxHostileInputTests {
    private let main = "/etc/nginx/nginx.conf"

    /// Deterministic bytes, so a failure can be replayed.
    private func randomBytes(count: Int, seed: UInt64) -> [UInt8] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
    }

    @Test func binaryGarbageIsSkippedWithABinaryDiagnostic() {
        var garbage = randomBytes(count: 4096, seed: 1)
        garbage[0] = UInt8(ascii: "u")
        garbage[1] = UInt8(ascii: "\n")
        garbage[2] = 0
        var reader = InMemoryConfigReader([
            main: "user www-data;\nhttp {\n  include /etc/nginx/sites/*;\n}",
            "/etc/nginx/sites/good.conf": "server { location / { proxy_pass http://127.0.0.1:8000; } }",
        ])
        reader.files["/etc/nginx/sites/core"] = garbage
        let (config, model) = loadModel(main, reader)
        #expect(config.diagnostics.map(\.kind) == [.binary])
        // The line of the first NUL, so a person can look at it.
        #expect(config.diagnostics.first?.location == SourceLocation(file: "/etc/nginx/sites/core", line: 2))
        #expect(config.diagnostics.first?.message.contains("NUL") == true)
        #expect(model.routes.count == 1)
        #expect(model.user?.name == "www-data")
    }

    @Test func binaryMainFileYieldsNothingButTheDiagnostic() {
        var reader = InMemoryConfigReader()
        reader.files[main] = randomBytes(count: 65536, seed: 7) + [0]
        let (config, model) = loadModel(main, reader)
        #expect(config.diagnostics.map(\.kind) == [.binary])
        #expect(config.directives.isEmpty && model.routes.isEmpty)
    }

    @Test(arguments: [2, 3, 5, 8, 13])
    func randomTextWithoutNULsNeverCrashesOrHangs(seed: UInt64) {
        // Biased towards the bytes that drive the lexer's states.
        let alphabet = Array("{};\"'\\$#\n ab=:/".utf8)
        let bytes = randomBytes(count: 200_000, seed: seed).map { $0 & 1 == 0 ? alphabet[Int($0 >> 1) % alphabet.count] : max($0, 1) }
        let result = NginxParser.parse(bytes, file: "/fuzz.conf")
        #expect(result.diagnostics.allSatisfy { $0.kind == .syntax && $0.location?.file == "/fuzz.conf" })
        #expect(result.diagnostics.allSatisfy { ($0.location?.line ?? 0) >= 1 })
        _ = NginxModel.build(config: NginxConfig(mainFile: "/fuzz.conf", directives: result.directives), prefix: "/")
    }

    /// A 50 MB config in the shape big configs really take: a geo blocklist, then a server.
    private func writeFiftyMegabytes(to path: String) throws -> Int {
        var text = "http {\n  geo $blocked {\n    default 0;\n"
        text.reserveCapacity(52 << 20)
        var index = 0
        while text.utf8.count < 50 << 20 {
            text += "    10.\(index >> 16 & 255).\(index >> 8 & 255).\(index & 255)/32 1;\n"
            index += 1
        }
        text += "  }\n  server {\n    listen 80;\n    location / { proxy_pass http://127.0.0.1:8000; }\n  }\n}\n"
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        return index
    }

    @Test func fiftyMegabyteConfigIsRejectedAsTooLargeByDefault() throws {
        try withTemporaryDirectory { directory in
            _ = try writeFiftyMegabytes(to: directory + "/nginx.conf")
            let reader = DirectoryConfigReader()
            let started = ContinuousClock.now
            let (config, model) = loadModel(directory + "/nginx.conf", reader)
            let elapsed = ContinuousClock.now - started
            #expect(config.diagnostics.map(\.kind) == [.tooLarge])
            #expect(config.diagnostics.first?.message.contains("over the 16777216-byte limit") == true)
            #expect(model.routes.isEmpty)
            // Rejected from its size, not after reading it: a generous bound, not a benchmark.
            #expect(elapsed < .seconds(2))
        }
    }

    @Test func fiftyMegabyteConfigParsesWithARaisedLimit() throws {
        try withTemporaryDirectory { directory in
            let entries = try writeFiftyMegabytes(to: directory + "/nginx.conf")
            let (config, model) = loadModel(directory + "/nginx.conf", DirectoryConfigReader(), maxFileBytes: 64 << 20)
            #expect(config.diagnostics.isEmpty)
            #expect(model.routes.map(\.target) == [.endpoint(scheme: "http", .tcp(host: "127.0.0.1", port: 8000))])
            #expect(model.routes.first?.source.line == entries + 7)
            #expect(config.directives.first?.block?.first?.block?.count == entries + 1)
        }
    }

    @Test func unterminatedQuoteInASiteStillYieldsItsOtherRoutes() {
        let site = "/etc/nginx/sites-enabled/app.conf"
        let reader = InMemoryConfigReader([
            main: "http { include sites-enabled/*.conf; }",
            site: """
            server {
                listen 80;
                location /health { return 200 "ok; }
                location / { proxy_pass http://127.0.0.1:8000; }
            }
            """,
        ])
        let (config, model) = loadModel(main, reader)
        #expect(config.diagnostics.map(\.kind) == [.syntax])
        #expect(config.diagnostics.first?.location == SourceLocation(file: site, line: 3))
        #expect(config.diagnostics.first?.description.hasPrefix("\(site):3: unterminated \"") == true)
        #expect(model.routes.map(\.location) == ["/"])
        #expect(model.routes.first?.listen == ["80"])
    }

    @Test func unterminatedBlockInASiteStillYieldsItsRoutes() {
        let site = "/etc/nginx/sites-enabled/app.conf"
        let reader = InMemoryConfigReader([
            main: "http {\n    include sites-enabled/*.conf;\n    server { listen 8080; location / { proxy_pass http://127.0.0.1:9; } }\n}",
            site: """
            server {
                listen 80;
                location /api/ {
                    proxy_pass http://127.0.0.1:8000;

            """,
        ])
        let (config, model) = loadModel(main, reader)
        #expect(config.diagnostics.map(\.location) == [SourceLocation(file: site, line: 3), SourceLocation(file: site, line: 1)])
        #expect(config.diagnostics.allSatisfy { $0.kind == .syntax && $0.message.contains("unterminated block") })
        // The broken file's blocks are closed at its end; the main file goes on normally.
        #expect(model.routes.map(\.location) == ["/api/", "/"])
        #expect(model.routes.map(\.listen) == [["80"], ["8080"]])
    }
}
