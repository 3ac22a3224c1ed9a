import DoctorFacts
import Foundation
@testable import DoctorParsers
import Testing

@Suite("nginx includes")
struct NginxIncludeTests {
    private let main = "/etc/nginx/nginx.conf"

    private func site(_ name: String, port: Int) -> String {
        """
        server {
            listen \(port);
            server_name \(name);
            location / { proxy_pass http://127.0.0.1:\(port + 1000); }
        }
        """
    }

    @Test func relativeIncludesResolveFromTheMainFilesDirectory() {
        let reader = InMemoryConfigReader([
            main: "http { include sites/*.conf; }",
            "/etc/nginx/sites/a.conf": "server { location / { include snippets/pass.conf; } }",
            "/etc/nginx/snippets/pass.conf": "proxy_pass http://127.0.0.1:9000;",
            // Where a naive "relative to the including file" would look:
            "/etc/nginx/sites/snippets/pass.conf": "proxy_pass http://127.0.0.1:6666;",
        ])
        let (config, model) = loadModel(main, reader)
        #expect(config.diagnostics.isEmpty)
        #expect(model.routes.map(\.target.description) == ["http://127.0.0.1:9000"])
        #expect(model.routes.first?.source == SourceLocation(file: "/etc/nginx/snippets/pass.conf", line: 1))
        #expect(config.files == [main, "/etc/nginx/sites/a.conf", "/etc/nginx/snippets/pass.conf"])
    }

    @Test func includesAreExpandedInPlace() {
        let reader = InMemoryConfigReader([
            main: "http {\n    include /etc/nginx/a.conf;\n    server_tokens off;\n}",
            "/etc/nginx/a.conf": "sendfile on;\ntcp_nopush on;",
        ])
        let config = NginxConfigLoader.load(mainFile: main, reader: reader)
        let http = config.directives.first?.block ?? []
        #expect(http.map(\.name) == ["sendfile", "tcp_nopush", "server_tokens"])
        #expect(http[1].location == SourceLocation(file: "/etc/nginx/a.conf", line: 2))
        #expect(http[2].location == SourceLocation(file: main, line: 3))
    }

    @Test func globResultsAreSortedByBytesAndSkipHiddenFiles() {
        let reader = InMemoryConfigReader([
            main: "http { include sites-enabled/*.conf; }",
            "/etc/nginx/sites-enabled/b.conf": site("b", port: 1),
            "/etc/nginx/sites-enabled/a.conf": site("a", port: 2),
            "/etc/nginx/sites-enabled/A.conf": site("A", port: 3),
            "/etc/nginx/sites-enabled/10.conf": site("10", port: 4),
            "/etc/nginx/sites-enabled/9.conf": site("9", port: 5),
            "/etc/nginx/sites-enabled/.hidden.conf": site("hidden", port: 6),
            "/etc/nginx/sites-enabled/notes.txt": site("txt", port: 7),
        ])
        let (config, model) = loadModel(main, reader)
        #expect(config.diagnostics.isEmpty)
        #expect(model.routes.map { $0.serverNames[0] } == ["10", "9", "A", "a", "b"])
    }

    @Test func globClassesQuestionMarksAndWildDirectories() {
        let reader = InMemoryConfigReader([
            main: "http { include /etc/nginx/sites-*/[ab]?.conf; }",
            "/etc/nginx/sites-one/a1.conf": site("a1", port: 1),
            "/etc/nginx/sites-one/c1.conf": site("c1", port: 2),
            "/etc/nginx/sites-two/b2.conf": site("b2", port: 3),
            "/etc/nginx/sites-two/b22.conf": site("b22", port: 4),
            "/etc/nginx/other/a1.conf": site("other", port: 5),
        ])
        let (config, model) = loadModel(main, reader)
        #expect(config.diagnostics.isEmpty)
        #expect(model.routes.map { $0.serverNames[0] } == ["a1", "b2"])
    }

