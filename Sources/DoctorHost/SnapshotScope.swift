import Foundation

/// `scope.json` in a snapshot: the options the capture was scoped with, so that
/// `diagnose --root DIR` looks at the same nginx the capture did without repeating them.
public struct SnapshotScope: Codable, Sendable {
    public static let fileName = "scope.json"

    public var nginxConfig: String?
    public var nginxPrefix: String?
    public var sinceSeconds: Int
    /// `--compose-file` paths of the capture (absent in older snapshots and when none was given).
    public var composeFiles: [String]?
    /// `--caddyfile` of the capture (absent in older snapshots and when none was given).
    public var caddyfile: String? = nil

    public init(nginxConfig: String?, nginxPrefix: String?, sinceSeconds: Int, composeFiles: [String]? = nil) {
        self.nginxConfig = nginxConfig
        self.nginxPrefix = nginxPrefix
        self.sinceSeconds = sinceSeconds
        self.composeFiles = composeFiles
    }

    public func write(to directory: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(self).write(to: URL(fileURLWithPath: directory).appendingPathComponent(Self.fileName))
    }

    /// The scope recorded in a snapshot, or `nil` for one without it.
    public static func read(from directory: String) -> SnapshotScope? {
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: directory).appendingPathComponent(fileName)) else { return nil }
        return try? JSONDecoder().decode(SnapshotScope.self, from: data)
    }
}
