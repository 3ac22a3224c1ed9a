/// How a compose field written with variables (`"${APP_PORT:-8000}:8000"`) was resolved, so
/// evidence can show both the text and the value: `"${APP_PORT:-8000}:8000" = 8001:8000 (.env:3)`.
///
/// Only the origin of each variable is kept, never its value: the value lives in the field it
/// resolved (a port number, a mount path), and a `.env` file commonly holds secrets too.
public struct ComposeInterpolation: Hashable, Codable, Sendable {
    /// The field (`ports`, `volumes`, `container_name`, `network_mode`, `command`, `entrypoint`, `healthcheck`).
    public var field: String
    /// The text as written in the compose file (a command's text passes through `Redactor` first).
    public var written: String
    /// Each variable the text refers to, in order, with where its value came from.
    public var variables: [ComposeVariableUse]
    /// The project's `.env` file the values were read from, when one was read.
    public var envFile: String?

    public init(field: String, written: String, variables: [ComposeVariableUse], envFile: String? = nil) {
        self.field = field
        self.written = written
        self.variables = variables
        self.envFile = envFile
    }

    /// `.env:3`, `default`, or `APP_PORT .env:3, HOST default` when several variables were used.
    public var origin: String {
        let distinct = variables.reduce(into: [ComposeVariableUse]()) { result, use in
            if !result.contains(use) { result.append(use) }
        }
        if distinct.count == 1 { return distinct[0].origin }
        if distinct.isEmpty { return "no variable: only `$$`" }
        return distinct.map { "\($0.name) \($0.origin)" }.joined(separator: ", ")
    }

    /// `"${APP_PORT:-8000}" = 8000 (default)`: the written text, the value it resolved to, and why.
    public func describe(resolved: String) -> String {
        "\"\(written)\" = \(resolved) (\(origin))"
    }
}

/// One variable a compose field refers to, and where its value came from.
public struct ComposeVariableUse: Hashable, Codable, Sendable {
    /// Which text decided the value.
    public enum Fallback: String, Hashable, Codable, Sendable {
        /// The default written after `:-`/`-` (the variable is unset, or empty with `:-`).
        case defaultValue
        /// The alternative written after `:+`/`+` (the variable is set).
        case alternative
        /// Nothing: `${VAR:+alt}` of an unset variable is empty.
        case empty
    }

    public var name: String
    /// The `.env` line that set it; `nil` when it is not set there.
    public var envLine: Int?
    /// `nil` when the variable's own value was used.
    public var fallback: Fallback?

    public init(name: String, envLine: Int? = nil, fallback: Fallback? = nil) {
        self.name = name
        self.envLine = envLine
        self.fallback = fallback
    }

    /// `.env:3`, `default`, `default (empty at .env:3)`, `alternative (set at .env:3)`.
    public var origin: String {
        switch (fallback, envLine) {
        case let (nil, line?): ".env:\(line)"
        case (nil, nil): "not set"
        case (.defaultValue?, nil): "default"
        case let (.defaultValue?, line?): "default (empty at .env:\(line))"
        case let (.alternative?, line): "alternative (set at \(line.map { ".env:\($0)" } ?? "?"))"
        case (.empty?, _): "empty (not set)"
        }
    }
}
