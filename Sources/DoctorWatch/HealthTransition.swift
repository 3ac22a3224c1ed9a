/// Whether the routes answered at the last tick, and the edge a new tick crosses.
///
/// Watch reacts to edges, not levels: one incident (a diagnosis, a report, a log line, maybe a
/// fix) when the site starts failing, one line when it recovers, and nothing on the ticks in
/// between, so a long outage does not write a report every ten seconds.
public struct HealthTransition: Sendable, Equatable {
    public enum State: String, Sendable {
        /// Before the first tick.
        case unknown
        case healthy
        case failing
    }

    public enum Edge: String, Sendable, Equatable {
        /// From healthy, or from unknown at start-up: a failure already there when watch starts is an incident too.
        case startedFailing
        /// From failing to healthy.
        case recovered
    }

    public private(set) var state: State = .unknown

    public init() {}

    /// Records a tick; returns the edge it crossed, if any. No routes to probe is not "healthy"
    /// evidence, but not a failure either: the state stays as it was.
    public mutating func record(healthy: Bool) -> Edge? {
        let previous = state
        state = healthy ? .healthy : .failing
        switch (previous, state) {
        case (.unknown, .failing), (.healthy, .failing): return .startedFailing
        case (.failing, .healthy): return .recovered
        default: return nil
        }
    }
}
