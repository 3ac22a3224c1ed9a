import DoctorFacts

/// A whole nginx configuration as read from disk: the directive tree with every
/// `include` expanded in place, the files read, and what went wrong on the way.
public struct NginxConfig: Hashable, Sendable {
    /// The main configuration file, as given to the loader.
    public var mainFile: String
    /// Main-context directives; `include` directives are replaced by the directives
    /// of the files they name.
    public var directives: [NginxDirective]
    /// Every file read, in the order first read, each once.
    public var files: [String]
    /// Problems met while reading (syntax, includes, unreadable files); parsing went on past each.
    public var diagnostics: [ConfigDiagnostic]

    public init(mainFile: String, directives: [NginxDirective] = [], files: [String] = [],
                diagnostics: [ConfigDiagnostic] = []) {
        self.mainFile = mainFile
        self.directives = directives
        self.files = files
        self.diagnostics = diagnostics
    }
}
