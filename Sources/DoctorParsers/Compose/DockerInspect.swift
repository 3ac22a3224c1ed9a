import DoctorFacts
import Foundation

/// `docker inspect ID…` output (a JSON array of container objects, as Docker 28 prints it)
/// read into the state of compose containers, with the compose labels that say which project,
/// which service and which files.
public enum DockerInspect {
    /// One inspected container with its compose labels.
    public struct Entry: Hashable, Sendable {
        public var container: ComposeContainer
        /// `com.docker.compose.project`.
        public var project: String
        /// `com.docker.compose.project.config_files`, split on commas.
        public var configFiles: [String]
        /// `com.docker.compose.project.working_dir`.
        public var workingDirectory: String?
    }

    /// The compose containers in the output; containers without compose labels are skipped.
    /// `nil` when the text is not a JSON array (an error message, a truncated capture).
    public static func parse(_ text: String) -> [Entry]? {
        guard let data = text.data(using: .utf8),
              let array = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]] else { return nil }
        return array.compactMap(entry)
    }

    /// IDs from `docker ps -aq --no-trunc …`, one per line, hex only (anything else is not an ID).
    public static func containerIDs(_ text: String) -> [String] {
        text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && $0.count <= 64 && $0.allSatisfy(\.isHexDigit) }
    }

    private static func entry(_ object: [String: Any]) -> Entry? {
        let config = object["Config"] as? [String: Any]
        let labels = config?["Labels"] as? [String: String] ?? [:]
        guard let project = labels["com.docker.compose.project"], let service = labels["com.docker.compose.service"] else { return nil }
        let state = object["State"] as? [String: Any] ?? [:]
        let health = state["Health"] as? [String: Any]
        let log = health?["Log"] as? [[String: Any]] ?? []
        let lastOutput = (log.last?["Output"] as? String).map { String($0.trimmingCharacters(in: .whitespacesAndNewlines).prefix(300)) }
        let name = (object["Name"] as? String).map { $0.hasPrefix("/") ? String($0.dropFirst()) : $0 } ?? ""
        let container = ComposeContainer(id: String((object["Id"] as? String ?? "").prefix(12)), name: name, service: service,
                                         state: state["Status"] as? String ?? "unknown",
                                         exitCode: (state["ExitCode"] as? NSNumber)?.intValue,
                                         restartCount: (object["RestartCount"] as? NSNumber)?.intValue,
                                         oomKilled: (state["OOMKilled"] as? Bool) ?? false,
                                         health: (health?["Status"] as? String).flatMap { $0.isEmpty ? nil : $0 },
                                         lastHealthOutput: lastOutput.flatMap { $0.isEmpty ? nil : Redactor.redact($0) },
                                         startedAt: state["StartedAt"] as? String, finishedAt: state["FinishedAt"] as? String,
                                         image: config?["Image"] as? String)
        let files = labels["com.docker.compose.project.config_files"]?.split(separator: ",").map(String.init) ?? []
        return Entry(container: container, project: project, configFiles: files,
                     workingDirectory: labels["com.docker.compose.project.working_dir"])
    }
}
