import DoctorLab
import Foundation
import Testing

/// Hostile and broken configs through the real `gwdoctor` binary: each must give a clear
/// message with file:line, still print the routes it could read, and exit without a
/// crash or hang (the lab's run deadline turns a hang into a failure).
extension LabTests {
    @Suite("CLI on bad input")
    struct CLIBadInputTests {
        /// A server block that parses fine, so every case can show partial routes.
        static let goodSite = """
            server {
                listen 127.0.0.1:8080;
                server_name good.test;
                location / { proxy_pass http://127.0.0.1:8000; }
            }

            """

        private func write(_ text: String, to path: String) throws {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        }

        private func mainConfig(_ lab: Lab, includes: String) -> String {
            """
            events {}
            http {
                include \(lab.directory)/good.conf;
            \(includes)
            }

            """
        }

        /// Runs `gwdoctor routes` as JSON and as text on the lab directory's nginx.conf.
        private func routes(_ lab: Lab, extra: [String] = []) async throws -> (json: [String: Any], text: DoctorRun) {
            let config = lab.directory + "/nginx.conf"
            let json = try await lab.runDoctor(["routes", "--nginx-conf", config, "--format", "json"] + extra, timeout: .seconds(30))
            #expect(json.exitCode == 1, "config problems make routes exit 1 (warning)\n\(json)")
            let text = try await lab.runDoctor(["routes", "--nginx-conf", config] + extra, timeout: .seconds(30))
            #expect(text.exitCode == json.exitCode)
            #expect(text.stdout.contains("good.test"), "partial routes are still printed\n\(text)")
            return (try json.json(), text)
        }

        private func problems(_ json: [String: Any]) -> [[String: Any]] {
            json["config_problems"] as? [[String: Any]] ?? []
        }

        private func routeNames(_ json: [String: Any]) -> [String] {
            (json["routes"] as? [[String: Any]] ?? []).compactMap { $0["server_name"] as? String }
        }

        @Test("include cycle: named with file:line, no hang")
        func includeCycle() async throws {
            try await withLab("cli-cycle") { lab in
                try write(Self.goodSite, to: lab.directory + "/good.conf")
                try write("include \(lab.directory)/b.conf;\n", to: lab.directory + "/a.conf")
                try write("include \(lab.directory)/a.conf;\n", to: lab.directory + "/b.conf")
                try write(mainConfig(lab, includes: "    include \(lab.directory)/a.conf;"), to: lab.directory + "/nginx.conf")
                let (json, text) = try await routes(lab)
                let cycle = try #require(problems(json).first { $0["kind"] as? String == "include-cycle" })
                #expect((cycle["source"] as? String)?.hasPrefix(lab.directory + "/b.conf:1") == true)
                #expect(routeNames(json) == ["good.test"])
                #expect(text.stderr.contains("b.conf:1"))
            }
        }

        @Test("missing include and a glob matching nothing")
        func missingIncludeAndEmptyGlob() async throws {
            try await withLab("cli-missing") { lab in
                try write(Self.goodSite, to: lab.directory + "/good.conf")
                try write(mainConfig(lab, includes: """
                        include \(lab.directory)/gone.conf;
                        include \(lab.directory)/sites/*.conf;
                    """), to: lab.directory + "/nginx.conf")
                let (json, _) = try await routes(lab)
                let kinds = problems(json).map { $0["kind"] as? String }
                #expect(kinds.contains("missing-include"))
                #expect(kinds.contains("empty-glob"))
                let missing = try #require(problems(json).first { $0["kind"] as? String == "missing-include" })
                #expect(missing["source"] as? String == lab.directory + "/nginx.conf:4")
            }
        }

        @Test("unterminated quote and unterminated block keep the routes before them")
        func unterminated() async throws {
            try await withLab("cli-unterminated") { lab in
                try write(Self.goodSite, to: lab.directory + "/good.conf")
                try write("server {\n    server_name \"broken.test;\n    location / { proxy_pass http://127.0.0.1:9000; }\n",
                          to: lab.directory + "/broken.conf")
                try write(mainConfig(lab, includes: "    include \(lab.directory)/broken.conf;"), to: lab.directory + "/nginx.conf")
                let (json, _) = try await routes(lab)
                let syntax = problems(json).filter { $0["kind"] as? String == "syntax" }
                #expect(!syntax.isEmpty)
                #expect(syntax.allSatisfy { ($0["source"] as? String)?.hasPrefix(lab.directory + "/broken.conf:") == true })
                #expect(routeNames(json).contains("good.test"))
            }
        }

