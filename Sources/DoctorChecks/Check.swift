import DoctorFacts

/// A pure rule over gathered facts. Checks never touch the host: this module
/// cannot import `DoctorHost`, so that is a compile-time guarantee.
public protocol Check: Sendable {
    /// Stable kebab-case id; never changes once released (users grep and silence by it).
    var id: String { get }
    /// One line naming the problem.
    var title: String { get }
    /// The layer this check's findings usually belong to.
    var layer: Layer { get }
    /// Why this check exists: what an operator sees, and how it differs from look-alikes.
    var rationale: String { get }
    /// The fix it proposes, in general terms (a finding's fix is specific).
    var fixText: String { get }
    /// When two checks fire on the same layer, the lower precedence is the deeper cause
    /// (an invalid config explains a proxy that is down).
    var precedence: Int { get }

    /// Checks whose findings this one's explain (an app that crashes on boot is why nothing
    /// listens), so the verdict names the cause even when it sits on a deeper layer.
    var explains: Set<String> { get }

    func run(_ facts: Facts) -> [Finding]
}

extension Check {
    public var explains: Set<String> { [] }
}
