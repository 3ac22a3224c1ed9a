import DoctorFacts

/// An nginx config that a compose service bind-mounts from the host, parsed from the
/// host-side file with the same loader and model as a host nginx.
///
/// The official image includes `/etc/nginx/conf.d/*.conf` inside its `http {}` block, so
/// a file mounted there holds bare `server {}` / `upstream {}` blocks: those are read as
/// if they were inside `http`. A file mounted over `/etc/nginx/nginx.conf` is a main config
/// and is read as it is. Its `include` lines name container paths, which are not followed
/// on the host when they do not exist there (reported as diagnostics).
public enum ComposeNginxConfig {
    /// The file's routes and the loader's diagnostics.
    public static func load(hostPath: String, reader: some ConfigFileReader,
                            maxFileBytes: Int = NginxConfigLoader.defaultMaxFileBytes) -> (routes: [Route], diagnostics: [ConfigDiagnostic]) {
        var config = NginxConfigLoader.load(mainFile: hostPath, reader: reader, maxFileBytes: maxFileBytes)
        let isMain = config.directives.contains { $0.name == "http" || $0.name == "events" }
        if !isMain, config.directives.contains(where: { $0.name == "server" || $0.name == "upstream" }) {
            let location = config.directives.first?.location ?? SourceLocation(file: hostPath, line: 1)
            config.directives = [NginxDirective(name: "http", location: location, block: config.directives)]
        }
        let model = NginxModel.build(config: config, prefix: "/etc/nginx")
        return (model.routes, model.diagnostics)
    }

    /// Whether a file mounted at this container path is nginx configuration.
    public static func isConfigPath(_ containerPath: String) -> Bool {
        containerPath.hasPrefix("/etc/nginx/") || containerPath == "/etc/nginx"
            || containerPath.hasPrefix("/usr/local/openresty/nginx/conf")
    }
}
