import DoctorFacts
@testable import DoctorParsers
import Testing

@Suite("nginx model")
struct NginxModelTests {
    private let main = "/etc/nginx/nginx.conf"

    private func model(_ text: String, prefix: String = "/usr/share/nginx/") -> NginxModel {
        loadModel(main, InMemoryConfigReader([main: text]), prefix: prefix).1
    }

    /// The target of the only route of `location / { <pass line> }`, with `extra` in http.
    private func target(_ pass: String, extra: String = "") -> RouteTarget? {
        let built = model("http {\n\(extra)\n server { location / { \(pass); } } }")
        #expect(built.diagnostics.isEmpty, "\(built.diagnostics)")
        return built.routes.first?.target
    }

    @Test(arguments: [
        ("proxy_pass http://127.0.0.1:8000/path", RouteTarget.endpoint(scheme: "http", .tcp(host: "127.0.0.1", port: 8000))),
        ("proxy_pass http://127.0.0.1", .endpoint(scheme: "http", .tcp(host: "127.0.0.1", port: 80))),
        ("proxy_pass https://backend.internal/", .endpoint(scheme: "https", .tcp(host: "backend.internal", port: 443))),
        ("proxy_pass HTTP://localhost:8000", .endpoint(scheme: "http", .tcp(host: "localhost", port: 8000))),
        ("proxy_pass http://[::1]:8000", .endpoint(scheme: "http", .tcp(host: "::1", port: 8000))),
        ("proxy_pass http://[::1]", .endpoint(scheme: "http", .tcp(host: "::1", port: 80))),
        ("proxy_pass http://unix:/run/app.sock:/prefix", .endpoint(scheme: "http", .unix(path: "/run/app.sock"))),
        ("proxy_pass http://unix:/run/app.sock", .endpoint(scheme: "http", .unix(path: "/run/app.sock"))),
        ("uwsgi_pass unix:/run/uwsgi/app.sock", .endpoint(scheme: "uwsgi", .unix(path: "/run/uwsgi/app.sock"))),
        ("uwsgi_pass 127.0.0.1:3031", .endpoint(scheme: "uwsgi", .tcp(host: "127.0.0.1", port: 3031))),
        ("uwsgi_pass uwsgi://127.0.0.1:3031", .endpoint(scheme: "uwsgi", .tcp(host: "127.0.0.1", port: 3031))),
        ("fastcgi_pass unix:/run/php/php8.2-fpm.sock", .endpoint(scheme: "fastcgi", .unix(path: "/run/php/php8.2-fpm.sock"))),
        ("fastcgi_pass 127.0.0.1:9000", .endpoint(scheme: "fastcgi", .tcp(host: "127.0.0.1", port: 9000))),
        ("grpc_pass grpc://127.0.0.1:50051", .endpoint(scheme: "grpc", .tcp(host: "127.0.0.1", port: 50051))),
        ("grpc_pass grpcs://api.internal", .endpoint(scheme: "grpcs", .tcp(host: "api.internal", port: 443))),
        ("grpc_pass 127.0.0.1:50051", .endpoint(scheme: "grpc", .tcp(host: "127.0.0.1", port: 50051))),
        ("proxy_pass http://$backend", .variable(raw: "http://$backend")),
        ("proxy_pass http://127.0.0.1:8000$request_uri", .variable(raw: "http://127.0.0.1:8000$request_uri")),
        ("proxy_pass http://app.internal:8080", .endpoint(scheme: "http", .tcp(host: "app.internal", port: 8080))),
    ])
    func passTargets(pass: String, expected: RouteTarget) {
        #expect(target(pass) == expected)
    }

