/// A problem met while reading a configuration. Parsing goes on past it.
public struct ConfigDiagnostic: Hashable, Codable, Sendable, CustomStringConvertible {
    /// What went wrong; raw values are stable.
    public enum Kind: String, Codable, Sendable {
        case syntax
        case missingInclude = "missing-include"
        case emptyGlob = "empty-glob"
        case includeCycle = "include-cycle"
        case unreadable
        case binary
        case tooLarge = "too-large"
    }

    public var kind: Kind
    public var message: String
    /// Where it happened; for an include problem, the `include` line.
    public var location: SourceLocation?

    public init(kind: Kind, message: String, location: SourceLocation?) {
        self.kind = kind
        self.message = message
        self.location = location
    }

    public var description: String {
        if let location { return "\(location): \(message)" }
        return message
    }
}
