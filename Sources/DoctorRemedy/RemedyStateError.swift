/// Why gwdoctor's own state (the state directory, the audit log, the restart budget) could
/// not be read or written. A repair that cannot record what it does does not run.
public struct RemedyStateError: Error, Hashable, Sendable, CustomStringConvertible {
    public var path: String
    public var reason: String

    public init(_ path: String, _ reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): \(reason)" }
}
