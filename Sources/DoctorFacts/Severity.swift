/// How bad a finding is. Raw values are part of the JSON contract.
public enum Severity: String, Codable, Sendable, CaseIterable, Comparable {
    case critical
    case warning
    case info

    private var rank: Int {
        switch self {
        case .critical: 2
        case .warning: 1
        case .info: 0
        }
    }

    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
}
