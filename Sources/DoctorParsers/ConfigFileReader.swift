/// Read access to configuration files, supplied by the host layer.
///
/// Parsers cannot touch the machine (they sit below `DoctorHost`); whoever calls a
/// parser hands it a reader, so the same parser runs on a live host, a snapshot, or
/// an in-memory fixture.
public protocol ConfigFileReader: Sendable {
    /// The whole file, at most `maxBytes` long; a larger file is an error, not a truncation,
    /// because a half-read config yields wrong routes.
    func readConfigFile(_ path: String, maxBytes: Int) -> Result<[UInt8], ConfigReadError>
    /// Names (not paths) of the entries of a directory, for `include` globs.
    func listDirectory(_ path: String) -> Result<[String], ConfigReadError>
}

/// Why a configuration file could not be read.
public enum ConfigReadError: Error, Hashable, Sendable, CustomStringConvertible {
    case notFound
    case permissionDenied
    case isDirectory
    case tooLarge(bytes: Int, limit: Int)
    case other(String)

    public var description: String {
        switch self {
        case .notFound: "no such file or directory"
        case .permissionDenied: "permission denied"
        case .isDirectory: "is a directory"
        case let .tooLarge(bytes, limit): "file is \(bytes) bytes, over the \(limit)-byte limit"
        case let .other(message): message
        }
    }
}
