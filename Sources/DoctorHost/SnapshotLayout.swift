import Foundation

/// File names and encodings of a snapshot directory (documented in docs/SNAPSHOT.md).
public enum SnapshotLayout {
    /// The directory layout this gwdoctor writes and reads.
    public static let formatVersion = 1

    static let metadataFile = "meta.json"
    static let fileMetadataFile = "fs-meta.json"
    static let filesDirectory = "fs"
    static let processesFile = "proc/processes.json"
    static let listenersFile = "proc/listeners.json"
    static let commandsFile = "commands.json"
    static let probesFile = "probes.json"

    /// Where the copy of `path` lives, relative to the snapshot: `fs/` + the path.
    /// `%`, `.` and `..` components are escaped so every path lands inside `fs/`.
    static func copyPath(for path: String) -> String {
        let components = path.split(separator: "/").map { component -> String in
            let escaped = component.replacingOccurrences(of: "%", with: "%25")
            return escaped == "." || escaped == ".." ? escaped.replacingOccurrences(of: ".", with: "%2E") : escaped
        }
        return ([filesDirectory] + components).joined(separator: "/")
    }

    /// A copy reference read back from `fs-meta.json` must stay under `fs/`: a snapshot
    /// from someone else's machine must not make gwdoctor read `../../etc/shadow`.
    static func isSafeCopyPath(_ relative: String) -> Bool {
        let components = relative.split(separator: "/", omittingEmptySubsequences: false)
        return components.first.map(String.init) == filesDirectory && components.count > 1
            && !components.contains { $0 == ".." || $0 == "." || $0.isEmpty }
    }

    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        // Sorted and indented so two snapshots diff line by line.
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
