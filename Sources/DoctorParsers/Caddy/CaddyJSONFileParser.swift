import DoctorFacts

/// Reads a Caddy native JSON config (`caddy run --config caddy.json`, `--adapter json`,
/// `--resume`'s `autosave.json`) into the same `CaddyConfig` model as `CaddyfileParser`, so
/// the gatherer turns it into the same `Route` and `ProxyInstance` facts.
///
/// Mapping (Caddy 2.6's JSON structure):
/// - `apps.http.servers.NAME.listen` → each site's addresses (port, `https://` when the server
///   serves TLS: `tls_connection_policies`, or automatic HTTPS for a host matcher on a port
///   other than `http_port`, or only the HTTPS port) and binds (`127.0.0.1:8080` → bind
///   `127.0.0.1`; `unix//run/caddy.sock` → bind `unix//run/caddy.sock`);
/// - consecutive top-level routes with the same `host` matcher → one site (no host: `_`);
/// - routes, `subroute`s and the server's `errors.routes`, walked depth-first; `reverse_proxy`
///   → `CaddyProxyHandler` (`upstreams[].dial`, `dynamic_upstreams` as an unknown upstream,
///   `transport` fields as settings with durations as Go text, `load_balancing` and
///   `health_checks` as `lb_policy`/`health_uri`/… options); `rewrite strip_path_prefix` →
///   a strip as `handle_path`'s; `static_response`, `file_server`, `error`, … → other
///   handlers; middleware (`headers`, `encode`, `vars`, …) passes; a handler gwdoctor does not
///   know (a plugin) is kept as an other handler but left out of `routing`;
/// - `path` matchers narrow the route's paths as in the Caddyfile reading; any other
///   condition (`path_regexp`, `header`, `method`, `not`, a nested `host`, …) is kept as a
///   matcher named after its kinds (`@path_regexp`), which a path alone cannot decide;
/// - `logging.logs` → global logs (runtime/error) and, through each server's `logs`
///   (`logger_names`, `default_logger_name`) and the loggers' `include`/`exclude`, the sites'
///   access logs; `admin.listen` / `admin.disabled` → the global admin options.
///
/// Not read: `terminal` (routing goes on past a terminal route that did not answer),
/// route `group` exclusivity, `tls` app policies, `layer4` and other apps, matchers'
/// semantics beyond paths. Every location carries the value's JSON pointer as well as its line.
public enum CaddyJSONFileParser {
    /// As `CaddyfileParser.defaultMaxFileBytes`: a bigger "config" is not parsed.
    public static let defaultMaxFileBytes = 16 << 20

    public static func parse(path: String, reader: some ConfigFileReader, maxFileBytes: Int = defaultMaxFileBytes) -> CaddyConfig {
        switch reader.readConfigFile(path, maxBytes: maxFileBytes) {
        case let .success(bytes) where bytes.count > maxFileBytes:
            return failed(path, .tooLarge, "\(path): \(ConfigReadError.tooLarge(bytes: bytes.count, limit: maxFileBytes)); not parsed", line: nil)
        case let .success(bytes):
            return parse(bytes: bytes, path: path)
        case let .failure(error):
            if case .tooLarge = error { return failed(path, .tooLarge, "\(path): \(error); not parsed", line: nil) }
            return failed(path, .unreadable, "cannot read \(path): \(error)", line: nil)
        }
    }

    /// The model of `bytes`, read as the JSON file at `path`.
    public static func parse(bytes: [UInt8], path: String) -> CaddyConfig {
        if let nul = bytes.firstIndex(of: 0) {
            let line = 1 + bytes[..<nul].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
            return failed(path, .binary, "not a text configuration file (NUL byte at offset \(nul)); file skipped", line: line)
        }
        switch CaddyJSONNode.parse(bytes) {
        case let .failure(error):
            return failed(path, .syntax, "not valid JSON: \(error.message)", line: error.line)
        case let .success(root):
            guard case .object = root.value else {
                return failed(path, .syntax, "the top level is not a JSON object", line: root.line)
            }
            var builder = CaddyJSONModelBuilder(path: path)
            let (global, sites) = builder.build(root)
            return CaddyConfig(global: global, sites: sites, diagnostics: builder.diagnostics, files: [path])
        }
    }

    private static func failed(_ path: String, _ kind: ConfigDiagnostic.Kind, _ message: String, line: Int?) -> CaddyConfig {
        CaddyConfig(diagnostics: [ConfigDiagnostic(kind: kind, message: message,
                                                   location: line.map { SourceLocation(file: path, line: $0) })],
                    files: kind == .unreadable || kind == .tooLarge ? [] : [path])
    }
}
