/// The gate's success rule: `required` probe rounds in a row in which every route answered
/// 2xx, directly and then through the proxy, before a deadline.
///
/// Consecutive, not cumulative: a release that answers once and then crashes (a worker that
/// dies on its first request, a supervisor restarting a process that exits after `startsecs`)
/// must not pass on a lucky round. Any failing round resets the count. Pure, so the rule is
/// tested without a clock or a host.
public struct GateHealthCounter: Hashable, Sendable {
    /// What ends the wait.
    public enum Decision: String, Hashable, Sendable {
        /// `required` consecutive healthy rounds were seen.
        case passed
        /// Not yet: probe again after the interval.
        case keepWaiting = "keep-waiting"
        /// The deadline passed without `required` healthy rounds in a row.
        case timedOut = "timed-out"
    }

    public let required: Int
    /// Healthy rounds in a row so far (reset by a failing round).
    public private(set) var consecutive = 0
    /// Every round recorded.
    public private(set) var rounds = 0
    /// The longest run of healthy rounds seen (to tell "never answered" from "answered, then fell over").
    public private(set) var longestRun = 0
    /// Healthy rounds in total.
    public private(set) var healthyRounds = 0

    /// `required` below 1 is taken as 1: zero successes would pass a release that never answered.
    public init(required: Int) {
        self.required = max(1, required)
    }

    public mutating func record(healthy: Bool) {
        rounds += 1
        if healthy {
            consecutive += 1
            healthyRounds += 1
            longestRun = max(longestRun, consecutive)
        } else {
            consecutive = 0
        }
    }

    public var satisfied: Bool { consecutive >= required }

    /// After a round: passed as soon as the count is reached (even on the deadline's edge),
    /// else timed out once `elapsed` reaches `timeout`, else keep waiting.
    public func decision(elapsed: Duration, timeout: Duration) -> Decision {
        if satisfied { return .passed }
        return elapsed >= timeout ? .timedOut : .keepWaiting
    }

    /// `2 of 3 consecutive 2xx rounds (5 rounds, longest run 2)`.
    public var summary: String {
        "\(consecutive) of \(required) consecutive 2xx round\(required == 1 ? "" : "s") (\(rounds) round\(rounds == 1 ? "" : "s"), "
            + "\(healthyRounds) healthy, longest run \(longestRun))"
    }
}
