import DoctorFacts
@testable import DoctorHost
import DoctorParsers
import Foundation
import Testing

/// CaddyGatherer on a Caddy JSON config, through `LiveHost` on real files, with the real
/// `caddy validate` (Debian's 2.6.2, /usr/bin/caddy) as the config test: the JSON gives the
/// same kinds of facts as a Caddyfile (listens, logs, routes with file:line and JSON pointer),
/// and a config gwdoctor cannot read, or one only the admin API holds, is said as unavailable.
@Suite("Caddy gathering: JSON configs")
struct CaddyJSONGathererTests {
    /// A plain-HTTP server on 127.0.0.1:PORT proxying to a unix socket, logging into `directory`.
    static func config(_ directory: String, port: Int = 18_080) -> String {
        """
        {
          "admin": {"disabled": true},
          "logging": {"logs": {
            "default": {"writer": {"output": "file", "filename": "\(directory)/caddy.log"}, "encoder": {"format": "json"},
                        "exclude": ["http.log.access.log0"]},
            "log0": {"writer": {"output": "file", "filename": "\(directory)/access.log"}, "encoder": {"format": "json"},
                     "include": ["http.log.access.log0"]}
          }},
          "apps": {"http": {"servers": {"srv0": {
            "listen": ["127.0.0.1:\(port)"],
            "automatic_https": {"disable": true},
            "logs": {"default_logger_name": "log0"},
            "routes": [{
              "match": [{"path": ["/api/*"]}],
              "handle": [{
                "handler": "reverse_proxy",
                "upstreams": [{"dial": "unix/\(directory)/app.sock"}],
                "transport": {"protocol": "http", "response_header_timeout": 30000000000}
              }]
            }]
          }}}}
        }

        """
    }

