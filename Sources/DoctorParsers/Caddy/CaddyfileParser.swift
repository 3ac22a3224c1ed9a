import DoctorFacts

/// Reads a Caddyfile and everything it imports into a `CaddyConfig`, through a
/// `ConfigFileReader` (live host, snapshot or fixture), never running Caddy.
public enum CaddyfileParser {
    /// Caddy has no limit; this one stops "configs" that are really binaries or logs.
    public static let defaultMaxFileBytes = 16 << 20

    public static func parse(path: String, reader: some ConfigFileReader) -> CaddyConfig {
        parse(path: path, reader: reader, maxFileBytes: defaultMaxFileBytes)
    }

    public static func parse(path: String, reader: some ConfigFileReader, maxFileBytes: Int) -> CaddyConfig {
        // Placeholder until the full parser lands: only reads the file.
        switch reader.readConfigFile(path, maxBytes: maxFileBytes) {
        case .success:
            return CaddyConfig(files: [path])
        case let .failure(error):
            return CaddyConfig(diagnostics: [ConfigDiagnostic(kind: .unreadable, message: "cannot read \(path): \(error)", location: nil)])
        }
    }
}
