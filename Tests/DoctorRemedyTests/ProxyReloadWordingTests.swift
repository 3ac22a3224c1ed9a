import DoctorFacts
import DoctorRemedy
import Testing

/// The reload a plan prints for a person must be the command gwdoctor would run.
@Suite("Proxy reload wording")
struct ProxyReloadWordingTests {
    @Test("Caddy: --adapter is shown for a Caddyfile and left out for a JSON config, as AllowedCommand runs them")
    func caddyAdapterShownAsRun() {
        let command = ["/usr/bin/caddy", "run", "--config", "/etc/caddy/caddy.json"]
        let json = ProxyReload(proxy: .caddy, configPath: "/etc/caddy/caddy.json", prefix: nil, masterPID: 812,
                               masterCommandLine: command, adapter: "json")
        #expect(json.reloadCommandLine == "/usr/bin/caddy reload --config /etc/caddy/caddy.json --address <its admin address>")
        #expect(!json.configTest.arguments.contains("--adapter"))
        let caddyfile = ProxyReload(proxy: .caddy, configPath: "/etc/caddy/Caddyfile", prefix: nil, masterPID: 812,
                                    masterCommandLine: ["/usr/bin/caddy", "run", "--config", "/etc/caddy/Caddyfile"], adapter: "caddyfile")
        #expect(caddyfile.reloadCommandLine.contains("--adapter caddyfile"))
        let nginx = ProxyReload(proxy: .nginx, configPath: "/etc/nginx/nginx.conf", prefix: nil, masterPID: 412, masterCommandLine: ["nginx"])
        #expect(nginx.reloadCommandLine == "kill -HUP 412")
    }
}
