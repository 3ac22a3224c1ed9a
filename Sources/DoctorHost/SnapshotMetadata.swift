import Foundation

/// `meta.json`: what a snapshot is and where and when it was captured.
public struct SnapshotMetadata: Hashable, Codable, Sendable {
    /// Layout version of the directory; readers refuse versions newer than they know.
    public var format: Int
    /// When capture started, whole seconds (the JSON holds ISO 8601 without fractions).
    public var capturedAt: Date
    public var hostname: String
    public var gwdoctorVersion: String
    /// `uname -srm` of the captured machine, for bug reports.
    public var system: String?

    /// Metadata of a capture; `format` defaults to the version this gwdoctor writes.
    public init(format: Int = SnapshotLayout.formatVersion, capturedAt: Date, hostname: String,
                gwdoctorVersion: String, system: String? = nil) {
        self.format = format
        self.capturedAt = capturedAt
        self.hostname = hostname
        self.gwdoctorVersion = gwdoctorVersion
        self.system = system
    }
}
