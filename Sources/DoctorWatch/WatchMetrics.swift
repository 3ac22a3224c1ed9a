import DoctorFacts

/// What `/metrics` shows: the last probe round, and counters since watch started.
public struct WatchMetrics: Sendable, Equatable {
    /// One probe of the last round.
    public struct Probe: Sendable, Equatable {
        /// `Route.label` (`server_name location`).
        public var route: String
        /// `direct` (the upstream itself) or `proxy` (through the proxy's listener).
        public var via: String
        /// Where the probe connected (`127.0.0.1:8000`, `unix:/run/app.sock`).
        public var endpoint: String
        /// An HTTP answer under 500 (the verifier's rule: a 502 from the proxy is not success).
        public var success: Bool
        public var latencySeconds: Double
        /// The HTTP status, `nil` when no response came (refused, timed out, …).
        public var status: Int?

        public init(route: String, via: String, endpoint: String, success: Bool, latencySeconds: Double, status: Int?) {
            self.route = route
            self.via = via
            self.endpoint = endpoint
            self.success = success
            self.latencySeconds = latencySeconds
            self.status = status
        }

        /// The samples of one route's probes.
        public static func samples(of probe: RouteProbe) -> [Probe] {
            probe.direct.map { sample($0, route: probe.route, via: "direct") }
                + (probe.viaProxy.map { [sample($0, route: probe.route, via: "proxy")] } ?? [])
        }

        static func sample(_ result: ProbeResult, route: String, via: String) -> Probe {
            var status: Int?
            if case let .response(code, _) = result.outcome { status = code }
            return Probe(route: route, via: via, endpoint: "\(result.endpoint)", success: status.map { $0 < 500 } ?? false,
                         latencySeconds: Double(result.elapsedMilliseconds) / 1000, status: status)
        }
    }

    /// A repair step's kind and outcome (`restart-service`, `succeeded`).
    public struct ActionKey: Sendable, Hashable, Comparable {
        public var kind: String
        public var outcome: String
        public init(kind: String, outcome: String) {
            self.kind = kind
            self.outcome = outcome
        }
        public static func < (lhs: ActionKey, rhs: ActionKey) -> Bool { (lhs.kind, lhs.outcome) < (rhs.kind, rhs.outcome) }
    }

    public var probes: [Probe] = []
    /// Per route: answers directly and, where probed, through the proxy.
    public var routesUp: [String: Bool] = [:]
    public var failing = false
    public var checksTotal = 0
    public var incidentsTotal = 0
    public var recoveriesTotal = 0
    /// Automatic steps run by `--auto-fix`, by kind and outcome (manual steps are not actions).
    public var actions: [ActionKey: Int] = [:]
    /// Unix time of the last completed probe round.
    public var lastCheckTimestamp: Double?
    /// How long the last probe round took, in seconds.
    public var lastCheckDurationSeconds: Double = 0
    public var routesReloadsTotal = 0
    /// watch's own resident memory and CPU time, read when `/metrics` is asked for.
    public var process: ProcessFigures?

    public init() {}
}
