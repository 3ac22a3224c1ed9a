import DoctorFacts
import DoctorParsers
import Foundation
import Testing

/// The generated 2,000-server tree used by the benchmarks (`../shared/bench`, beside the
/// checkout, as on every developer machine and in CI).
@Suite("generated benchmark tree")
struct NginxBenchmarkTreeTests {
    static let generator = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/bench/gen_nginx_config.py").standardized.path

    @Test func everyPassOfTwoThousandServersBecomesARoute() throws {
        try #require(FileManager.default.fileExists(atPath: Self.generator),
                     "the benchmark generator is missing: expected \(Self.generator) (shared/ beside the checkout)")
        try withTemporaryDirectory { directory in
            let python = Process()
            python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            python.arguments = ["python3", Self.generator, directory]
            python.standardOutput = FileHandle.nullDevice
            try python.run()
            python.waitUntilExit()
            try #require(python.terminationStatus == 0)

            // Independent count: pass lines and server blocks, by a plain line scan.
            let sitesDirectory = directory + "/sites-enabled"
            var passLines = 0, servers = 0, upstreamSocketServers = 0
            for name in try FileManager.default.contentsOfDirectory(atPath: sitesDirectory) {
                let text = try String(contentsOfFile: sitesDirectory + "/" + name, encoding: .utf8)
                for line in text.split(separator: "\n") {
                    let trimmed = line.drop { $0 == " " }
                    if trimmed.hasPrefix("proxy_pass ") || trimmed.hasPrefix("uwsgi_pass ") { passLines += 1 }
                    if trimmed == "server {" { servers += 1 }
                }
            }
            for name in try FileManager.default.contentsOfDirectory(atPath: directory + "/upstreams") {
                let text = try String(contentsOfFile: directory + "/upstreams/" + name, encoding: .utf8)
                upstreamSocketServers += text.components(separatedBy: "server unix:").count - 1
            }
            try #require(servers == 2000)

            let (config, model) = loadModel(directory + "/nginx.conf", DirectoryConfigReader(), prefix: directory + "/")
            #expect(config.diagnostics.isEmpty, "\(config.diagnostics.prefix(5))")
            #expect(config.files.count == 404)
            #expect(model.routes.count == passLines)
            #expect(model.listens.count == 2 * servers)
            #expect(model.upstreams.count == servers)
            #expect(model.upstreams.values.filter { $0.first?.endpoint.description.hasPrefix("unix:") == true }.count
                == upstreamSocketServers)
            #expect(model.logFormats["upstreamlog"]?.hasPrefix("$remote_addr - [$time_local]") == true)
            #expect(model.routes.first?.serverNames == ["site00000.example.test", "www.site00000.example.test"])
            #expect(model.routes.first?.target.endpoints == [.unix(path: "/run/gunicorn/app_00000.sock")])
        }
    }
}
