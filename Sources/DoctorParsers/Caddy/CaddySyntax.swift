import DoctorFacts

/// One directive of a Caddyfile block: its name, the arguments on its line, and the
/// block it opens, if any.
struct CaddyDirective: Hashable, Sendable {
    var name: CaddyToken
    var args: [CaddyToken]
    var block: [CaddyDirective]?

    var location: SourceLocation { SourceLocation(file: name.file, line: name.line) }
    var argTexts: [String] { args.map(\.text) }
}

/// A top-level block: its keys (site addresses; none for the global options block) and
/// its directives.
struct CaddyServerBlock: Hashable, Sendable {
    var keys: [CaddyToken]
    var directives: [CaddyDirective]
    /// The first key, or the `{` of a keyless block.
    var location: SourceLocation
}