    @Test func globMatcherRules() {
        #expect(NginxGlob.matches("*.conf", "a.conf"))
        #expect(!NginxGlob.matches("*.conf", ".a.conf"))
        #expect(NginxGlob.matches(".*", ".a"))
        #expect(NginxGlob.matches("[!a]*", "b"))
        #expect(!NginxGlob.matches("[!a]*", "a"))
        #expect(NginxGlob.matches("[a-c]x", "bx"))
        #expect(NginxGlob.matches(#"\*"#, "*"))
        #expect(!NginxGlob.matches(#"\*"#, "a"))
        #expect(NginxGlob.matches("[x", "[x"))
        #expect(NginxGlob.matches("*a*a*a*b", String(repeating: "a", count: 40) + "b"))
        #expect(!NginxGlob.matches("*a*a*a*b", String(repeating: "a", count: 40)))
    }

    @Test func globMatchingNothingIsAnEmptyGlobNote() {
        let reader = InMemoryConfigReader([
            main: "http {\n    include conf.d/*.conf;\n" + site("kept", port: 1) + "\n}",
            "/etc/nginx/conf.d/readme.txt": "",
        ])
        let (config, model) = loadModel(main, reader)
        #expect(config.diagnostics.map(\.kind) == [.emptyGlob])
        #expect(config.diagnostics.first?.location == SourceLocation(file: main, line: 2))
        #expect(config.diagnostics.first?.message.contains("conf.d/*.conf") == true)
        #expect(model.routes.count == 1)
    }

    @Test func missingIncludeIsReportedAtTheIncludeLine() {
        let reader = InMemoryConfigReader([
            main: "http {\n    include /etc/nginx/site.conf;\n}",
            "/etc/nginx/site.conf": site("before", port: 1) + "\ninclude /etc/nginx/gone.conf;\n" + site("after", port: 2),
        ])
        let (config, model) = loadModel(main, reader)
        #expect(config.diagnostics.map(\.kind) == [.missingInclude])
        #expect(config.diagnostics.first?.location == SourceLocation(file: "/etc/nginx/site.conf", line: 6))
        #expect(config.diagnostics.first?.message.contains("/etc/nginx/gone.conf") == true)
        #expect(model.routes.map { $0.serverNames[0] } == ["before", "after"])
    }

    @Test func includeCycleIsCutAndReportedWithItsChain() {
        let reader = InMemoryConfigReader([
            main: "http { include /etc/nginx/a.conf; }",
            "/etc/nginx/a.conf": site("a", port: 1) + "\ninclude /etc/nginx/b.conf;",
            "/etc/nginx/b.conf": site("b", port: 2) + "\ninclude /etc/nginx/a.conf;",
        ])
        let (config, model) = loadModel(main, reader)
        let cycles = config.diagnostics.of(.includeCycle)
        #expect(cycles.count == 1)
        #expect(cycles.first?.location == SourceLocation(file: "/etc/nginx/b.conf", line: 6))
        #expect(cycles.first?.message.contains("/etc/nginx/a.conf -> /etc/nginx/b.conf -> /etc/nginx/a.conf") == true)
        #expect(model.routes.map { $0.serverNames[0] } == ["a", "b"])
    }

    @Test func selfIncludeIsACycle() {
        let reader = InMemoryConfigReader([
            main: "user www-data;\ninclude nginx.conf;\nhttp { " + site("s", port: 1) + " }",
        ])
        let (config, model) = loadModel(main, reader)
        #expect(config.diagnostics.map(\.kind) == [.includeCycle])
        #expect(config.diagnostics.first?.location == SourceLocation(file: main, line: 2))
        #expect(model.user?.name == "www-data")
        #expect(model.routes.count == 1)
    }

    @Test func cycleThroughAGlobIsCut() {
        let reader = InMemoryConfigReader([
            main: "http { include /etc/nginx/conf.d/*.conf; }",
            "/etc/nginx/conf.d/a.conf": "include /etc/nginx/conf.d/*.conf;\n" + site("a", port: 1),
        ])
        let (config, model) = loadModel(main, reader)
        #expect(config.diagnostics.map(\.kind) == [.includeCycle])
        #expect(model.routes.count == 1)
    }

