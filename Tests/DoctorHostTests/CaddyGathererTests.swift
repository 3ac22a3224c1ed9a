import DoctorFacts
@testable import DoctorHost
import DoctorParsers
import Foundation
import Testing

/// The parts of Caddy gathering that need no running Caddy: reading a Caddy process's
/// command line, which proxies a run looks for, the facts built from a parsed Caddyfile, and
/// `caddy validate`'s verdict. The lab scenarios (CaddyScenarioTests) run the whole path on
/// real Caddy; the validate outputs here were recorded from Debian's Caddy 2.6.2.
/// The model's place in a file (Testing has a `SourceLocation` of its own).
private typealias Location = DoctorFacts.SourceLocation

@Suite("Caddy gathering")
struct CaddyGathererTests {
    @Test("command lines: Debian's unit, --config=, -config, the child of caddy start, and processes that are not a serving Caddy")
    func commandLines() throws {
        let debian = try #require(CaddyCommandLine(["/usr/bin/caddy", "run", "--environ", "--config", "/etc/caddy/Caddyfile"]))
        #expect(debian.config == "/etc/caddy/Caddyfile")
        #expect(debian.executable == "/usr/bin/caddy")
        #expect(debian.effectiveAdapter == "caddyfile")
        let equals = try #require(CaddyCommandLine(["caddy", "run", "--config=/srv/site/caddy.json"]))
        #expect(equals.config == "/srv/site/caddy.json" && equals.effectiveAdapter == "json" && equals.executable == nil)
        let single = try #require(CaddyCommandLine(["caddy", "run", "-config", "Caddyfile.prod", "-adapter", "caddyfile"]))
        #expect(single.config == "Caddyfile.prod" && single.adapter == "caddyfile")
        // `caddy start` leaves `caddy run --pingback ADDR --config …` running; --pingback's value is not the config.
        let child = try #require(CaddyCommandLine(["/usr/bin/caddy", "run", "--pingback", "127.0.0.1:41231", "--config", "/etc/caddy/Caddyfile"]))
        #expect(child.config == "/etc/caddy/Caddyfile")
        let resumed = try #require(CaddyCommandLine(["caddy", "run", "--resume"]))
        #expect(resumed.resume && resumed.config == nil)
        #expect(CaddyCommandLine(["/usr/bin/caddy", "validate", "--config", "/etc/caddy/Caddyfile"]) == nil)
        #expect(CaddyCommandLine(["/usr/bin/caddy"]) == nil)
        #expect(CaddyCommandLine(["/usr/sbin/nginx", "run"]) == nil)
    }

    @Test("a caddy without --config serves ./Caddyfile of its working directory; a relative --config resolves there too")
    func configPaths() throws {
        let bare = ProcessRecord(pid: 40, ppid: 1, cmdline: ["caddy", "run"], comm: "caddy", cwd: "/srv/site")
        #expect(CaddyGatherer.running(bare)?.config == "/srv/site/Caddyfile")
        let relative = ProcessRecord(pid: 41, ppid: 1, cmdline: ["caddy", "run", "--config", "conf/Caddyfile"], comm: "caddy", cwd: "/srv/site")
        #expect(CaddyGatherer.running(relative)?.config == "/srv/site/conf/Caddyfile")
    }

    @Test("scope: --nginx-conf alone leaves Caddy out (a lab run must not diagnose another lab's Caddy); --caddyfile or no option looks for it")
    func scope() {
        #expect(!CaddyGatherer.wanted(GatherOptions(nginxConfig: "/etc/nginx/nginx.conf")))
        #expect(CaddyGatherer.wanted(GatherOptions()))
        var both = GatherOptions(nginxConfig: "/etc/nginx/nginx.conf")
        both.caddyfile = "/etc/caddy/Caddyfile"
        #expect(CaddyGatherer.wanted(both))
    }