    /// The 1-based line of the first line of `text` containing `needle` (0 when none).
    static func line(of needle: String, in text: String) -> Int {
        (text.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains(needle) } ?? -1) + 1
    }

    private func gather(_ options: GatherOptions, processes: [ProcessRecord] = []) async -> CaddyGatherer.Result {
        await CaddyGatherer(host: LiveHost(), options: options, processes: processes).gather()
    }

    private func options(_ file: String) -> GatherOptions {
        var options = GatherOptions(commandTimeout: .seconds(30))
        options.caddyfile = file
        return options
    }

    @Test("--caddyfile caddy.json: listens, runtime and access logs, one route with file:line and pointer; caddy validate without --adapter passes")
    func jsonFile() async throws {
        let directory = try TemporaryDirectory()
        let file = try directory.write("caddy.json", Self.config(directory.path))
        // caddy validate creates the log files it would write; the gatherer runs it only when they exist.
        try directory.write("caddy.log", "")
        try directory.write("access.log", "")
        let result = await gather(options(file))
        #expect(!result.unavailable.contains { $0.reason.contains("Caddyfiles only") }, "\(result.unavailable)")
        let proxy = try #require(result.proxies.first)
        #expect(result.proxies.count == 1 && proxy.kind == .caddy && proxy.configPath == file)
        #expect(proxy.configAdapter == "json", "the fix step tests and reloads with the adapter the config was read with")
        #expect(proxy.listens.map(\.raw) == ["127.0.0.1:18080"])
        #expect(proxy.errorLogs.map(\.path) == [directory.file("caddy.log")] && proxy.errorLogs.first?.qualifier == "default")
        #expect(proxy.accessLogs.map(\.path) == [directory.file("access.log")])
        let route = try #require(result.routes.first)
        #expect(result.routes.count == 1)
        #expect(route.location == "/api/")
        #expect(route.target == .endpoint(scheme: "http", .unix(path: directory.file("app.sock"))))
        #expect(route.source == SourceLocation(file: file, line: Self.line(of: "\"handle\": [{", in: Self.config(directory.path)),
                                               pointer: "/apps/http/servers/srv0/routes/0/handle/0"))
        #expect(route.settings.values["caddy_read_timeout"]?.first?.args == ["30s"])
        #expect(route.settings.values["caddy_read_timeout"]?.first?.source?.pointer
            == "/apps/http/servers/srv0/routes/0/handle/0/transport/response_header_timeout")
        let test = try #require(proxy.configTest)
        #expect(test.command.argv.suffix(3) == ["validate", "--config", file], "\(test.command.argv)")
        #expect(test.passed == true, "\(test.command)")
    }

    @Test("malformed JSON: unavailable with the reason and line, no routes, and caddy validate fails; the run goes on")
    func malformedJSON() async throws {
        let directory = try TemporaryDirectory()
        let text = Self.config(directory.path).replacingOccurrences(of: "\"listen\": [", with: "\"listen\" [")
        let file = try directory.write("caddy.json", text)
        let result = await gather(options(file))
        let unavailable = try #require(result.unavailable.first { $0.what.contains(file) }, "\(result.unavailable)")
        #expect(unavailable.reason.hasPrefix("not valid JSON: expected ':' after key \"listen\""), "\(unavailable)")
        #expect(unavailable.what.hasSuffix("\(file):\(Self.line(of: "\"listen\" [", in: text))"), "\(unavailable)")
        #expect(result.routes.isEmpty)
        #expect(result.proxies.first?.configTest?.passed == false, "\(String(describing: result.proxies.first?.configTest))")
    }

    @Test("binary or missing .json config: unavailable, nothing else")
    func binaryAndMissing() async throws {
        let directory = try TemporaryDirectory()
        let binary = directory.file("caddy.json")
        try Data([0x7F, 0x45, 0x4C, 0x46, 0x00, 0x01]).write(to: URL(fileURLWithPath: binary))
        var options = options(binary)
        options.runConfigTest = false
        let result = await gather(options)
        #expect(result.unavailable.contains { $0.reason.contains("not a text configuration file") }, "\(result.unavailable)")
        #expect(result.routes.isEmpty)
        options.caddyfile = directory.file("absent.json")
        let missing = await gather(options)
        #expect(missing.proxies.isEmpty && missing.unavailable.count == 1, "\(missing.unavailable)")
    }

    @Test("a running caddy: --config caddy.json (relative) is read as JSON; --resume without autosave and a bare `caddy run` say the admin API holds the config")
    func runningProcesses() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("caddy.json", Self.config(directory.path, port: 18_081))
        var options = GatherOptions(runConfigTest: false, commandTimeout: .seconds(10))
        options.caddyfile = nil
        let json = ProcessRecord(pid: 4101, ppid: 1, user: "root", cmdline: ["/usr/bin/caddy", "run", "--config", "caddy.json"],
                                 comm: "caddy", cwd: directory.path)
        let resumed = ProcessRecord(pid: 4102, ppid: 1, user: "gwdoctor-no-such-user", cmdline: ["caddy", "run", "--resume"],
                                    comm: "caddy", cwd: "/")
        let bare = ProcessRecord(pid: 4103, ppid: 1, user: "root", cmdline: ["caddy", "run"], comm: "caddy", cwd: directory.path)
        let result = await gather(options, processes: [json, resumed, bare])
        #expect(result.proxies.map(\.masterPID) == [4101])
        #expect(result.routes.map(\.target) == [.endpoint(scheme: "http", .unix(path: directory.file("app.sock")))])
        let resume = try #require(result.unavailable.first { $0.what == "caddy pid 4102 config" }, "\(result.unavailable)")
        #expect(resume.reason.contains("--resume") && resume.reason.hasSuffix(CaddyGatherer.adminAPIReason), "\(resume)")
        let admin = try #require(result.unavailable.first { $0.what == "caddy pid 4103 config" }, "\(result.unavailable)")
        #expect(admin.reason == "no --config and no \(directory.file("Caddyfile")): \(CaddyGatherer.adminAPIReason)")
    }

    @Test("--resume reads its user's ~/.config/caddy/autosave.json (home from /etc/passwd), as JSON")
    func autosavePath() {
        #expect(CaddyCommandLine(["caddy", "run", "--resume"])?.effectiveAdapter == "json")
        #expect(CaddyCommandLine(["caddy", "run", "--resume", "--config", "/etc/caddy/Caddyfile"])?.effectiveAdapter == "caddyfile")
        let passwd = """
        root:x:0:0:root:/root:/bin/bash
        caddy:x:998:998:Caddy web server:/var/lib/caddy:/usr/sbin/nologin
        odd:x:1001:1001::/:/bin/sh
        """
        #expect(CaddyGatherer.autosavePath(user: "caddy", passwd: passwd) == "/var/lib/caddy/.config/caddy/autosave.json")
        #expect(CaddyGatherer.autosavePath(user: "root", passwd: passwd) == "/root/.config/caddy/autosave.json")
        #expect(CaddyGatherer.autosavePath(user: "odd", passwd: passwd) == "/.config/caddy/autosave.json")
        #expect(CaddyGatherer.autosavePath(user: "cadd", passwd: passwd) == nil)
    }

    @Test("caddy validate, adapt and reload: JSON is passed without --adapter (Caddy 2.6 refuses `--adapter json`)")
    func validateArguments() {
        #expect(AllowedCommand.caddyValidate(executable: nil, config: "/etc/caddy/caddy.json", adapter: "json").argv.suffix(3)
            == ["validate", "--config", "/etc/caddy/caddy.json"])
        #expect(AllowedCommand.caddyValidate(executable: nil, config: "/etc/caddy/Caddyfile", adapter: "caddyfile").argv.suffix(5)
            == ["validate", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"])
        #expect(AllowedCommand.caddyAdapt(executable: nil, config: "/etc/caddy/caddy.json", adapter: "json").argv.suffix(3)
            == ["adapt", "--config", "/etc/caddy/caddy.json"])
        #expect(AllowedCommand.caddyReload(executable: "/usr/bin/caddy", config: "/etc/caddy/caddy.json", adapter: "json",
                                           address: "localhost:2019")?.argv
            == ["/usr/bin/caddy", "reload", "--config", "/etc/caddy/caddy.json", "--address", "localhost:2019"])
    }
}
