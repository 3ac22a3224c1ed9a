import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `STATE_DIR/audit.jsonl`: every applied (or refused) repair step, one JSON object per line,
/// appended and never rewritten.
///
/// Each line is written with one `write(2)` on an `O_APPEND` descriptor, so concurrent runs
/// interleave whole lines, never halves. The file is 0600 in a 0700 directory; entries are
/// redacted before they are encoded.
public struct AuditLog: Sendable {
    public static let fileName = "audit.jsonl"

    public let directory: StateDirectory

    public init(directory: StateDirectory) {
        self.directory = directory
    }

    public var path: String { directory.file(Self.fileName) }

    /// Appends `entry`, redacted, as one line.
    public func append(_ entry: AuditEntry) throws(RemedyStateError) {
        try directory.prepare()
        let data: Data
        do {
            data = try Self.encoder.encode(entry.redacted())
        } catch {
            throw RemedyStateError(path, "cannot encode an audit entry: \(error)")
        }
        let line = Array(data) + [UInt8(ascii: "\n")]
        let fd = try directory.open(Self.fileName, flags: O_WRONLY | O_APPEND)
        defer { close(fd) }
        let written = line.withUnsafeBytes { Glibc.write(fd, $0.baseAddress!, $0.count) }
        guard written == line.count else {
            throw RemedyStateError(path, "cannot append: \(written < 0 ? String(cString: strerror(errno)) : "short write")")
        }
    }

    /// Every entry in the file, oldest first; a line that does not decode (cut by a full
    /// disk, written by hand) is skipped rather than hiding the rest.
    public func entries() throws(RemedyStateError) -> [AuditEntry] {
        guard let bytes = try directory.read(Self.fileName, maxBytes: 256 << 20) else { return [] }
        return bytes.split(separator: UInt8(ascii: "\n")).compactMap { try? Self.decoder.decode(AuditEntry.self, from: Data($0)) }
    }

    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
