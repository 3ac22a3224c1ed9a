import Foundation

/// A release someone (`gwdoctor rollback`, later `gwdoctor gate`, or a deploy tool) marked as
/// bad: a small JSON file `ROOT/releases/<id>/.gwdoctor-bad` inside the release itself.
///
/// Kept in the release directory rather than under `--state-dir` so that it travels with the
/// release: a deploy script or a person running `ls -a` sees it, a snapshot records it like any
/// file, another host sharing the deploy tree sees it, and the cleanup that deletes old
/// releases deletes the mark with them (no state file that outlives what it describes).
public struct ReleaseBadMark: Hashable, Codable, Sendable {
    /// When it was marked (ISO 8601, UTC).
    public var markedAt: String
    /// Why (`rollback to 1: release 2 did not answer /health/`).
    public var reason: String
    /// What wrote it (`gwdoctor rollback`).
    public var by: String

    public init(markedAt: String, reason: String, by: String) {
        self.markedAt = markedAt
        self.reason = reason
        self.by = by
    }

    /// The marker's file name inside a release directory.
    public static let fileName = ".gwdoctor-bad"
    /// A marker is a few hundred bytes; anything bigger is not ours.
    public static let maxBytes = 16 * 1024

    /// The marker as stored (one JSON object, keys sorted, a trailing newline).
    public func encoded() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array((try? encoder.encode(self)) ?? Data()) + [0x0A]
    }

    /// The marker read back; a file that is not one (empty, hand-written text) still marks the
    /// release bad, with its first line as the reason.
    public static func decode(_ bytes: [UInt8]) -> ReleaseBadMark {
        if let mark = try? JSONDecoder().decode(ReleaseBadMark.self, from: Data(bytes)) { return mark }
        let text = String(decoding: bytes.prefix(512), as: UTF8.self)
        let firstLine = text.split(separator: "\n").first.map { String($0).trimmingCharacters(in: .whitespaces) } ?? ""
        return ReleaseBadMark(markedAt: "", reason: firstLine.isEmpty ? "marker file without a reason" : firstLine, by: "unknown")
    }
}