    @Test("facts from a parsed site: listens with bind and http_port, one route per reverse_proxy, a group for several upstreams, timeouts with their lines")
    func factsFromModel() {
        let file = "/etc/caddy/Caddyfile"
        func at(_ line: Int) -> Location { Location(file: file, line: line) }
        let global = CaddyGlobalOptions(httpPort: 8080, logs: [CaddyLogOutput(path: "/var/log/caddy/caddy.log", output: "file", source: at(3))])
        let api = CaddyProxyHandler(matcher: CaddyMatcher(paths: ["/api/*"]), context: ["handle /api/*"],
                                    upstreams: [CaddyUpstream(raw: "127.0.0.1:8001", endpoint: .tcp(host: "127.0.0.1", port: 8001), source: at(10)),
                                                CaddyUpstream(raw: "127.0.0.1:8002", endpoint: .tcp(host: "127.0.0.1", port: 8002), source: at(10))],
                                    transport: CaddyTransport(settings: [CaddySetting(name: "response_header_timeout", args: ["30s"], source: at(12))], source: at(11)),
                                    source: at(10), routePaths: ["/api/*"])
        let app = CaddyProxyHandler(upstreams: [CaddyUpstream(raw: "unix//run/app/gunicorn.sock", endpoint: .unix(path: "/run/app/gunicorn.sock"), source: at(15))],
                                    source: at(15))
        let site = CaddySite(addresses: ["http://example.com", "http://www.example.com"], binds: ["127.0.0.1"], source: at(7),
                             handlers: [api, app], logs: [CaddyLogOutput(path: "/var/log/caddy/access.log", output: "file", format: "json", source: at(8))])
        let config = CaddyConfig(global: global, sites: [site], files: [file])

        let proxy = CaddyGatherer.proxy(config, path: file, process: nil)
        #expect(proxy.kind == .caddy)
        #expect(proxy.listens.map(\.raw) == ["127.0.0.1:8080"])
        #expect(proxy.listens.first?.endpoint == .tcp(host: "127.0.0.1", port: 8080))
        #expect(proxy.errorLogs.map(\.path) == ["/var/log/caddy/caddy.log"])
        #expect(proxy.accessLogs.map(\.path) == ["/var/log/caddy/access.log"])

        let routes = CaddyGatherer.routes(config)
        #expect(routes.count == 2)
        #expect(routes[0].location == "/api/" && routes[0].serverNames == ["example.com", "www.example.com"])
        #expect(routes[0].directive == "reverse_proxy" && routes[0].source == at(10))
        if case let .upstream(_, name, servers) = routes[0].target {
            #expect(name == "127.0.0.1:8001 127.0.0.1:8002")
            #expect(servers.map(\.endpoint) == [.tcp(host: "127.0.0.1", port: 8001), .tcp(host: "127.0.0.1", port: 8002)])
        } else {
            Issue.record("several upstreams must be a group: \(routes[0].target)")
        }
        #expect(routes[0].settings.readTimeout?.name == "response_header_timeout")
        #expect(routes[0].settings.readTimeout?.seconds == 30 && routes[0].settings.readTimeout?.source == at(12))
        // Caddy's dial timeout default (3 s), cited as a default.
        #expect(routes[0].settings.connectTimeout?.value == "3s" && routes[0].settings.connectTimeout?.isDefault == true)
        #expect(routes[1].location == "/" && routes[1].target == .endpoint(scheme: "http", .unix(path: "/run/app/gunicorn.sock")))
        #expect(routes[1].settings.readTimeout == nil, "Caddy sets no response_header_timeout by default")
        #expect(routes[1].settings.accessLogs.first?.args.first == "/var/log/caddy/access.log")
    }

    @Test("a site without bind listens on every interface; an https address is marked ssl so probes skip it")
    func listenForms() {
        let site = CaddySite(addresses: ["example.com", ":8081"], source: Location(file: "/c", line: 1))
        let global = CaddyGlobalOptions()
        #expect(CaddyGatherer.listenStrings(CaddySiteAddress(parsing: "example.com"), site: site, global: global).map(\.raw) == [":443 ssl"])
        #expect(CaddyGatherer.listenStrings(CaddySiteAddress(parsing: ":8081"), site: site, global: global).map(\.raw) == [":8081"])
    }

    @Test("caddy validate (Caddy 2.6.2 output): valid passes; an unknown directive fails with its Caddyfile:line; a run that did not finish is not a verdict")
    func validateVerdicts() {
        let argv = ["caddy", "validate", "--config", "/tmp/caddy-exp/bad/Caddyfile", "--adapter", "caddyfile"]
        let valid = CaddyGatherer.judge(CommandResult(argv: argv, exitCode: 0, stdout: "Valid configuration\n",
                                                      stderr: #"{"level":"info","ts":1795270264.0875282,"msg":"using provided configuration","config_file":"/tmp/caddy-exp/Caddyfile","config_adapter":"caddyfile"}"# + "\n"))
        #expect(valid.passed == true)
        let broken = CaddyGatherer.judge(CommandResult(
            argv: argv, exitCode: 1,
            stderr: #"{"level":"info","ts":1795270264.0664535,"msg":"using provided configuration","config_file":"/tmp/caddy-exp/bad/Caddyfile","config_adapter":"caddyfile"}"#
                + "\nError: adapting config using caddyfile: /tmp/caddy-exp/bad/Caddyfile:7: unrecognized directive: revers_proxy\n"))
        #expect(broken.passed == false)
        #expect(broken.messages.first?.location == Location(file: "/tmp/caddy-exp/bad/Caddyfile", line: 7))
        #expect(broken.messages.first?.text.contains("unrecognized directive: revers_proxy") == true)
        let hung = CaddyGatherer.judge(CommandResult(argv: argv, exitCode: nil, failure: "timed out after 10s"))
        #expect(hung.passed == nil)
    }
}
