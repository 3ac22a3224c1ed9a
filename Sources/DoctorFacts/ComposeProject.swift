/// One Docker Compose project: what its compose files declare (read statically, no engine
/// needed), the proxy configs its services mount from the host, and, when a Docker engine
/// answered, the state of its containers.
///
/// A project is a unit of its own rather than more `ManagedService`s because what goes wrong
/// in one is about names and namespaces (a service name a proxy uses, a port published on the
/// host, a volume mounted at two paths), which a systemd unit or a supervisord program never has.
public struct ComposeProject: Hashable, Codable, Sendable {
    /// The project name: top-level `name:`, else the directory of the first file (what Compose uses).
    public var name: String
    /// The compose files read, absolute, in the order Compose merges them.
    public var files: [String]
    /// The directory relative paths resolve against (the first file's directory, or the engine's `working_dir` label).
    public var workingDirectory: String
    /// How the project was found (`--compose-file`, `engine label`, `next to nginx config …`, `conventional place /srv`).
    public var discoveredBy: String
    public var services: [ComposeService]
    /// Top-level `networks:` names (the `default` network is implicit and not listed unless written).
    public var networks: [String]
    /// Top-level `volumes:` names.
    public var volumes: [String]
    /// Problems met while reading the files (bad YAML, `extends`/`include` not followed, a field of the wrong type).
    public var diagnostics: [ConfigDiagnostic]
    /// nginx configs that proxy services bind-mount from the host, parsed from the host-side files.
    public var proxyConfigs: [ComposeProxyConfig]
    /// The project's containers as the engine reports them; `nil` when no engine answered (see `Facts.unavailable`).
    public var containers: [ComposeContainer]?

    public init(name: String, files: [String], workingDirectory: String, discoveredBy: String,
                services: [ComposeService] = [], networks: [String] = [], volumes: [String] = [],
                diagnostics: [ConfigDiagnostic] = [], proxyConfigs: [ComposeProxyConfig] = [],
                containers: [ComposeContainer]? = nil) {
        self.name = name
        self.files = files
        self.workingDirectory = workingDirectory
        self.discoveredBy = discoveredBy
        self.services = services
        self.networks = networks
        self.volumes = volumes
        self.diagnostics = diagnostics
        self.proxyConfigs = proxyConfigs
        self.containers = containers
    }

    /// The service with this name, if declared.
    public func service(_ name: String) -> ComposeService? {
        services.first { $0.name == name }
    }

    /// The service a host name resolves to on the project's networks: a service name, a
    /// `container_name`, or a network alias.
    public func service(resolving host: String) -> ComposeService? {
        let name = host.lowercased()
        return services.first { $0.name.lowercased() == name }
            ?? services.first { $0.containerName?.lowercased() == name }
            ?? services.first { $0.networks.contains { $0.aliases.contains { $0.lowercased() == name } } }
    }

    /// The containers of one service (several with `scale`/`replicas`), empty when the engine was not asked.
    public func containers(of service: String) -> [ComposeContainer] {
        (containers ?? []).filter { $0.service == service }
    }
}

/// An nginx config bind-mounted into a service's container, read from its host-side path.
public struct ComposeProxyConfig: Hashable, Codable, Sendable {
    /// The service running the proxy (`nginx`, `proxy`).
    public var service: String
    /// Where the file is on the host (what was parsed).
    public var hostPath: String
    /// Where the container sees it (`/etc/nginx/conf.d/default.conf`).
    public var containerPath: String
    /// The routes it declares, with their targets as written (`http://web:8000`, `unix:/sock/app.sock`).
    public var routes: [Route]
    /// Problems met while parsing it.
    public var diagnostics: [ConfigDiagnostic]

    public init(service: String, hostPath: String, containerPath: String, routes: [Route] = [],
                diagnostics: [ConfigDiagnostic] = []) {
        self.service = service
        self.hostPath = hostPath
        self.containerPath = containerPath
        self.routes = routes
        self.diagnostics = diagnostics
    }
}