        @Test("binary garbage in an included file")
        func binaryGarbage() async throws {
            try await withLab("cli-binary") { lab in
                try write(Self.goodSite, to: lab.directory + "/good.conf")
                var garbage = [UInt8](repeating: 0, count: 4096)
                var state: UInt64 = 0x9E37_79B9_7F4A_7C15
                for index in garbage.indices {
                    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                    garbage[index] = UInt8(truncatingIfNeeded: state >> 33)
                }
                garbage[10] = 0
                try Data(garbage).write(to: URL(fileURLWithPath: lab.directory + "/garbage.conf"))
                try write(mainConfig(lab, includes: "    include \(lab.directory)/garbage.conf;"), to: lab.directory + "/nginx.conf")
                let (json, _) = try await routes(lab)
                #expect(problems(json).contains { $0["kind"] as? String == "binary" })
            }
        }

        @Test("a 50 MB include is refused with its size, not read into memory")
        func hugeInclude() async throws {
            try await withLab("cli-huge") { lab in
                try write(Self.goodSite, to: lab.directory + "/good.conf")
                let line = Data("    # padding padding padding padding padding padding padding padding padding\n".utf8)
                let hugePath = lab.directory + "/huge.conf"
                try #require(FileManager.default.createFile(atPath: hugePath, contents: nil))
                let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: hugePath))
                let block = Data((0..<(1 << 20) / line.count).flatMap { _ in line })
                for _ in 0..<50 { handle.write(block) }
                try handle.close()
                try write(mainConfig(lab, includes: "    include \(lab.directory)/huge.conf;"), to: lab.directory + "/nginx.conf")
                let (json, _) = try await routes(lab)
                #expect(problems(json).contains { $0["kind"] as? String == "too-large" })
                #expect(routeNames(json) == ["good.test"])
            }
        }

        @Test("unreadable config for a non-root user: permission denied, named")
        func unreadableConfig() async throws {
            try await withLab("cli-unreadable") { lab in
                try write(Self.goodSite, to: lab.directory + "/good.conf")
                try write("server { listen 9; location / { proxy_pass http://127.0.0.1:1; } }\n", to: lab.directory + "/secret.conf")
                try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: lab.directory + "/secret.conf")
                try write(mainConfig(lab, includes: "    include \(lab.directory)/secret.conf;"), to: lab.directory + "/nginx.conf")
                // Root reads everything; run gwdoctor as `nobody` to meet a real EACCES.
                let doctor = try Lab.doctorExecutable()
                let run = try await lab.runInNamespace(
                    ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", doctor,
                     "routes", "--nginx-conf", lab.directory + "/nginx.conf", "--format", "json"],
                    environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "NO_COLOR": "1"], timeout: .seconds(30))
                #expect(run.exitCode == 1, "\(run)")
                let json = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "\(run)")
                let unreadable = try #require(problems(json).first { $0["kind"] as? String == "unreadable" }, "\(run)")
                #expect((unreadable["message"] as? String)?.contains("permission denied") == true)
                #expect(unreadable["source"] as? String == lab.directory + "/nginx.conf:4")
                #expect(routeNames(json) == ["good.test"])
            }
        }

        @Test("a config path that does not exist: a clear message, exit 1 or 3, no routes")
        func missingMainConfig() async throws {
            try await withLab("cli-nofile") { lab in
                let run = try await lab.runDoctor(["routes", "--nginx-conf", lab.directory + "/nope.conf"], timeout: .seconds(30))
                #expect(run.stderr.contains(lab.directory + "/nope.conf"))
                #expect(run.stderr.contains("no such file"))
                #expect(run.exitCode != 0 && run.exitCode != 2)
                let diagnose = try await lab.runDoctor(["diagnose", "--nginx-conf", lab.directory + "/nope.conf", "--format", "json"],
                                                       timeout: .seconds(30))
                let json = try diagnose.json()
                #expect(["unknown", "critical"].contains(json["status"] as? String))
            }
        }

        @Test("a snapshot directory that is not a snapshot: exit 3 with a message")
        func notASnapshot() async throws {
            try await withLab("cli-notsnap") { lab in
                let run = try await lab.runDoctor(["diagnose", "--root", lab.directory], timeout: .seconds(30))
                #expect(run.exitCode == 3, "\(run)")
                #expect(run.stderr.contains("cannot read snapshot"))
            }
        }
    }
}