    @Test func sharedSnippetIncludedManyTimesIsNotACycle() {
        var files = [main: "http {\n" + (1...50).map { site("s\($0)", port: $0) }.joined(separator: "\n") + "\n}"]
        files[main] = files[main]!.replacingOccurrences(of: "location / {", with: "location / { include /etc/nginx/params;")
        files["/etc/nginx/params"] = "proxy_set_header Host $host;\nproxy_set_header X-Real-IP $remote_addr;"
        let (config, model) = loadModel(main, InMemoryConfigReader(files))
        #expect(config.diagnostics.isEmpty)
        #expect(model.routes.count == 50)
        #expect(config.directives.flattened.filter { $0.name == "proxy_set_header" }.count == 100)
        #expect(config.files == [main, "/etc/nginx/params"])
    }

    @Test func unreadableIncludeIsReportedAtTheIncludeLine() {
        // Tests run as root, which reads a chmod 000 file anyway; permission denied
        // is therefore simulated by the reader.
        let reader = InMemoryConfigReader([
            main: "http {\n    include /etc/nginx/secret.conf;\n" + site("kept", port: 1) + "\n}",
        ], failures: ["/etc/nginx/secret.conf": .permissionDenied])
        let (config, model) = loadModel(main, reader)
        #expect(config.diagnostics.map(\.kind) == [.unreadable])
        #expect(config.diagnostics.first?.location == SourceLocation(file: main, line: 2))
        #expect(config.diagnostics.first?.message.contains("permission denied") == true)
        #expect(model.routes.count == 1)
    }

    @Test func unreadableMainFileHasNoLocation() {
        // Simulated permission denied, as above (root ignores file modes).
        let reader = InMemoryConfigReader([:], failures: [main: .permissionDenied])
        let (config, model) = loadModel(main, reader)
        #expect(config.diagnostics.count == 1)
        #expect(config.diagnostics.first?.kind == .unreadable)
        #expect(config.diagnostics.first?.location == nil)
        #expect(config.diagnostics.first?.description.contains(main) == true)
        #expect(config.directives.isEmpty && config.files.isEmpty && model.routes.isEmpty)
    }

    @Test func missingMainFileIsUnreadable() {
        let config = NginxConfigLoader.load(mainFile: main, reader: InMemoryConfigReader())
        #expect(config.diagnostics.map(\.kind) == [.unreadable])
        #expect(config.diagnostics.first?.message.contains("no such file") == true)
    }

    @Test func unreadableGlobDirectoryIsReported() {
        let reader = InMemoryConfigReader([main: "http { include /etc/nginx/private/*.conf; }"],
                                          failures: ["/etc/nginx/private": .permissionDenied])
        let config = NginxConfigLoader.load(mainFile: main, reader: reader)
        #expect(config.diagnostics.map(\.kind) == [.unreadable])
        #expect(config.diagnostics.first?.location == SourceLocation(file: main, line: 1))
    }

    @Test func oversizedIncludeIsTooLarge() {
        let reader = InMemoryConfigReader([
            main: "http {\n    include /etc/nginx/big.conf;\n" + site("kept", port: 1) + "\n}",
            "/etc/nginx/big.conf": String(repeating: "# padding\n", count: 200),
        ])
        let (config, model) = loadModel(main, reader, maxFileBytes: 1000)
        #expect(config.diagnostics.map(\.kind) == [.tooLarge])
        #expect(config.diagnostics.first?.location == SourceLocation(file: main, line: 2))
        #expect(model.routes.count == 1)
    }

