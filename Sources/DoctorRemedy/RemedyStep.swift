import DoctorFacts

/// One step of a repair plan. Steps are shown before anything runs; only
/// `gwdoctor fix --apply` carries them out (see DESIGN.md, safety rules).
public enum RemedyStep: Hashable, Sendable {
    /// A change a person must make (edit a config line, change a group); never applied silently.
    case manual(description: String, commands: [String])
    /// Validate the proxy configuration, then reload it only if the test passes.
    case validateThenReload(proxy: ProxyKind, configPath: String)
}

extension RemedyStep {
    /// Text for the plan listing.
    public var summary: String {
        switch self {
        case let .manual(description, _): description
        case let .validateThenReload(proxy, configPath): "test \(proxy.rawValue) config \(configPath), reload only if it passes"
        }
    }
}
