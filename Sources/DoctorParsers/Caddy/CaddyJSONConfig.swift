import DoctorFacts
import Foundation

/// Caddy's own reading of its config: the JSON of `caddy adapt --config F --adapter
/// caddyfile` (or of the admin API's `/config/`), flattened to what the doctor
/// cross-checks against `CaddyfileParser`: per proxy the hosts, paths, dials and the
/// server's listen addresses, plus the log writers.
public struct CaddyJSONConfig: Hashable, Codable, Sendable {
    /// One `reverse_proxy` handler with the route conditions that lead to it.
    public struct Proxy: Hashable, Codable, Sendable {
        /// The server (`srv0`) and its `listen` addresses (`:443`, `127.0.0.1:8080`, `unix//run/caddy.sock`).
        public var server: String
        public var listen: [String]
        /// Host matchers on the way (empty: any host).
        public var hosts: [String]
        /// Paths as the client sends them, combined as `CaddyProxyHandler.routePaths` is
        /// (innermost `/…` pattern wins, `strip_path_prefix` rewrites put back in front);
        /// `["*"]` for every path.
        public var paths: [String]
        /// `upstreams[].dial` as written (`localhost:8000`, `unix//run/app.sock`, `{env.APP}`).
        public var dials: [String]
        /// `transport.protocol` (`http`, `fastcgi`); nil when no transport is written.
        public var transportProtocol: String?
        /// Scalar transport fields as text (`dial_timeout` → `2000000000` nanoseconds).
        public var transport: [String: String]
        /// Inside the server's `errors` routes (Caddyfile `handle_errors`).
        public var inErrorRoutes: Bool

        public init(server: String, listen: [String], hosts: [String], paths: [String], dials: [String],
                    transportProtocol: String?, transport: [String: String], inErrorRoutes: Bool = false) {
            self.server = server
            self.listen = listen
            self.hosts = hosts
            self.paths = paths
            self.dials = dials
            self.transportProtocol = transportProtocol
            self.transport = transport
            self.inErrorRoutes = inErrorRoutes
        }

        /// `dials` as endpoints (port ranges expanded); nil for dials holding placeholders.
        public var endpoints: [Endpoint?] { dials.flatMap(CaddyUpstreamAddress.endpoints(dial:)) }
    }

    /// One server of `apps.http.servers`.
    public struct Server: Hashable, Codable, Sendable {
        public var name: String
        public var listen: [String]
    }

    /// One logger of `logging.logs`.
    public struct Log: Hashable, Codable, Sendable {
        public var name: String
        /// `writer.output` (`file`, `stderr`, `stdout`, `discard`, `net`); `stderr` when absent.
        public var output: String
        /// `writer.filename` for file output.
        public var filename: String?
        /// `encoder.format`; nil when absent.
        public var format: String?
    }

    public var proxies: [Proxy]
    public var servers: [Server]
    public var logs: [Log]
    /// `admin.disabled`.
    public var adminDisabled: Bool
    /// `apps.http.http_port` / `https_port`.
    public var httpPort: Int?
    public var httpsPort: Int?

    public init(proxies: [Proxy] = [], servers: [Server] = [], logs: [Log] = [], adminDisabled: Bool = false,
                httpPort: Int? = nil, httpsPort: Int? = nil) {
        self.proxies = proxies
        self.servers = servers
        self.logs = logs
        self.adminDisabled = adminDisabled
        self.httpPort = httpPort
        self.httpsPort = httpsPort
    }

    /// Why adapted JSON could not be read.
    public enum ParseError: Error, Hashable, Sendable, CustomStringConvertible {
        case notJSON(String)
        case notAnObject

        public var description: String {
            switch self {
            case let .notJSON(reason): "not JSON: \(reason)"
            case .notAnObject: "the top level is not a JSON object"
            }
        }
    }

    /// Parses `caddy adapt` output. Lines before the config (Caddy's warnings, as JSON
    /// log lines or text, when stderr was captured with stdout) are skipped: the config is
    /// the first JSON value starting a line that is not a log entry (`level` + `msg`).
    public static func parse(_ bytes: [UInt8]) -> Result<CaddyJSONConfig, ParseError> {
        var firstError: ParseError?
        var lineStart = 0
        while lineStart < bytes.count {
            var start = lineStart
            while start < bytes.count, bytes[start] == 0x20 || bytes[start] == 0x09 || bytes[start] == 0x0D { start += 1 }
            let lineEnd = bytes[start...].firstIndex(of: 0x0A) ?? bytes.count
            if start < bytes.count, bytes[start] == UInt8(ascii: "{") || bytes[start] == UInt8(ascii: "[") {
                do {
                    let object = try JSONSerialization.jsonObject(with: Data(bytes[start...]))
                    guard let root = object as? [String: Any] else { return .failure(.notAnObject) }
                    if !(root["level"] is String && root["msg"] is String) { return .success(read(root)) }
                } catch {
                    // A log line followed by more lines is not one JSON value; try it alone.
                    if let line = try? JSONSerialization.jsonObject(with: Data(bytes[start..<lineEnd])) as? [String: Any],
                       line["level"] is String, line["msg"] is String {
                        // A warning: go on after it.
                    } else if firstError == nil {
                        firstError = .notJSON(error.localizedDescription)
                    }
                }
            }
            lineStart = lineEnd + 1
        }
        return .failure(firstError ?? .notJSON("no JSON object in the output"))
    }

