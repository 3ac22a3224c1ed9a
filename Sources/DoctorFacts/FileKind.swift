/// What sits at a path, for facts that only need the type (a socket target, a release link).
public enum FileKind: String, Hashable, Codable, Sendable {
    case regular, directory, symlink, socket, fifo, other
    /// Nothing there.
    case missing
    /// It could not be checked (permission denied on a parent, snapshot without it).
    case unknown
}
