/// After a new release failed the gate: may `current` go back to the old release?
///
/// The rollback's schema guard decides (`SchemaGuard`, through `RollbackPlanner` with the old
/// release as target, on facts gathered after the failure): a new release that migrated on
/// boot (or whose deploy ran `migrate` before the gate) may have left the database with
/// migrations the old code does not know, and switching back blindly would trade a failed
/// deploy for a broken site on a schema its code does not match. An unknown schema is not a
/// compatible one. A plan the rollback planner refuses (the old release is now marked bad,
/// partial, or nothing could restart it) does not switch back either. Pure.
public enum GateFallback {
    public enum Decision: Hashable, Sendable {
        case switchBack
        /// Leave the new release in place, and say why.
        case blocked(String)
    }

    public static func decide(schema: SchemaVerdict, planRefusal: String?) -> Decision {
        if let planRefusal { return .blocked("switching back is not possible: \(planRefusal)") }
        guard schema.allowsRollback else {
            let listed = schema.unknownToTarget.map(\.summary).joined(separator: "; ")
            return .blocked("the schema guard forbids switching back: \(schema.reason)" + (listed.isEmpty ? "" : ": " + listed))
        }
        return .switchBack
    }
}
