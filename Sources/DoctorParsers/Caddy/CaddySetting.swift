import DoctorFacts

/// One subdirective as written (`dial_timeout 3s`, `lb_policy round_robin`,
/// `http_port 8080`), kept with its file:line so a finding can point at it.
public struct CaddySetting: Hashable, Codable, Sendable, CustomStringConvertible {
    public var name: String
    public var args: [String]
    public var source: SourceLocation

    public init(name: String, args: [String] = [], source: SourceLocation) {
        self.name = name
        self.args = args
        self.source = source
    }

    /// The arguments joined by spaces (`3s`, `round_robin`, `off`).
    public var value: String { args.joined(separator: " ") }

    public var description: String { args.isEmpty ? name : "\(name) \(value)" }
}
