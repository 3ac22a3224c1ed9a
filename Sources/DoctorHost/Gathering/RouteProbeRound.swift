import DoctorFacts

/// One round of route probes without a gather: what `gwdoctor watch` sends every interval.
///
/// The same requests as the diagnosis's probes (`RouteProber`: the upstream directly with the
/// route's Host header, `/health/` falling back to `/` on a 404, then through the proxy's own
/// listener), so a watch and a `diagnose` never disagree about what "answers" means. Public
/// because the watch loop lives outside DoctorHost and must not pay for a whole gather
/// (process table, logs, service managers) just to probe.
public struct RouteProbeRound: Sendable {
    public let host: any Host
    /// Each probe's deadline (connect + response head).
    public let timeout: Duration

    public init(host: any Host, timeout: Duration = .milliseconds(1500)) {
        self.host = host
        self.timeout = timeout
    }

    /// Probes `routes` (identical requests once, all at the same time); routes with more
    /// distinct probes than the prober's cap come back with fewer results.
    public func probe(_ routes: [Route], proxies: [ProxyInstance]) async -> [RouteProbe] {
        var prober = RouteProber(host: host)
        prober.timeout = timeout
        return await prober.probe(routes, proxies: proxies).probes
    }
}