    @Test func includingADirectoryIsUnreadable() {
        let reader = InMemoryConfigReader([
            main: "http { include /etc/nginx/sites-enabled/*; }",
            "/etc/nginx/sites-enabled/a.conf": site("a", port: 1),
            "/etc/nginx/sites-enabled/old/b.conf": site("b", port: 2),
        ])
        let (config, model) = loadModel(main, reader)
        #expect(config.diagnostics.map(\.kind) == [.unreadable])
        #expect(config.diagnostics.first?.message.contains("is a directory") == true)
        #expect(model.routes.count == 1)
    }

    @Test func includeWithWrongArgumentCountIsReported() {
        let reader = InMemoryConfigReader([main: "include a b;\nuser u;"])
        let (config, model) = loadModel(main, reader)
        #expect(config.diagnostics.map(\.kind) == [.syntax])
        #expect(model.user?.name == "u")
    }

    @Test func includeBombIsCutByTheDirectiveBudget() {
        // Each level includes the next 20 times: 20^6 = 64M directives if expanded.
        var files = [main: "http { " + String(repeating: "include /etc/nginx/l1.conf; ", count: 20) + "}"]
        for level in 1...5 {
            files["/etc/nginx/l\(level).conf"] = String(repeating: "include /etc/nginx/l\(level + 1).conf;\n", count: 20)
        }
        files["/etc/nginx/l6.conf"] = "gzip on;"
        // A small budget keeps the test quick; the default one works the same way.
        let config = NginxConfigLoader.load(mainFile: main, reader: InMemoryConfigReader(files), maxFileBytes: 1 << 20,
                                            directiveBudget: 10_000)
        #expect(config.diagnostics.map(\.kind) == [.tooLarge])
        #expect(config.diagnostics.first?.location != nil)
        let total = config.directives.flattened.count
        #expect(total > 1000 && total <= 10_001)
    }

    @Test func nonGlobPathsAreNormalisedForCycleDetection() {
        let reader = InMemoryConfigReader([
            main: "http { include /etc/nginx/./a.conf; }",
            "/etc/nginx/a.conf": "include /etc/nginx/x/../a.conf;\n" + site("a", port: 1),
        ])
        let (config, model) = loadModel(main, reader)
        #expect(config.diagnostics.map(\.kind) == [.includeCycle])
        #expect(model.routes.count == 1)
    }
}

@Suite("nginx path arithmetic")
struct NginxPathTests {
    @Test(arguments: [
        ("/etc/nginx/a.conf", "/etc/nginx/a.conf"),
        ("/etc//nginx/./a.conf", "/etc/nginx/a.conf"),
        ("/etc/nginx/x/../a.conf", "/etc/nginx/a.conf"),
        ("/../a", "/a"),
        ("/etc/nginx/", "/etc/nginx"),
        ("/etc/nginx/.", "/etc/nginx"),
        ("/etc/.hidden/..x", "/etc/.hidden/..x"),
        ("a/../../b", "../b"),
        ("/", "/"),
    ])
    func normalize(path: String, expected: String) {
        #expect(NginxPath.normalize(path) == expected)
    }

    @Test func fastPathAgreesWithTheSlowOne() {
        #expect(NginxPath.isNormal("/etc/nginx/a.conf"))
        #expect(NginxPath.isNormal("relative/a.conf"))
        #expect(!NginxPath.isNormal("/etc/nginx/"))
        #expect(!NginxPath.isNormal("/etc/./nginx"))
        #expect(!NginxPath.isNormal("/etc/../nginx"))
        #expect(!NginxPath.isNormal("//etc"))
    }

    @Test func directoryOfAPath() {
        #expect(NginxPath.directory(of: "/etc/nginx/nginx.conf") == "/etc/nginx")
        #expect(NginxPath.directory(of: "/nginx.conf") == "/")
        #expect(NginxPath.directory(of: "nginx.conf") == "")
        #expect(NginxPath.resolve("sites/*.conf", against: "/etc/nginx") == "/etc/nginx/sites/*.conf")
        #expect(NginxPath.resolve("/abs.conf", against: "/etc/nginx") == "/abs.conf")
    }
}
