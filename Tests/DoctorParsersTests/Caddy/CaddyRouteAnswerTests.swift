import DoctorFacts
@testable import DoctorParsers
import Foundation
import Testing

/// `CaddySite.answer(forPath:)` against Caddy's own routing: for every site of the real
/// and generated fixtures and a set of request paths, the handler picked from the
/// Caddyfile must be the one Caddy's adapted JSON routes pick (evaluated here the way
/// Caddy runs routes: in order, groups exclusive, subroutes nested, strip_path_prefix
/// rewrites applied, `terminal` stopping). Requests are plain (no headers), so matchers
/// on anything but host and path do not match on either side.
@Suite("Caddyfile: which handler answers a path, against caddy adapt")
struct CaddyRouteAnswerTests {
    enum Answer: Hashable, CustomStringConvertible {
        case proxy(Set<Endpoint>)
        case other(String)
        case none

        var description: String {
            switch self {
            case let .proxy(endpoints): "proxy \(endpoints.map(\.description).sorted())"
            case let .other(handler): handler
            case .none: "none"
            }
        }
    }

    static let probes = [
        "/", "/index.html", "/api", "/api/", "/api/users/1", "/API/Users", "/static/app.css", "/media/a.png", "/ws",
        "/ws/x", "/health", "/healthz", "/graphql", "/a/b/c", "/a/b", "/v1/x", "/v2/x", "/reports/v2/x", "/reports/v1",
        "/admin/", "/admin/login", "/old/page", "/older/x", "/robots.txt", "/ping", "/new", "/inc/x", "/app/inc/x",
        "/app/ws/x", "/r", "/x", "/legacy/a.php",
    ]

    static func evaluate(_ routes: [Any], host: String, path: String) -> Answer? {
        var usedGroups: Set<String> = []
        // A rewrite changes the request for every route after it in this list.
        var current = path
        for case let route as [String: Any] in routes {
            let group = route["group"] as? String
            if let group, usedGroups.contains(group) { continue }
            guard matches(route["match"] as? [[String: Any]] ?? [], host: host, path: current) else { continue }
            if let group { usedGroups.insert(group) }
            for case let handler as [String: Any] in route["handle"] as? [Any] ?? [] {
                switch handler["handler"] as? String {
                case "subroute":
                    if let answer = evaluate(handler["routes"] as? [Any] ?? [], host: host, path: current) { return answer }
                case "rewrite":
                    if let prefix = handler["strip_path_prefix"] as? String, current.hasPrefix(prefix) {
                        current = String(current.dropFirst(prefix.count))
                        if !current.hasPrefix("/") { current = "/" + current }
                    }
                case "reverse_proxy":
                    let dials = (handler["upstreams"] as? [[String: Any]] ?? []).compactMap { $0["dial"] as? String }
                    return .proxy(Set(dials.flatMap(CaddyUpstreamAddress.endpoints(dial:)).compactMap { $0 }))
                case let name? where ["static_response", "file_server", "error", "metrics"].contains(name):
                    return .other(name)
                default:
                    continue
                }
            }
            if route["terminal"] as? Bool == true { return nil }
        }
        return nil
    }

    private static func matches(_ sets: [[String: Any]], host: String, path: String) -> Bool {
        if sets.isEmpty { return true }
        return sets.contains { set in
            set.allSatisfy { key, value in
                switch key {
                case "host": (value as? [String] ?? []).contains { $0.lowercased() == host }
                case "path": (value as? [String] ?? []).contains { CaddyPathPattern.matches($0, path) }
                default: false
                }
            }
        }
    }

    static func expected(_ answer: CaddyRouteAnswer?) -> Answer {
        switch answer {
        case let .proxy(handler)?: .proxy(Set(handler.upstreams.compactMap(\.endpoint)))
        case let .other(handler)?:
            switch handler.directive {
            case "respond", "redir", "abort", "static_response": .other("static_response")
            default: .other(handler.directive)
            }
        case nil: .none
        }
    }

    static let fixtures: [String] = {
        var names = ["caddyfiles/multisite", "caddyfiles/snippets", "caddyfiles/matchers", "caddyfiles/django",
                     "caddyfiles/braceless", "caddyfiles/mixed", "caddyfiles/debian-default"]
        if let root = try? Fixtures.root("caddy/generated"),
           let generated = try? FileManager.default.contentsOfDirectory(atPath: root) {
            names += generated.filter { $0.hasPrefix("g") && $0.dropFirst().allSatisfy(\.isNumber) }.sorted().map { "generated/\($0)" }
        }
        return names
    }()

    @Test(arguments: fixtures)
    func sameHandlerAsCaddysRoutes(fixture: String) throws {
        let root = try Fixtures.root("caddy/\(fixture)")
        let config = CaddyfileParser.parse(path: root + "/Caddyfile", reader: DirectoryConfigReader())
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: root + "/adapt.json")))
        let servers = try #require(((json as? [String: Any])?["apps"] as? [String: Any])?["http"] as? [String: Any])["servers"]
            as? [String: [String: Any]] ?? [:]
        var compared = 0
        for site in config.sites where !site.handlers.contains(where: { $0.directive == "php_fastcgi" }) {
            for address in site.parsedAddresses {
                let port = address.listenPort(httpPort: config.global.httpPort, httpsPort: config.global.httpsPort)
                let server = try #require(servers.values.first { server in
                    (server["listen"] as? [String] ?? []).contains { $0.hasSuffix(":\(port)") }
                }, "no server for \(address)")
                let host = address.host.isEmpty ? "unknown.test" : address.host.lowercased()
                for path in Self.probes {
                    let caddys = Self.evaluate(server["routes"] as? [Any] ?? [], host: host, path: path) ?? .none
                    let ours = Self.expected(site.answer(forPath: path))
                    #expect(ours == caddys, "\(address) \(path)")
                    compared += 1
                }
            }
        }
        #expect(compared > 0)
    }

    @Test func pathPatterns() {
        #expect(CaddyPathPattern.matches("/api/*", "/api/x/y"))
        #expect(CaddyPathPattern.matches("/api/*", "/API/x"))
        #expect(!CaddyPathPattern.matches("/api/*", "/api"))
        #expect(CaddyPathPattern.matches("/api*", "/api"))
        #expect(CaddyPathPattern.matches("*.php", "/a/index.php"))
        #expect(CaddyPathPattern.matches("*admin*", "/x/admin/y"))
        #expect(CaddyPathPattern.matches("/health", "/health"))
        #expect(!CaddyPathPattern.matches("/health", "/health/x"))
        #expect(CaddyPathPattern.matches("/u/*/edit", "/u/7/edit"))
        #expect(!CaddyPathPattern.matches("/u/*/edit", "/u/7/8/edit"))
        #expect(CaddyPathPattern.matches("/f?o", "/foo"))
        #expect(CaddyPathPattern.matches("*", "/anything"))
    }
}
