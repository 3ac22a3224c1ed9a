import Synchronization

/// Set once when watch should stop (SIGTERM, SIGINT, or a test); the loop looks at it between
/// ticks and while it sleeps, so a stop finishes the current tick and does not start another.
public final class StopSignal: Sendable {
    private let stopped = Mutex(false)

    public init() {}

    public func request() { stopped.withLock { $0 = true } }

    public var isRequested: Bool { stopped.withLock { $0 } }

    /// Sleeps up to `duration`, returning early (within a quarter second) once a stop is requested.
    /// Four wake-ups a second cost nothing measurable next to a probe round.
    public func sleep(for duration: Duration) async {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: duration)
        while !isRequested {
            let left = clock.now.duration(to: deadline)
            if left <= .zero { return }
            try? await Task.sleep(for: min(left, .milliseconds(250)))
        }
    }
}
