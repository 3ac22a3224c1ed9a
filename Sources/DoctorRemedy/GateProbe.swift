import DoctorFacts
import DoctorHost

/// What the gate sends for one route in each probe round: the health path to the upstream
/// (only the addresses the deploy root's services bind), then the same path through the proxy.
///
/// Built from a diagnosis-style gather (`Facts.routes`, and `Facts.routeProbes` for the
/// proxy's own listener and Host header, as `diagnose` chose them), so the gate speaks to the
/// same addresses a diagnosis would, with the operator's `--path` instead of the default.
public struct GateRouteProbe: Hashable, Sendable {
    public var route: String
    public var direct: [ProbeRequest]
    /// `nil` when no plain path reaches the route through the proxy (a regex location, TLS only).
    public var viaProxy: ProbeRequest?
    /// Why a probe is missing or differs from the operator's path.
    public var notes: [String]

    public init(route: String, direct: [ProbeRequest], viaProxy: ProbeRequest?, notes: [String] = []) {
        self.route = route
        self.direct = direct
        self.viaProxy = viaProxy
        self.notes = notes
    }

    /// Something to probe at all.
    public var isProbeable: Bool { !direct.isEmpty || viaProxy != nil }
}

/// One route in one probe round.
public struct GateRouteRound: Codable, Hashable, Sendable {
    public var route: String
    /// `127.0.0.1:8000 /health/ → 200`, one per direct probe.
    public var direct: [String]
    /// `nil` when the proxy was not probed (no probe possible, or the upstream already failed).
    public var viaProxy: String?
    public var directHealthy: Bool
    public var healthy: Bool

    public init(route: String, direct: [String], viaProxy: String?, directHealthy: Bool, healthy: Bool) {
        self.route = route
        self.direct = direct
        self.viaProxy = viaProxy
        self.directHealthy = directHealthy
        self.healthy = healthy
    }

    enum CodingKeys: String, CodingKey {
        case route, direct
        case viaProxy = "via_proxy"
        case directHealthy = "direct_healthy"
        case healthy
    }

    /// `lab.test /: direct 127.0.0.1:8000 /health/ → 200; via proxy 127.0.0.1:8080 /health/ → 200`.
    public var evidence: String {
        "\(route): direct " + (direct.isEmpty ? "not probed" : direct.joined(separator: ", "))
            + "; via proxy " + (viaProxy ?? (directHealthy ? "not probed" : "not probed (the upstream failed first)"))
    }
}

/// Builds the gate's probes and judges their answers. Pure: tested on built facts.
public enum GateProbePlanner {
    /// Each probe's deadline (connect + response head), capped by the time the gate has left.
    public static let probeTimeout: Duration = .milliseconds(1500)

    /// - Parameters:
    ///   - routes: the labels of the routes served from the deploy root (`RollbackPlan.routes`).
    ///   - binds: the root's binds; a route's other upstream addresses (another app in an
    ///     upstream group) are not the release's to answer for. Empty: every address.
    public static func plan(facts: Facts, routes labels: [String], binds: [Endpoint], path: String) -> [GateRouteProbe] {
        var probes: [GateRouteProbe] = []
        for label in labels {
            guard let route = facts.routes.first(where: { $0.label == label }) else { continue }
            let known = facts.routeProbes.first { $0.route == label }
            let hostHeader = known?.viaProxy?.hostHeader ?? known?.direct.first?.hostHeader ?? "localhost"
            var notes: [String] = []
            let wire: ProbeRequest.Wire? = switch route.directive {
            case "proxy_pass", "reverse_proxy": .http
            case "uwsgi_pass": .uwsgi
            default: nil
            }
            var endpoints = route.target.endpoints
            let own = endpoints.filter { endpoint in binds.contains { RollbackPlanner.reaches(endpoint, $0) } }
            if !binds.isEmpty, !own.isEmpty { endpoints = own }
            let direct: [ProbeRequest]
            if let wire {
                direct = endpoints.map { ProbeRequest(endpoint: $0, path: path, hostHeader: hostHeader, timeout: probeTimeout, wire: wire) }
            } else {
                direct = []
                notes.append("\(route.directive) upstream: not probed directly (judged through the proxy only)")
            }
            var viaProxy: ProbeRequest?
            if let listen = known?.viaProxy {
                let proxyPath: String
                if lands(path, in: route.location) {
                    proxyPath = path
                } else {
                    proxyPath = listen.path
                    notes.append("\(path) is not in location \(route.location): probed through the proxy at \(listen.path)")
                }
                viaProxy = ProbeRequest(endpoint: listen.endpoint, path: proxyPath, hostHeader: listen.hostHeader, timeout: probeTimeout)
            } else {
                notes.append("not probed through the proxy (no plain path reaches this location)")
            }
            probes.append(GateRouteProbe(route: label, direct: direct, viaProxy: viaProxy, notes: notes))
        }
        return probes
    }

    /// Whether a request for `path` lands in nginx `location` (prefix and exact locations; a
    /// regex or named location never, so the diagnosis's own path is used there).
    static func lands(_ path: String, in location: String) -> Bool {
        if location.hasPrefix("= ") { return path == String(location.dropFirst(2)) }
        let prefix = location.hasPrefix("^~ ") ? String(location.dropFirst(3)) : location
        guard prefix.hasPrefix("/") else { return false }
        return path.hasPrefix(prefix)
    }

    /// A 2xx answer. Unlike `HealthVerifier` (any answer under 500 after a repair), a deploy
    /// gate wants the health page itself: a 404 (the page is not in this release) or a
    /// redirect to a login page is not "healthy".
    public static func isSuccess(_ result: ProbeResult) -> Bool {
        if case let .response(status, _) = result.outcome { return (200..<300).contains(status) }
        return false
    }

    /// The round's verdict for one route: every direct probe 2xx, then (when probed) the proxy 2xx.
    public static func judge(_ probe: GateRouteProbe, direct: [ProbeResult], viaProxy: ProbeResult?) -> GateRouteRound {
        let directHealthy = direct.allSatisfy(isSuccess) && direct.count == probe.direct.count
        let proxyHealthy: Bool = if probe.viaProxy == nil { true } else { viaProxy.map(isSuccess) ?? false }
        return GateRouteRound(route: probe.route, direct: direct.map(HealthVerifier.describe), viaProxy: viaProxy.map(HealthVerifier.describe),
                              directHealthy: directHealthy, healthy: probe.isProbeable && directHealthy && proxyHealthy)
    }
}
