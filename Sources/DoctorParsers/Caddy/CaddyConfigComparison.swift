import DoctorFacts

/// One way the doctor's reading of a Caddyfile differs from Caddy's own (`caddy adapt`).
///
/// A disagreement means a route or upstream the doctor reports may be wrong (or Caddy
/// reads the file differently from how it looks, which is itself worth saying); the
/// adapted JSON is what Caddy runs.
public struct CaddyConfigDisagreement: Hashable, Codable, Sendable, CustomStringConvertible {
    /// What differs; raw values are stable.
    public enum Kind: String, Codable, Sendable {
        /// An upstream endpoint the Caddyfile reading has and the adapted JSON does not.
        case upstreamOnlyInCaddyfile = "upstream-only-in-caddyfile"
        /// An upstream endpoint in the adapted JSON that the Caddyfile reading missed.
        case upstreamOnlyInAdapted = "upstream-only-in-adapted"
        /// The same upstream, reached by different paths.
        case pathsDiffer = "paths-differ"
        /// A listen port (or bind address) only one side has.
        case listenDiffers = "listen-differs"
        /// A transport timeout with different values.
        case timeoutDiffers = "timeout-differs"
    }

    public var kind: Kind
    public var message: String
    /// The Caddyfile line concerned, when there is one.
    public var location: SourceLocation?

    public init(kind: Kind, message: String, location: SourceLocation?) {
        self.kind = kind
        self.message = message
        self.location = location
    }

    public var description: String { location.map { "\($0): \(message)" } ?? message }
}

/// Cross-checks `CaddyfileParser`'s result against `caddy adapt`'s JSON, by upstream:
/// every endpoint on each side, the paths that lead to it, the transport timeouts, and
/// the listen ports. Directive order and route nesting are not compared (Caddy sorts
/// directives; the doctor keeps file order). Upstreams holding an unresolved placeholder
/// on either side are left out: their value depends on Caddy's environment.
public enum CaddyConfigComparison {
    static let comparedTimeouts = ["dial_timeout", "response_header_timeout", "read_timeout", "write_timeout"]

    public static func compare(_ caddyfile: CaddyConfig, _ adapted: CaddyJSONConfig) -> [CaddyConfigDisagreement] {
        var out: [CaddyConfigDisagreement] = []

        // Upstreams, the paths leading to them and their timeouts; one endpoint can be the
        // upstream of several proxies, so values are compared as sets.
        var filePaths: [Endpoint: Set<String>] = [:]
        var fileSource: [Endpoint: SourceLocation] = [:]
        var fileTimeouts: [Endpoint: [String: Set<Double>]] = [:]
        var timeoutSource: [Endpoint: [String: SourceLocation]] = [:]
        for handler in caddyfile.proxyHandlers {
            for upstream in handler.upstreams {
                guard let endpoint = upstream.endpoint else { continue }
                filePaths[endpoint, default: []].formUnion(handler.routePaths)
                if fileSource[endpoint] == nil { fileSource[endpoint] = upstream.source }
                for name in comparedTimeouts {
                    if let setting = handler.transport.setting(name), let seconds = CaddyDuration.seconds(setting.value) {
                        fileTimeouts[endpoint, default: [:]][name, default: []].insert(seconds)
                        if timeoutSource[endpoint]?[name] == nil { timeoutSource[endpoint, default: [:]][name] = setting.source }
                    }
                }
            }
        }
        var jsonPaths: [Endpoint: Set<String>] = [:]
        var jsonTimeouts: [Endpoint: [String: Set<Double>]] = [:]
        for proxy in adapted.proxies {
            for endpoint in proxy.endpoints.compactMap({ $0 }) {
                jsonPaths[endpoint, default: []].formUnion(proxy.paths)
                for name in comparedTimeouts {
                    if let text = proxy.transport[name], let seconds = CaddyDuration.seconds(text) {
                        jsonTimeouts[endpoint, default: [:]][name, default: []].insert(seconds)
                    }
                }
            }
        }
        func seconds(_ values: Set<Double>?) -> String {
            guard let values, !values.isEmpty else { return "not set" }
            return values.sorted().map { "\($0)s" }.joined(separator: ", ")
        }
        for endpoint in filePaths.keys.sorted(by: { $0.description < $1.description }) {
            guard let adaptedPaths = jsonPaths[endpoint] else {
                out.append(CaddyConfigDisagreement(
                    kind: .upstreamOnlyInCaddyfile,
                    message: "upstream \(endpoint) is read from the Caddyfile but caddy adapt has no such dial",
                    location: fileSource[endpoint]))
                continue
            }
            let ours = filePaths[endpoint] ?? []
            if ours != adaptedPaths {
                out.append(CaddyConfigDisagreement(
                    kind: .pathsDiffer,
                    message: "upstream \(endpoint): paths \(ours.sorted().joined(separator: " ")) in the Caddyfile reading, "
                        + "\(adaptedPaths.sorted().joined(separator: " ")) in caddy adapt",
                    location: fileSource[endpoint]))
            }
            for name in comparedTimeouts {
                let mine = fileTimeouts[endpoint]?[name] ?? [], theirs = jsonTimeouts[endpoint]?[name] ?? []
                if mine != theirs {
                    out.append(CaddyConfigDisagreement(
                        kind: .timeoutDiffers,
                        message: "upstream \(endpoint): \(name) \(seconds(mine)) in the Caddyfile, \(seconds(theirs)) in caddy adapt",
                        location: timeoutSource[endpoint]?[name] ?? fileSource[endpoint]))
                }
            }
        }
        for endpoint in jsonPaths.keys.sorted(by: { $0.description < $1.description }) where filePaths[endpoint] == nil {
            out.append(CaddyConfigDisagreement(
                kind: .upstreamOnlyInAdapted,
                message: "caddy adapt dials \(endpoint), which the Caddyfile reading does not have", location: nil))
        }

        // Listen ports.
        let http = caddyfile.global.httpPort, https = caddyfile.global.httpsPort
        var filePorts: [Int: SourceLocation] = [:]
        for site in caddyfile.sites {
            let binds = site.binds.isEmpty ? caddyfile.global.defaultBind : site.binds
            // A site bound only to unix sockets has no TCP port.
            if !binds.isEmpty, binds.allSatisfy({ $0.hasPrefix("unix/") }) { continue }
            for address in site.parsedAddresses where filePorts[address.listenPort(httpPort: http, httpsPort: https)] == nil {
                filePorts[address.listenPort(httpPort: http, httpsPort: https)] = site.source
            }
        }
        var jsonPorts: Set<Int> = []
        for server in adapted.servers {
            for listen in server.listen where !listen.hasPrefix("unix/") {
                if let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]) {
                    jsonPorts.insert(port)
                }
            }
        }
        for port in filePorts.keys.sorted() where !jsonPorts.contains(port) {
            out.append(CaddyConfigDisagreement(
                kind: .listenDiffers, message: "port \(port) is read from the Caddyfile's site addresses but caddy adapt "
                    + "does not listen on it", location: filePorts[port]))
        }
        for port in jsonPorts.sorted() where filePorts[port] == nil {
            out.append(CaddyConfigDisagreement(
                kind: .listenDiffers, message: "caddy adapt listens on port \(port), which no site address of the "
                    + "Caddyfile reading gives", location: nil))
        }
        return out
    }
}
