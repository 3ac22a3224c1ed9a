import DoctorFacts

/// A step of a probe that either yields a value or ends the probe with a failure class.
/// (`ProbeFailure` is a fact, not an `Error`, so `Result` does not fit.)
enum ProbeAttempt<Value> {
    case success(Value)
    case failure(ProbeFailure)
}

extension ProbeAttempt: Sendable where Value: Sendable {}
