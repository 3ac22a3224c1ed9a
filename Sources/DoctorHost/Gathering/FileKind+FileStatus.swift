import DoctorFacts

extension FileKind {
    /// The fact-level kind of a stat result.
    init(_ kind: FileStatus.Kind) {
        self = switch kind {
        case .regular: .regular
        case .directory: .directory
        case .symlink: .symlink
        case .socket: .socket
        case .fifo: .fifo
        case .other: .other
        }
    }
}
