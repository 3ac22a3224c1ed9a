/// The outcome of a proxy's own configuration test (`nginx -t`, `caddy validate`).
public struct ConfigTest: Hashable, Codable, Sendable {
    /// The command as run (or as recorded in a snapshot).
    public var command: CommandResult
    /// `true` passed, `false` the config is invalid, `nil` the test could not judge
    /// (not installed, timed out, or failed for reasons other than the config, such as
    /// permission to open a log file when not run as root).
    public var passed: Bool?
    /// The test's messages, each with the file:line it names when it names one.
    public var messages: [ConfigTestMessage]

    public init(command: CommandResult, passed: Bool?, messages: [ConfigTestMessage]) {
        self.command = command
        self.passed = passed
        self.messages = messages
    }
}

/// One message of a config test, e.g. `[emerg] unknown directive "foo" in /etc/nginx/nginx.conf:12`.
public struct ConfigTestMessage: Hashable, Codable, Sendable {
    /// `emerg`, `alert`, `crit`, `error`, `warn`, `notice`.
    public var level: String
    /// The message without its level and location.
    public var text: String
    public var location: SourceLocation?

    public init(level: String, text: String, location: SourceLocation?) {
        self.level = level
        self.text = text
        self.location = location
    }
}
