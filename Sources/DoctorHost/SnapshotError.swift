/// Why a snapshot directory could not be written or opened.
public enum SnapshotError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Writing into a directory that already holds files would mix two captures.
    case directoryNotEmpty(String)
    /// The directory has no `meta.json`, so it is not a snapshot.
    case notASnapshot(String)
    /// A snapshot file is not what the format says (bad JSON, a path escaping the directory).
    case invalid(file: String, reason: String)
    /// Written by a newer gwdoctor whose format this one does not know.
    case unsupportedFormat(found: Int, supported: Int)
    /// The file system refused a read or write.
    case io(path: String, message: String)

    /// The error in words, naming the path concerned.
    public var description: String {
        switch self {
        case let .directoryNotEmpty(path): "\(path): directory is not empty"
        case let .notASnapshot(path): "\(path): not a gwdoctor snapshot (no meta.json)"
        case let .invalid(file, reason): "\(file): \(reason)"
        case let .unsupportedFormat(found, supported):
            "snapshot format \(found) is newer than this gwdoctor understands (\(supported)); upgrade gwdoctor"
        case let .io(path, message): "\(path): \(message)"
        }
    }
}