    @Test func upstreamNamesResolveToTheirServers() {
        let upstream = """
        upstream MyApp {
            server 127.0.0.1:8000 max_fails=3 fail_timeout=10s;
            server backend.internal backup;
            server unix:/run/gunicorn.sock;
            server [::1]:8001;
            keepalive 16;
        }
        """
        let expected: [UpstreamServer] = [
            UpstreamServer(endpoint: .tcp(host: "127.0.0.1", port: 8000), parameters: ["max_fails=3", "fail_timeout=10s"],
                           source: SourceLocation(file: main, line: 3)),
            UpstreamServer(endpoint: .tcp(host: "backend.internal", port: 80), parameters: ["backup"],
                           source: SourceLocation(file: main, line: 4)),
            UpstreamServer(endpoint: .unix(path: "/run/gunicorn.sock"), source: SourceLocation(file: main, line: 5)),
            UpstreamServer(endpoint: .tcp(host: "::1", port: 8001), source: SourceLocation(file: main, line: 6)),
        ]
        // nginx compares upstream names case-insensitively; the pass's spelling is kept.
        #expect(target("proxy_pass http://myapp/api/", extra: upstream)
            == .upstream(scheme: "http", name: "myapp", servers: expected))
        #expect(target("uwsgi_pass MyApp", extra: upstream) == .upstream(scheme: "uwsgi", name: "MyApp", servers: expected))
        // With a port it is a host name, not the group (nginx rejects that form for a defined upstream).
        #expect(target("proxy_pass http://MyApp:8080", extra: upstream)
            == .endpoint(scheme: "http", .tcp(host: "MyApp", port: 8080)))
        let built = model("http { server { location / { proxy_pass http://MyApp; } }\n\(upstream) }")
        #expect(built.upstreams["MyApp"] == expected)
        // Defined after its use: still found.
        #expect(built.routes.first?.target.endpoints.count == 4)
    }

    @Test func locationsNestedNamedAndModified() {
        let built = model("""
        http {
          server {
            listen 8080;
            server_name a.test b.test;
            server_name c.test;
            location = /health { proxy_pass http://127.0.0.1:1; }
            location =/exact { proxy_pass http://127.0.0.1:2; }
            location ~* \\.php$ { fastcgi_pass 127.0.0.1:9000; }
            location ^~ /static/ { root /srv; }
            location /app/ {
              proxy_pass http://127.0.0.1:3;
              location ~ ^/app/admin { proxy_pass http://127.0.0.1:4; }
              if ($request_method = POST) { proxy_pass http://127.0.0.1:5; }
              limit_except GET { proxy_pass http://127.0.0.1:6; }
            }
            location @fallback { proxy_pass http://127.0.0.1:7; }
          }
        }
        """)
        #expect(built.diagnostics.isEmpty)
        #expect(built.routes.map(\.location) == [
            "= /health", "= /exact", "~* \\.php$", "/app/", "~ ^/app/admin", "/app/", "/app/", "@fallback",
        ])
        #expect(built.routes.map(\.directive) == [
            "proxy_pass", "proxy_pass", "fastcgi_pass", "proxy_pass", "proxy_pass", "proxy_pass", "proxy_pass", "proxy_pass",
        ])
        #expect(built.routes.allSatisfy { $0.serverNames == ["a.test", "b.test", "c.test"] && $0.listen == ["8080"] })
        #expect(built.routes[4].source == SourceLocation(file: main, line: 12))
        #expect(built.routes.allSatisfy { $0.proxy == .nginx })
    }

    @Test func serverWithoutListenOrNameGetsNginxDefaults() {
        let built = model("http {\n  server {\n    proxy_pass http://127.0.0.1:8000;\n  }\n}")
        let route = built.routes.first
        #expect(route?.listen == ["80"])
        #expect(route?.serverNames == [""])
        #expect(route?.location == "/")
        #expect(route?.source == SourceLocation(file: main, line: 3))
        #expect(built.listens == [ListenDirective(raw: "80", endpoint: .tcp(host: "0.0.0.0", port: 80),
                                                  source: SourceLocation(file: main, line: 2))])
    }

    @Test(arguments: [
        ("80", Endpoint?.some(.tcp(host: "0.0.0.0", port: 80))),
        ("8080 default_server", .tcp(host: "0.0.0.0", port: 8080)),
        ("[::]:80", .tcp(host: "::", port: 80)),
        ("[::]:443 ssl http2", .tcp(host: "::", port: 443)),
        ("[::1]", .tcp(host: "::1", port: 80)),
        ("127.0.0.1:8080", .tcp(host: "127.0.0.1", port: 8080)),
        ("127.0.0.1", .tcp(host: "127.0.0.1", port: 80)),
        ("localhost:8080", .tcp(host: "localhost", port: 8080)),
        ("*:8000", .tcp(host: "0.0.0.0", port: 8000)),
        ("unix:/run/nginx.sock", .unix(path: "/run/nginx.sock")),
        ("127.0.0.1:99999", nil),
        ("::1:80", nil),
    ])
    func listens(raw: String, endpoint: Endpoint?) {
        let built = model("http { server { listen \(raw); } }")
        #expect(built.listens == [ListenDirective(raw: raw, endpoint: endpoint, source: SourceLocation(file: main, line: 1))])
        #expect(built.diagnostics.isEmpty == (endpoint != nil))
    }

    @Test func streamAndMailServersListenButRouteNothing() {
        let built = model("""
        stream { server { listen 5432; proxy_pass 10.0.0.5:5432; } }
        http { server { listen 80; } }
        """)
        #expect(built.listens.map(\.raw) == ["5432", "80"])
        #expect(built.routes.isEmpty)
    }

    @Test func tableBlocksAreNotMistakenForDirectives() {
        let built = model("""
        http {
          map $uri $x { proxy_pass 1; server 2; }
          geo $y { default 0; listen 1; }
          server { listen 80; location / { proxy_pass http://127.0.0.1:1; } }
        }
        """)
        #expect(built.routes.count == 1)
        #expect(built.listens.count == 1)
    }

    @Test func userAndGroup() {
        #expect(model("user www-data;").user == NginxUser(name: "www-data", source: SourceLocation(file: main, line: 1)))
        #expect(model("user www-data;").user?.effectiveGroup == "www-data")
        #expect(model("\nuser nginx web;").user == NginxUser(name: "nginx", group: "web", source: SourceLocation(file: main, line: 2)))
        #expect(model("worker_processes 1;").user == nil)
    }

    @Test func logsAndPidResolveAgainstThePrefix() {
        let built = model("""
        pid logs/nginx.pid;
        error_log logs/error.log;
        error_log stderr notice;
        error_log syslog:server=unix:/dev/log info;
        http {
          access_log logs/access.log;
          access_log /var/log/nginx/main.log main buffer=32k;
          access_log syslog:server=127.0.0.1 combined;
          server {
            error_log /var/log/nginx/site.error.log warn;
            location /quiet { access_log off; }
          }
        }
        """, prefix: "/usr/share/nginx/")
        #expect(built.pidFile == "/usr/share/nginx/logs/nginx.pid")
        #expect(built.pidFileSource == SourceLocation(file: main, line: 1))
        #expect(built.errorLogs.map(\.path) == [
            "/usr/share/nginx/logs/error.log", "stderr", "syslog:server=unix:/dev/log", "/var/log/nginx/site.error.log",
        ])
        #expect(built.errorLogs.map(\.qualifier) == ["error", "notice", "info", "warn"])
        #expect(built.errorLogs.last?.source == SourceLocation(file: main, line: 10))
        #expect(built.accessLogs.map(\.path) == [
            "/usr/share/nginx/logs/access.log", "/var/log/nginx/main.log", "syslog:server=127.0.0.1", "off",
        ])
        #expect(built.accessLogs.map(\.qualifier) == ["combined", "main", "combined", nil])
        // Prefix without trailing slash joins the same way.
        #expect(model("pid run/x.pid;", prefix: "/opt/nginx").pidFile == "/opt/nginx/run/x.pid")
    }

    @Test func logFormatsAreJoinedAndCombinedIsBuiltIn() {
        let built = model("""
        http {
          log_format main '$remote_addr - [$time_local] '
                          '"$request" $status';
          log_format json escape=json '{"addr":"$remote_addr"}';
          log_format combined 'redefining is an nginx error';
        }
        """)
        #expect(built.logFormats["main"] == #"$remote_addr - [$time_local] "$request" $status"#)
        #expect(built.logFormats["json"] == #"{"addr":"$remote_addr"}"#)
        #expect(built.logFormats["combined"] == NginxModel.combinedLogFormat)
        #expect(model("").logFormats == ["combined": NginxModel.combinedLogFormat])
    }

    @Test func resolversAreLocated() {
        let built = model("http {\n  resolver 127.0.0.53;\n  server { location / { resolver 1.1.1.1; proxy_pass http://$h; } }\n}")
        #expect(built.resolvers == [SourceLocation(file: main, line: 2), SourceLocation(file: main, line: 3)])
        #expect(built.routes.first?.target == .variable(raw: "http://$h"))
    }

    @Test func unparseableTargetsAreDiagnosedNotGuessed() {
        let built = model("http { server { location / { proxy_pass 127.0.0.1:8000; } location /b { proxy_pass; } } }")
        #expect(built.routes.isEmpty)
        #expect(built.diagnostics.map(\.kind) == [.syntax, .syntax])
        #expect(built.diagnostics.first?.message.contains("127.0.0.1:8000") == true)
    }

    @Test func loaderDiagnosticsAreCarriedOver() {
        let (config, built) = loadModel(main, InMemoryConfigReader([main: "http { include missing.conf; }"]))
        #expect(config.diagnostics.map(\.kind) == [.missingInclude])
        #expect(built.diagnostics == config.diagnostics)
    }
}
