import DoctorFacts

/// One nginx directive: `name args... ;` or `name args... { block }`.
///
/// Arguments are unquoted and unescaped the way nginx does it (`\"`, `\'`, `\\`,
/// `\t`, `\r`, `\n` are decoded; any other backslash pair is kept, so regexes such
/// as `~ \.php$` come through unchanged).
public struct NginxDirective: Hashable, Sendable {
    public var name: String
    public var args: [String]
    /// Where the directive's name is written.
    public var location: SourceLocation
    /// The block body; `nil` for a simple directive. Opaque blocks (`*_by_lua_block`,
    /// blocks skipped for nesting too deep) come back as an empty body.
    public var block: [NginxDirective]?

    public init(name: String, args: [String] = [], location: SourceLocation, block: [NginxDirective]? = nil) {
        self.name = name
        self.args = args
        self.location = location
        self.block = block
    }

    /// The directives of the block named `name`, directly inside this one.
    public func children(named name: String) -> [NginxDirective] {
        (block ?? []).filter { $0.name == name }
    }
}
