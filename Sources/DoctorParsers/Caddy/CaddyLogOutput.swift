import DoctorFacts

/// Where one `log { output …; format … }` block writes: the file the doctor must read
/// for Caddy's dial errors (global log) or access lines (site log).
public struct CaddyLogOutput: Hashable, Codable, Sendable {
    /// The output file for `output file PATH`; nil for every other output.
    public var path: String?
    /// `file`, `stderr`, `stdout`, `discard` or `net` (`stderr` when not written, Caddy's default).
    public var output: String
    /// `json`, `console`, `filter`, … as written; nil when not written (Caddy picks
    /// `console` on a terminal and `json` otherwise).
    public var format: String?
    /// The `log` line.
    public var source: SourceLocation
    /// The name written after `log` (a global `log NAME { … }`, or a site's in Caddy 2.7+);
    /// nil for the default logger and unnamed site logs.
    public var name: String?

    public init(path: String? = nil, output: String = "stderr", format: String? = nil,
                source: SourceLocation, name: String? = nil) {
        self.path = path
        self.output = output
        self.format = format
        self.source = source
        self.name = name
    }
}
