/// The outcome of one allow-listed command, live or recorded in a snapshot.
public struct CommandResult: Hashable, Codable, Sendable {
    public var argv: [String]
    /// Exit status; `nil` when it did not exit on its own (timeout, not found, killed).
    public var exitCode: Int32?
    public var stdout: String
    public var stderr: String
    /// Set when the command could not be run or did not finish (`timed out after 5s`, `not installed`).
    public var failure: String?
    /// Output beyond the cap was dropped.
    public var truncated: Bool

    public init(argv: [String], exitCode: Int32?, stdout: String = "", stderr: String = "",
                failure: String? = nil, truncated: Bool = false) {
        self.argv = argv
        self.exitCode = exitCode
        self.stdout = stdout
        self.stderr = stderr
        self.failure = failure
        self.truncated = truncated
    }

    public var succeeded: Bool { failure == nil && exitCode == 0 }

    /// The command as a person would type it.
    public var commandLine: String {
        argv.map { $0.contains(" ") || $0.isEmpty ? "'\($0)'" : $0 }.joined(separator: " ")
    }
}
