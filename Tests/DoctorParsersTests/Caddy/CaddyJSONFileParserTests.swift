import DoctorFacts
@testable import DoctorParsers
import Foundation
import Testing

/// `CaddyJSONFileParser` on real JSON: every `adapt.json` under Fixtures/caddy (Caddy
/// 2.6.2's own `caddy adapt` of the Caddyfile next to it) must give, proxy by proxy, what
/// `CaddyfileParser` gives for that Caddyfile: the same hosts, listen ports (with TLS) and
/// binds, paths, upstream endpoints, transport timeouts and protocol, and the same access
/// and runtime log files. Two independent readings of one config agreeing is the check.
@Suite("Caddy JSON config: adapted JSON against the Caddyfile reading")
struct CaddyJSONFileParserTests {
    static let cases: [String] = {
        var cases: [String] = []
        for folder in ["caddy/caddyfiles", "caddy/generated"] {
            guard let root = try? Fixtures.root(folder), let names = try? FileManager.default.contentsOfDirectory(atPath: root) else { continue }
            for name in names.sorted() where FileManager.default.fileExists(atPath: "\(root)/\(name)/adapt.json") {
                cases.append("\(folder)/\(name)")
            }
        }
        return cases
    }()

    @Test func thereAreCasesToCompare() {
        #expect(Self.cases.count >= 48)
    }

    /// What one proxy means for a request, independent of how the file spells it.
    struct ProxyKey: Hashable, CustomStringConvertible {
        var hosts: [String]
        var listens: [String]
        var paths: [String]
        var nonPathConditions: Bool
        var endpoints: [String]
        var timeouts: [String: Double]
        var transportProtocol: String
        var accessLogs: [String]

        var description: String {
            "hosts \(hosts) listens \(listens) paths \(paths)\(nonPathConditions ? " +conditions" : "") → \(endpoints) "
                + "\(transportProtocol) \(timeouts.sorted { $0.key < $1.key }) logs \(accessLogs)"
        }
    }

    static func keys(_ config: CaddyConfig) -> [ProxyKey] {
        var keys: [ProxyKey] = []
        for site in config.sites {
            let binds = site.binds.isEmpty ? config.global.defaultBind : site.binds
            var listens = Set<String>()
            for address in site.parsedAddresses {
                let port = address.listenPort(httpPort: config.global.httpPort, httpsPort: config.global.httpsPort)
                let tls = address.isHTTPS(httpPort: config.global.httpPort, httpsPort: config.global.httpsPort) ? " tls" : ""
                for bind in binds.isEmpty ? ["*"] : binds { listens.insert("\(bind) \(port)\(tls)") }
            }
            for handler in site.handlers {
                var timeouts: [String: Double] = [:]
                for name in ["dial_timeout", "response_header_timeout", "read_timeout", "write_timeout"] {
                    if let setting = handler.transport.setting(name) { timeouts[name] = CaddyDuration.seconds(setting.value) }
                }
                let paths = handler.routePaths.isEmpty ? handler.matcher.paths : handler.routePaths
                keys.append(ProxyKey(
                    hosts: Set(site.parsedAddresses.map(\.host)).sorted(), listens: listens.sorted(), paths: paths.sorted(),
                    nonPathConditions: handler.matcher.hasNonPathConditions,
                    endpoints: handler.upstreams.map { $0.endpoint?.description ?? "?" }.sorted(),
                    timeouts: timeouts, transportProtocol: handler.transport.protocolName,
                    accessLogs: site.logs.map { $0.path ?? $0.output }.sorted()))
            }
        }
        return keys.sorted { $0.description < $1.description }
    }

    @Test(arguments: cases)
    func adaptedJSONReadsAsTheCaddyfile(name: String) throws {
        let root = try Fixtures.root(name)
        let caddyfile = CaddyfileParser.parse(path: root + "/Caddyfile", reader: DirectoryConfigReader())
        let json = CaddyJSONFileParser.parse(path: root + "/adapt.json", reader: DirectoryConfigReader())
        #expect(json.diagnostics == [], "\(json.diagnostics)")
        #expect(json.files == [root + "/adapt.json"])
        let fromFile = Self.keys(caddyfile)
        let fromJSON = Self.keys(json)
        #expect(!fromJSON.isEmpty || caddyfile.proxyHandlers.isEmpty)
        #expect(fromJSON.count == fromFile.count, "proxies: caddyfile \(fromFile.count), json \(fromJSON.count)")
        for (file, adapted) in zip(fromFile, fromJSON) where file != adapted {
            Issue.record("caddyfile: \(file)\njson:      \(adapted)")
        }
        // The runtime log (where reverse_proxy's dial errors go) is the same file.
        let runtime = { (config: CaddyConfig) in config.global.logs.filter { ($0.name ?? "default") == "default" }.compactMap(\.path) }
        #expect(runtime(json) == runtime(caddyfile))
        #expect(json.global.adminDisabled == caddyfile.global.adminDisabled)
        // Every proxy points at its place in the JSON: a line and a pointer to the handler.
        for handler in json.proxyHandlers {
            #expect(handler.source.file == root + "/adapt.json" && handler.source.line >= 1)
            #expect(handler.source.pointer?.hasPrefix("/apps/http/servers/") == true && handler.source.pointer?.contains("/handle/") == true)
            for upstream in handler.upstreams where upstream.endpoint != nil {
                #expect(upstream.source.pointer?.hasSuffix("/dial") == true, "\(upstream)")
            }
        }
    }
}
