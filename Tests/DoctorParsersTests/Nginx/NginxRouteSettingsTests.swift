import DoctorFacts
@testable import DoctorParsers
import Testing

/// Effective per-route settings: nginx's inheritance http → server → location, on the
/// real fixture trees and on hand-written edge cases.
@Suite("nginx route settings")
struct NginxRouteSettingsTests {
    private let main = "/etc/nginx/nginx.conf"

    private func routes(_ text: String, prefix: String = "/usr/share/nginx/") -> [Route] {
        let model = loadModel(main, InMemoryConfigReader([main: text]), prefix: prefix).1
        #expect(model.diagnostics.isEmpty, "\(model.diagnostics)")
        return model.routes
    }

    private func at(_ line: Int, _ file: String? = nil) -> DoctorFacts.SourceLocation {
        DoctorFacts.SourceLocation(file: file ?? main, line: line)
    }

    @Test func deployedDjangoTree() throws {
        let reader = DirectoryConfigReader(root: try Fixtures.root("django"))
        let model = loadModel(main, reader).1
        let django = "/etc/nginx/sites-enabled/mysite.conf", params = "/etc/nginx/proxy_params"
        let admin = try #require(model.routes.first { $0.location == "/admin/" })
        let root = try #require(model.routes.first { $0.location == "/" && $0.directive == "proxy_pass" && $0.source.file == django })

        // Written in the location / inherited from the server / defaults.
        #expect(root.settings.readTimeout == RouteSetting(name: "proxy_read_timeout", args: ["60s"], source: at(54, django)))
        #expect(admin.settings.readTimeout == RouteSetting(name: "proxy_read_timeout", args: ["60s"], source: nil))
        #expect(admin.settings.readTimeout?.isDefault == true && admin.settings.readTimeout?.seconds == 60)
        #expect(admin.settings.clientMaxBodySize == RouteSetting(name: "client_max_body_size", args: ["10M"], source: at(32, django)))
        #expect(admin.settings.clientMaxBodySize?.bytes == 10 * 1024 * 1024)
        #expect(admin.settings.httpVersion?.value == "1.0" && admin.settings.httpVersion?.isDefault == true)
        #expect(admin.settings.bufferSize?.bytes == 4096)
        // The server's access_log replaces http's.
        #expect(admin.settings.accessLogs == [RouteSetting(name: "access_log", args: ["/var/log/nginx/mysite.access.log", "timed"],
                                                           source: at(29, django))])
        // proxy_params (included) sets Host; nginx still adds its default Connection close.
        #expect(admin.settings.header("host") == RouteSetting(name: "proxy_set_header", args: ["Host", "$host"], source: at(30, params)))
        #expect(admin.settings.header("Connection") == RouteSetting(name: "proxy_set_header", args: ["Connection", "close"], source: nil))
        #expect(admin.settings.all("proxy_set_header").count == 5)
        // No keepalive in mysite_app.
        #expect(admin.settings.upstreamKeepalive == nil)

        // uWSGI routes carry uwsgi_ settings, not proxy_ ones.
        let legacyAPI = try #require(model.routes.first { $0.location == "/api/" && $0.directive == "uwsgi_pass" })
        #expect(legacyAPI.settings.module == "uwsgi")
        #expect(legacyAPI.settings.readTimeout?.args == ["300"] && legacyAPI.settings.readTimeout?.seconds == 300)
        #expect(legacyAPI.settings["proxy_read_timeout"] == nil && legacyAPI.settings.httpVersion == nil)
        #expect(legacyAPI.settings.accessLogs.map(\.value) == ["/var/log/nginx/access.log combined"])
        #expect(legacyAPI.settings.accessLogs.first?.source == at(40))

        // The IPv6 API's upstream keeps 8 idle connections; timeout defaults to 60s.
        let api = try #require(model.routes.first { $0.location == "^~ /api/" })
        #expect(api.settings.upstreamKeepalive?.args == ["8"])
        #expect(api.settings.upstreamKeepalive?.source?.file == "/etc/nginx/sites-enabled/ipv6-api.conf")
        #expect(api.settings.upstreamKeepaliveTimeout?.isDefault == true && api.settings.upstreamKeepaliveTimeout?.seconds == 60)
        let grpc = try #require(model.routes.first { $0.directive == "grpc_pass" })
        #expect(grpc.settings.module == "grpc" && grpc.settings.buffering == nil && grpc.settings.readTimeout?.isDefault == true)
    }

    @Test func lowerLevelsOverrideAndArraysReplace() throws {
        let routes = routes("""
        http {
            proxy_read_timeout 10s;
            proxy_set_header X-Http 1;
            proxy_set_header Host $host;
            access_log logs/main.log;
            server {
                proxy_read_timeout 20s;
                location /a/ {
                    proxy_pass http://127.0.0.1:1;
                    location /a/b/ {
                        proxy_set_header Connection "";
                        proxy_http_version 1.1;
                        proxy_pass http://127.0.0.1:2;
                    }
                    proxy_read_timeout 30s;
                }
                location /c/ {
                    access_log off;
                    if ($request_method = POST) { proxy_read_timeout 5m; proxy_pass http://127.0.0.1:3; }
                    proxy_pass http://127.0.0.1:4;
                }
            }
        }
        """)
        #expect(routes.map(\.location) == ["/a/", "/a/b/", "/c/", "/c/"])
        let (a, ab, cIf, c) = (routes[0].settings, routes[1].settings, routes[2].settings, routes[3].settings)
        // Position inside the block does not matter: /a/'s timeout, written after its nested location, applies to both.
        #expect(a.readTimeout?.source == at(15) && a.readTimeout?.seconds == 30)
        #expect(ab.readTimeout?.source == at(15))
        #expect(c.readTimeout?.source == at(7) && c.readTimeout?.seconds == 20)
        #expect(cIf.readTimeout?.seconds == 300 && cIf.readTimeout?.source == at(19))
        // /a/ inherits http's headers; /a/b/ writes its own list, which replaces http's entirely.
        #expect(a.header("X-Http")?.source == at(3) && a.header("Host")?.source == at(4))
        #expect(ab.header("X-Http") == nil)
        #expect(ab.header("Connection") == RouteSetting(name: "proxy_set_header", args: ["Connection", ""], source: at(11)))
        #expect(ab.header("Host") == RouteSetting(name: "proxy_set_header", args: ["Host", "$proxy_host"], source: nil))
        #expect(ab.httpVersion?.value == "1.1" && a.httpVersion?.isDefault == true)
        // A format left out is `combined`, written into the arguments so a reader always finds one.
        #expect(a.accessLogs == [RouteSetting(name: "access_log", args: ["/usr/share/nginx/logs/main.log", "combined"], source: at(5))])
        #expect(c.accessLogs.map(\.value) == ["off"] && cIf.accessLogs.map(\.value) == ["off"])
    }

    @Test func defaultsWhenNothingIsWritten() throws {
        let settings = try #require(routes("http { server { location / { proxy_pass http://127.0.0.1:8000; } } }").first).settings
        #expect(settings.values.values.allSatisfy { $0.allSatisfy(\.isDefault) })
        #expect(settings.readTimeout?.seconds == 60 && settings.connectTimeout?.seconds == 60 && settings.sendTimeout?.seconds == 60)
        #expect(settings.buffers?.args == ["8", "4k"] && settings.buffering?.value == "on")
        #expect(settings.clientMaxBodySize?.bytes == 1024 * 1024 && settings.clientBodyBufferSize?.bytes == 16 * 1024)
        #expect(settings.accessLogs.map(\.value) == ["/usr/share/nginx/logs/access.log combined"])
        #expect(settings.header("Connection")?.value == "Connection close")
        #expect(settings.upstreamKeepalive == nil)
        #expect(settings.readTimeout?.description == "proxy_read_timeout 60s (default)")
    }

    @Test func upstreamGroupSettings() throws {
        let route = try #require(routes("""
        http {
            upstream app { server 127.0.0.1:8000 max_fails=2 fail_timeout=5s; keepalive 16; keepalive_timeout 4s; }
            server { location / { proxy_pass http://APP; } }
        }
        """).first)
        #expect(route.settings.upstreamKeepalive == RouteSetting(name: "upstream.keepalive", args: ["16"], source: at(2)))
        #expect(route.settings.upstreamKeepaliveTimeout?.seconds == 4)
        #expect(route.settings.upstreamKeepaliveTimeout?.description == "upstream.keepalive_timeout 4s (\(main):2)")
        // Per-server passive health check: written values with the server line, else nginx's defaults.
        guard case let .upstream(_, _, servers) = route.target, let server = servers.first else {
            Issue.record("not an upstream target")
            return
        }
        #expect(server.maxFails == RouteSetting(name: "max_fails", args: ["2"], source: at(2)))
        #expect(server.failTimeout.seconds == 5)
        let bare = UpstreamServer(endpoint: .tcp(host: "127.0.0.1", port: 1), source: at(9))
        #expect(bare.maxFails.isDefault && bare.maxFails.value == "1" && bare.failTimeout.seconds == 10)
    }

    @Test(arguments: [
        ("60", 60.0), ("60s", 60), ("1m", 60), ("500ms", 0.5), ("1h 30m", 5400), ("1h30m", 5400), ("2d", 172_800), ("1y", 31_536_000),
    ])
    func nginxTimes(text: String, seconds: Double) {
        #expect(NginxValue.seconds(text) == seconds)
    }

    @Test(arguments: ["", "s", "10x", "1m m", "abc", "-1s"])
    func notTimes(text: String) {
        #expect(NginxValue.seconds(text) == nil)
    }

    @Test func nginxSizes() {
        #expect(NginxValue.bytes("512") == 512)
        #expect(NginxValue.bytes("4k") == 4096 && NginxValue.bytes("8K") == 8192)
        #expect(NginxValue.bytes("1m") == 1_048_576 && NginxValue.bytes("10M") == 10_485_760)
        #expect(NginxValue.bytes("1g") == 1 << 30)
        #expect(NginxValue.bytes("") == nil && NginxValue.bytes("k") == nil && NginxValue.bytes("4kb") == nil
                && NginxValue.bytes("99999999999999999999g") == nil)
    }
}
