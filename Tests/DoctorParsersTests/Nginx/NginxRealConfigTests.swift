import DoctorFacts
import DoctorParsers
import Testing

/// Configurations as shipped or deployed, read from fixture trees through real file I/O.
/// Both trees pass `nginx -t` (1.22.1) when their paths are rewritten to a temp copy.
@Suite("real nginx configurations")
struct NginxRealConfigTests {
    private let main = "/etc/nginx/nginx.conf"

    /// Debian 12's /etc/nginx as installed by the nginx package (symlinks copied as files).
    @Test func debianDefaultTree() throws {
        let reader = DirectoryConfigReader(root: try Fixtures.root("debian"))
        let (config, model) = loadModel(main, reader)

        #expect(config.files == [
            main,
            "/etc/nginx/modules-enabled/50-mod-http-echo.conf",
            "/etc/nginx/mime.types",
            "/etc/nginx/sites-enabled/default",
        ])
        // conf.d is empty on a fresh install: nginx accepts that, we note it.
        #expect(config.diagnostics == [ConfigDiagnostic(
            kind: .emptyGlob, message: "include /etc/nginx/conf.d/*.conf matches no file (nginx accepts this)",
            location: SourceLocation(file: main, line: 59))])

        #expect(model.user == NginxUser(name: "www-data", source: SourceLocation(file: main, line: 1)))
        #expect(model.pidFile == "/run/nginx.pid")
        #expect(model.errorLogs == [LogFileDirective(path: "/var/log/nginx/error.log", qualifier: "error",
                                                     source: SourceLocation(file: main, line: 4))])
        #expect(model.accessLogs == [LogFileDirective(path: "/var/log/nginx/access.log", qualifier: "combined",
                                                      source: SourceLocation(file: main, line: 40))])
        let site = "/etc/nginx/sites-enabled/default"
        #expect(model.listens == [
            ListenDirective(raw: "80 default_server", endpoint: .tcp(host: "0.0.0.0", port: 80),
                            source: SourceLocation(file: site, line: 22)),
            ListenDirective(raw: "[::]:80 default_server", endpoint: .tcp(host: "::", port: 80),
                            source: SourceLocation(file: site, line: 23)),
        ])
        // The default site serves files; its PHP pass is commented out.
        #expect(model.routes.isEmpty)
        #expect(model.upstreams.isEmpty && model.resolvers.isEmpty)

        // mime.types' types{} block is spliced into http, entries intact.
        let types = try #require(config.directives.find("types"))
        #expect(types.location.file == "/etc/nginx/mime.types")
        #expect(types.block?.first { $0.name == "text/html" }?.args == ["html", "htm", "shtml"])
        #expect(config.directives.first?.name == "user")
        #expect(config.directives.find("load_module")?.args == ["modules/ngx_http_echo_module.so"])
    }

    /// Debian's nginx.conf with three deployed sites: Django behind Gunicorn on a unix
    /// socket, a uWSGI app, and an IPv6 API.
    @Test func deployedSites() throws {
        let reader = DirectoryConfigReader(root: try Fixtures.root("django"))
        let (config, model) = loadModel(main, reader)
        let sites = "/etc/nginx/sites-enabled/"
        let ipv6 = sites + "ipv6-api.conf", uwsgi = sites + "legacy-uwsgi.conf", django = sites + "mysite.conf"

        #expect(config.diagnostics.map(\.kind) == [.emptyGlob, .emptyGlob])
        // Read in include order; each shared params file once.
        #expect(config.files == [main, "/etc/nginx/mime.types", ipv6, uwsgi, "/etc/nginx/uwsgi_params", django,
                                 "/etc/nginx/proxy_params"])

        let gunicorn = [UpstreamServer(endpoint: .unix(path: "/run/gunicorn/mysite.sock"), parameters: ["fail_timeout=0"],
                                       source: SourceLocation(file: django, line: 7))]
        let apiV6 = [
            UpstreamServer(endpoint: .tcp(host: "::1", port: 8001), parameters: ["max_fails=3", "fail_timeout=10s"],
                           source: SourceLocation(file: ipv6, line: 3)),
            UpstreamServer(endpoint: .tcp(host: "::1", port: 8002), parameters: ["backup"],
                           source: SourceLocation(file: ipv6, line: 4)),
        ]
        #expect(model.upstreams == ["mysite_app": gunicorn, "api_v6": apiV6])

        let v6Listen = ["[::]:8443 ipv6only=on", "127.0.0.1:8080"], v6Names = ["v6.example.com"]
        let httpsListen = ["443 ssl http2", "[::]:443 ssl http2"]
        let djangoNames = ["mysite.example.com", "www.mysite.example.com"]
        let expected: [Route] = [
            Route(proxy: .nginx, listen: v6Listen, serverNames: v6Names, location: "/", directive: "proxy_pass",
                  target: .endpoint(scheme: "http", .tcp(host: "::1", port: 8000)), source: SourceLocation(file: ipv6, line: 21)),
            Route(proxy: .nginx, listen: v6Listen, serverNames: v6Names, location: "^~ /api/", directive: "proxy_pass",
                  target: .upstream(scheme: "http", name: "api_v6", servers: apiV6), source: SourceLocation(file: ipv6, line: 28)),
            Route(proxy: .nginx, listen: v6Listen, serverNames: v6Names, location: "@fallback", directive: "proxy_pass",
                  target: .endpoint(scheme: "http", .tcp(host: "localhost", port: 8000)),
                  source: SourceLocation(file: ipv6, line: 32)),
            Route(proxy: .nginx, listen: v6Listen, serverNames: v6Names, location: "/grpc.Health/", directive: "grpc_pass",
                  target: .endpoint(scheme: "grpc", .tcp(host: "::1", port: 50051)), source: SourceLocation(file: ipv6, line: 36)),
            Route(proxy: .nginx, listen: v6Listen, serverNames: v6Names, location: "/tenant/", directive: "proxy_pass",
                  target: .variable(raw: "http://$tenant_host:8000"), source: SourceLocation(file: ipv6, line: 41)),
            Route(proxy: .nginx, listen: ["8081"], serverNames: ["legacy.example.com"], location: "/", directive: "uwsgi_pass",
                  target: .endpoint(scheme: "uwsgi", .unix(path: "/run/uwsgi/app/legacy/socket")),
                  source: SourceLocation(file: uwsgi, line: 9)),
            Route(proxy: .nginx, listen: ["8081"], serverNames: ["legacy.example.com"], location: "/api/", directive: "uwsgi_pass",
                  target: .endpoint(scheme: "uwsgi", .tcp(host: "127.0.0.1", port: 3031)),
                  source: SourceLocation(file: uwsgi, line: 15)),
            Route(proxy: .nginx, listen: httpsListen, serverNames: djangoNames, location: "/admin/", directive: "proxy_pass",
                  target: .upstream(scheme: "http", name: "mysite_app", servers: gunicorn),
                  source: SourceLocation(file: django, line: 49)),
            Route(proxy: .nginx, listen: httpsListen, serverNames: djangoNames, location: "/", directive: "proxy_pass",
                  target: .upstream(scheme: "http", name: "mysite_app", servers: gunicorn),
                  source: SourceLocation(file: django, line: 55)),
        ]
        // Settings are covered by NginxRouteSettingsTests; compare routes without them here.
        #expect(model.routes.map { route in var bare = route; bare.settings = RouteSettings(); return bare } == expected)

        #expect(model.listens.map(\.endpoint) == [
            .tcp(host: "::", port: 8443), .tcp(host: "127.0.0.1", port: 8080),
            .tcp(host: "0.0.0.0", port: 8081),
            .tcp(host: "0.0.0.0", port: 80), .tcp(host: "::", port: 80),
            .tcp(host: "0.0.0.0", port: 443), .tcp(host: "::", port: 443),
        ])
        #expect(model.resolvers == [SourceLocation(file: ipv6, line: 40)])
        #expect(model.logFormats["timed"] == #"$remote_addr - $remote_user [$time_local] "$request" "#
            + #"$status $body_bytes_sent "$http_referer" "# + #""$http_user_agent" rt=$request_time urt=$upstream_response_time"#)
        #expect(model.accessLogs.map(\.path) == ["/var/log/nginx/access.log", "/var/log/nginx/mysite.access.log", "off"])
        #expect(model.accessLogs.map(\.qualifier) == ["combined", "timed", nil])
        #expect(model.errorLogs.map(\.path) == ["/var/log/nginx/error.log", "/var/log/nginx/mysite.error.log"])
        #expect(model.errorLogs.last?.qualifier == "warn")

        // `include proxy_params;` (relative) is spliced into the location from /etc/nginx.
        let adminHeaders = config.directives.flattened.filter {
            $0.name == "proxy_set_header" && $0.location.file == "/etc/nginx/proxy_params"
        }
        #expect(adminHeaders.count == 8)
    }
}
