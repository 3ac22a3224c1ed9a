import DoctorFacts

/// The main-context `user NAME [GROUP];` directive: who the worker processes run as.
public struct NginxUser: Hashable, Sendable {
    public var name: String
    /// The group as written; `nil` when omitted.
    public var group: String?
    public var source: SourceLocation

    public init(name: String, group: String? = nil, source: SourceLocation) {
        self.name = name
        self.group = group
        self.source = source
    }

    /// The group the workers get: nginx uses the group named like the user when none is written.
    public var effectiveGroup: String { group ?? name }
}