    private static func read(_ root: [String: Any]) -> CaddyJSONConfig {
        var config = CaddyJSONConfig()
        config.adminDisabled = ((root["admin"] as? [String: Any])?["disabled"] as? Bool) ?? false
        if let logs = (root["logging"] as? [String: Any])?["logs"] as? [String: Any] {
            for name in logs.keys.sorted() {
                guard let log = logs[name] as? [String: Any] else { continue }
                let writer = log["writer"] as? [String: Any]
                let encoder = log["encoder"] as? [String: Any]
                config.logs.append(Log(name: name, output: writer?["output"] as? String ?? "stderr",
                                       filename: writer?["filename"] as? String, format: encoder?["format"] as? String))
            }
        }
        guard let http = (root["apps"] as? [String: Any])?["http"] as? [String: Any] else { return config }
        config.httpPort = (http["http_port"] as? NSNumber)?.intValue
        config.httpsPort = (http["https_port"] as? NSNumber)?.intValue
        let servers = http["servers"] as? [String: Any] ?? [:]
        for name in servers.keys.sorted() {
            guard let server = servers[name] as? [String: Any] else { continue }
            let listen = server["listen"] as? [String] ?? []
            config.servers.append(Server(name: name, listen: listen))
            var walker = RouteWalker(server: name, listen: listen)
            walker.walk(server["routes"] as? [Any] ?? [], hosts: [], paths: ["*"], prefix: "", depth: 0)
            if let errors = server["errors"] as? [String: Any] {
                walker.inErrors = true
                walker.walk(errors["routes"] as? [Any] ?? [], hosts: [], paths: ["*"], prefix: "", depth: 0)
            }
            config.proxies += walker.proxies
        }
        return config
    }

    /// Walks nested routes and subroutes, carrying the host and path conditions down.
    private struct RouteWalker {
        let server: String
        let listen: [String]
        var inErrors = false
        var proxies: [Proxy] = []

        init(server: String, listen: [String]) {
            self.server = server
            self.listen = listen
        }

        mutating func walk(_ routes: [Any], hosts: [String], paths: [String], prefix: String, depth: Int) {
            guard depth < 64 else { return }
            var prefix = prefix
            for case let route as [String: Any] in routes {
                var routeHosts = hosts
                var routePaths = paths
                let matchSets = route["match"] as? [[String: Any]] ?? []
                let hostsHere = matchSets.flatMap { $0["host"] as? [String] ?? [] }
                let pathsHere = matchSets.flatMap { $0["path"] as? [String] ?? [] }
                if !hostsHere.isEmpty { routeHosts = hostsHere }
                let narrow = pathsHere.filter { $0.hasPrefix("/") && $0 != "/*" }
                if !narrow.isEmpty { routePaths = narrow.map { prefix + $0 } }
                for case let handler as [String: Any] in route["handle"] as? [Any] ?? [] {
                    switch handler["handler"] as? String {
                    case "subroute":
                        walk(handler["routes"] as? [Any] ?? [], hosts: routeHosts, paths: routePaths,
                             prefix: prefix, depth: depth + 1)
                    case "reverse_proxy":
                        let upstreams = handler["upstreams"] as? [[String: Any]] ?? []
                        let transport = handler["transport"] as? [String: Any]
                        var scalars: [String: String] = [:]
                        for (key, value) in transport ?? [:] {
                            if let number = value as? NSNumber { scalars[key] = number.stringValue }
                            if let text = value as? String { scalars[key] = text }
                        }
                        proxies.append(Proxy(
                            server: server, listen: listen, hosts: routeHosts, paths: routePaths,
                            dials: upstreams.compactMap { $0["dial"] as? String },
                            transportProtocol: transport?["protocol"] as? String, transport: scalars,
                            inErrorRoutes: inErrors))
                    case "rewrite":
                        // handle_path's prefix strip: later sibling routes match the stripped path.
                        if matchSets.isEmpty, let strip = handler["strip_path_prefix"] as? String { prefix += strip }
                    default:
                        break
                    }
                }
            }
        }
    }
}
