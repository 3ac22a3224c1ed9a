import DoctorFacts

/// Reads a Caddyfile and everything it imports into a `CaddyConfig`, through a
/// `ConfigFileReader` (live host, snapshot or fixture), never running Caddy.
///
/// Imports resolve relative to the importing file's directory, globs included; a missing
/// file, a cycle, a binary or oversized file each become a diagnostic at the `import`
/// line and reading goes on. Env placeholders take their default only (`{$A:b}` → `b`);
/// without a default they stay as written. Nothing here can crash or hang on bad input:
/// nesting, import depth and the total number of tokens are bounded.
public enum CaddyfileParser {
    /// Caddy has no limit; this one stops "configs" that are really binaries or logs.
    public static let defaultMaxFileBytes = 16 << 20

    public static func parse(path: String, reader: some ConfigFileReader) -> CaddyConfig {
        parse(path: path, reader: reader, maxFileBytes: defaultMaxFileBytes)
    }

    public static func parse(path: String, reader: some ConfigFileReader, maxFileBytes: Int) -> CaddyConfig {
        let stream = CaddyTokenStream(mainFile: path, reader: reader, maxFileBytes: maxFileBytes)
        var parser = CaddyBlockParser(stream: stream)
        let (blocks, diagnostics) = parser.parseAll()
        var builder = CaddyModelBuilder()
        let (global, sites) = builder.build(blocks)
        return CaddyConfig(global: global, sites: sites, diagnostics: diagnostics + builder.diagnostics,
                           files: parser.stream.files)
    }
}
