/// Overall outcome of a diagnosis, with exit codes that follow the monitoring
/// (Nagios) convention so gwdoctor drops into existing alerting.
public enum Status: String, Codable, Sendable, CaseIterable {
    case ok
    case warning
    case critical
    case unknown

    /// 0 ok, 1 warning, 2 critical, 3 unknown.
    public var exitCode: Int32 {
        switch self {
        case .ok: 0
        case .warning: 1
        case .critical: 2
        case .unknown: 3
        }
    }
}
