import DoctorFacts
import DoctorReport
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Writes one incident's report to `STATE_DIR/incidents/`: `incident-STAMP.md` for a person and
/// `incident-STAMP.json` for tools, both from the redacted report (no env value, no secret).
///
/// The directory is created 0700 and the files 0600 (`O_EXCL|O_NOFOLLOW`, never through a
/// link): a report names paths, users and errors of the machine. A directory someone else may
/// write to is refused, as the state directory itself is.
public struct IncidentWriter: Sendable {
    public let directory: String

    /// `stateDirectory/incidents`.
    public init(stateDirectory: String) {
        directory = (stateDirectory.hasSuffix("/") ? String(stateDirectory.dropLast()) : stateDirectory) + "/incidents"
    }

    /// What one incident is: when it was detected, which routes failed and how, and the diagnosis.
    public struct Incident: Sendable {
        public var detectedAt: Date
        /// `RouteHealth.evidence` of each failing route.
        public var failingRoutes: [String]
        /// The diagnosis, already redacted.
        public var report: Report

        public init(detectedAt: Date, failingRoutes: [String], report: Report) {
            self.detectedAt = detectedAt
            self.failingRoutes = failingRoutes
            self.report = report
        }
    }

    /// Writes both files; returns their paths (Markdown first).
    public func write(_ incident: Incident) throws(WatchError) -> [String] {
        try prepare()
        let stamp = Self.stamp(incident.detectedAt)
        var base = "incident-\(stamp)"
        var suffix = 1
        while FileManager.default.fileExists(atPath: "\(directory)/\(base).json") {
            suffix += 1
            base = "incident-\(stamp)-\(suffix)"
        }
        let markdown = "\(directory)/\(base).md", json = "\(directory)/\(base).json"
        try Self.create(markdown, Self.markdown(incident))
        try Self.create(json, Self.json(incident))
        return [markdown, json]
    }

    static func markdown(_ incident: Incident) -> String {
        var text = "# gwdoctor watch: incident at \(iso(incident.detectedAt))\n\n"
        text += "Routes failing when it was detected:\n\n"
        text += incident.failingRoutes.map { "- \($0)\n" }.joined()
        text += "\n" + MarkdownReportRenderer.render(incident.report)
        return text
    }

    /// `{"version":1,"detected_at":…,"failing_routes":[…],"report":{the diagnose JSON}}`.
    static func json(_ incident: Incident) -> String {
        let routes = incident.failingRoutes.map(quote).joined(separator: ",")
        let report = JSONReportRenderer.render(incident.report).trimmingCharacters(in: .whitespacesAndNewlines)
        return "{\"version\":1,\"detected_at\":\(quote(iso(incident.detectedAt))),"
            + "\"detected_at_unix\":\(String(format: "%.3f", incident.detectedAt.timeIntervalSince1970)),"
            + "\"failing_routes\":[\(routes)],\"report\":\(report)}\n"
    }

    static func quote(_ text: String) -> String {
        JSONText.string(text).serialized().trimmingCharacters(in: .newlines)
    }

    private func prepare() throws(WatchError) {
        var info = stat()
        if lstat(directory, &info) != 0 {
            guard errno == ENOENT else { throw WatchError("\(directory): \(String(cString: strerror(errno)))") }
            if mkdir(directory, 0o700) != 0, errno != EEXIST {
                throw WatchError("\(directory): cannot create: \(String(cString: strerror(errno)))")
            }
            _ = chmod(directory, 0o700)
            guard lstat(directory, &info) == 0 else { throw WatchError("\(directory): \(String(cString: strerror(errno)))") }
        }
        guard info.st_mode & S_IFMT == S_IFDIR else { throw WatchError("\(directory): not a directory (a symlink or a file); refusing to write incidents there") }
        if info.st_mode & 0o022 != 0 {
            throw WatchError("\(directory): writable by group or others (mode \(String(info.st_mode & 0o7777, radix: 8))); refusing to write incidents there: chmod 0700 \(directory)")
        }
    }

    private static func create(_ path: String, _ text: String) throws(WatchError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw WatchError("\(path): cannot create: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, $0.count - written) }
            if result < 0 {
                if errno == EINTR { continue }
                throw WatchError("\(path): cannot write: \(String(cString: strerror(errno)))")
            }
            written += result
        }
    }

    /// `20261121T143012.345Z`: sorts by time, no characters a shell or a URL minds.
    static func stamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss.SSS'Z'"
        return formatter.string(from: date)
    }

    static func iso(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}
