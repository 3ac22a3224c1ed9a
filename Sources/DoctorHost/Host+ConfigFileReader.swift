import DoctorParsers
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Every host reads configuration through its own `readFile` and `list`, so parsers see
/// the same files on a live host, in a snapshot and while recording one.
extension Host {
    /// `readFile`, with host errors in the parsers' vocabulary.
    public func readConfigFile(_ path: String, maxBytes: Int) -> Result<[UInt8], ConfigReadError> {
        do {
            return .success(try readFile(path, maxBytes: maxBytes))
        } catch {
            return .failure(ConfigReadError(error))
        }
    }

    /// `list`, with host errors in the parsers' vocabulary.
    public func listDirectory(_ path: String) -> Result<[String], ConfigReadError> {
        do {
            return .success(try list(path))
        } catch {
            return .failure(ConfigReadError(error))
        }
    }
}

extension ConfigReadError {
    /// The parsers' view of a host error.
    public init(_ error: HostError) {
        switch error {
        case .notFound: self = .notFound
        case .permissionDenied: self = .permissionDenied
        case let .tooLarge(_, bytes, limit): self = .tooLarge(bytes: bytes, limit: limit)
        case let .io(_, code, _) where code == EISDIR: self = .isDirectory
        case .notRecorded, .io: self = .other(error.description)
        }
    }
}
