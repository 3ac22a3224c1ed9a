/// One `services.NAME` entry of a compose file, as far as a 502 depends on it.
/// Environment values are never kept: only the keys, like every env fact in gwdoctor.
public struct ComposeService: Hashable, Codable, Sendable {
    public var name: String
    /// Where `NAME:` is written under `services:`.
    public var source: SourceLocation
    public var image: String?
    /// The build context (`build: .` or `build.context`), as written.
    public var build: String?
    /// `command:` as argv, after Compose interpolation (a string is interpolated, then split like a
    /// shell would, without shell expansion); as written when a variable in it is not resolvable
    /// (see `unresolved`); `nil` when not written. May hold `.env` values: shown only through `Redactor`.
    public var command: [String]?
    public var commandSource: SourceLocation?
    public var entrypoint: [String]?
    /// Where the app server inside the container listens, read from `command` (and `entrypoint`)
    /// with the same command-line parsers as host processes.
    public var binds: [AppServerBind]
    /// The app server `command` runs (`gunicorn`, `uvicorn`, `uwsgi`, …), when it runs one.
    public var appServer: String?
    public var containerName: String?
    public var ports: [ComposePort]
    /// `expose:` container ports (`8000`, `8000-8010`, `8000/udp` kept as written).
    public var expose: [String]
    public var networks: [ComposeServiceNetwork]
    /// `network_mode:` (`host`, `none`, `service:db`); when set, `networks` does not apply.
    public var networkMode: String?
    public var volumes: [ComposeMount]
    public var healthcheck: ComposeHealthcheck?
    /// `restart:` (`no`, `always`, `on-failure[:N]`, `unless-stopped`), or `deploy.restart_policy.condition`.
    public var restart: String?
    public var dependsOn: [String]
    /// `environment:` keys only.
    public var environmentKeys: [String]
    /// `env_file:` paths, absolute against the project directory.
    public var envFiles: [String]
    public var profiles: [String]
    /// Fields read for the diagnosis whose text refers to a variable that neither `.env` nor a
    /// default written in the text sets (`ports`, `expose`, `volumes`, `command`, `entrypoint`,
    /// `container_name`, `network_mode`, `healthcheck`): what they would say is not known, so a
    /// check must not conclude from their absence.
    public var unresolved: Set<String> = []
    /// How `container_name`, `network_mode`, `command`, `entrypoint` and `healthcheck` written
    /// with variables were resolved (ports and mounts carry their own `interpolation`).
    public var interpolations: [ComposeInterpolation] = []

    public init(name: String, source: SourceLocation, image: String? = nil, build: String? = nil,
                command: [String]? = nil, commandSource: SourceLocation? = nil, entrypoint: [String]? = nil,
                binds: [AppServerBind] = [], appServer: String? = nil, containerName: String? = nil,
                ports: [ComposePort] = [], expose: [String] = [], networks: [ComposeServiceNetwork] = [],
                networkMode: String? = nil, volumes: [ComposeMount] = [], healthcheck: ComposeHealthcheck? = nil,
                restart: String? = nil, dependsOn: [String] = [], environmentKeys: [String] = [],
                envFiles: [String] = [], profiles: [String] = []) {
        self.name = name
        self.source = source
        self.image = image
        self.build = build
        self.command = command
        self.commandSource = commandSource
        self.entrypoint = entrypoint
        self.binds = binds
        self.appServer = appServer
        self.containerName = containerName
        self.ports = ports
        self.expose = expose
        self.networks = networks
        self.networkMode = networkMode
        self.volumes = volumes
        self.healthcheck = healthcheck
        self.restart = restart
        self.dependsOn = dependsOn
        self.environmentKeys = environmentKeys
        self.envFiles = envFiles
        self.profiles = profiles
    }

    /// Container ports other services can reach: binds of the app server, `expose`, and `ports` targets.
    public var containerTCPPorts: Set<Int> {
        var result = Set<Int>()
        for bind in binds { if case let .tcp(_, port)? = bind.endpoint { result.insert(port) } }
        for port in ports where port.protocolName == "tcp" {
            result.formUnion(port.containerPort...(port.containerPortEnd ?? port.containerPort))
        }
        for item in expose {
            let text = item.split(separator: "/").first.map(String.init) ?? item
            let bounds = text.split(separator: "-").compactMap { Int($0) }
            if let low = bounds.first, let high = bounds.last, low <= high, high - low < 1024 { result.formUnion(low...high) }
        }
        return result
    }

    /// A short name of the image without registry and tag (`nginx`, `python`), for "is this a proxy" guesses.
    public var imageName: String? {
        guard let image else { return nil }
        let withoutDigest = image.split(separator: "@").first.map(String.init) ?? image
        let last = withoutDigest.split(separator: "/").last.map(String.init) ?? withoutDigest
        return last.split(separator: ":").first.map(String.init)
    }
}

/// One `ports:` entry: a container port published on the host.
public struct ComposePort: Hashable, Codable, Sendable {
    /// The container side (`target`).
    public var containerPort: Int
    /// End of a container port range (`8000-8002:8000-8002`).
    public var containerPortEnd: Int?
    /// The host side; `nil` when Compose picks an ephemeral port (`"8000"` alone).
    public var publishedPort: Int?
    public var publishedPortEnd: Int?
    /// The host address (`127.0.0.1`), `nil` for all addresses.
    public var hostIP: String?
    /// `tcp` or `udp`.
    public var protocolName: String
    /// As written (`"127.0.0.1:8080:80"`, `"${APP_PORT:-8000}:8000"`, or `target: 80 published: 8080` for the long syntax).
    public var raw: String
    public var source: SourceLocation
    /// How variables in it were resolved (`"${APP_PORT:-8000}:8000"`); `nil` when written without any.
    public var interpolation: ComposeInterpolation?

    public init(containerPort: Int, containerPortEnd: Int? = nil, publishedPort: Int? = nil, publishedPortEnd: Int? = nil,
                hostIP: String? = nil, protocolName: String = "tcp", raw: String, source: SourceLocation) {
        self.containerPort = containerPort
        self.containerPortEnd = containerPortEnd
        self.publishedPort = publishedPort
        self.publishedPortEnd = publishedPortEnd
        self.hostIP = hostIP
        self.protocolName = protocolName
        self.raw = raw
        self.source = source
    }

    /// `8001:8000`, the mapping after interpolation, for evidence next to `raw`.
    public var resolvedText: String {
        let range = { (low: Int, high: Int?) in high.map { "\(low)-\($0)" } ?? "\(low)" }
        var text = publishedPort.map { range($0, publishedPortEnd) + ":" } ?? ""
        if let hostIP { text = (hostIP.contains(":") ? "[\(hostIP)]" : hostIP) + ":" + (publishedPort == nil ? ":" : "") + text }
        text += range(containerPort, containerPortEnd)
        return protocolName == "tcp" ? text : text + "/" + protocolName
    }

    /// The entry for evidence: as written, and what it resolved to when variables were in it.
    public var evidenceText: String {
        interpolation?.describe(resolved: resolvedText) ?? raw
    }

    /// The container port a published host port leads to, if this entry publishes it.
    public func containerPort(forPublished port: Int) -> Int? {
        guard let published = publishedPort else { return nil }
        let end = publishedPortEnd ?? published
        guard port >= published, port <= end else { return nil }
        return containerPort + (port - published)
    }
}

/// A network a service joins, with the extra names it answers to there.
public struct ComposeServiceNetwork: Hashable, Codable, Sendable {
    public var name: String
    public var aliases: [String]

    public init(name: String, aliases: [String] = []) {
        self.name = name
        self.aliases = aliases
    }
}

/// One `volumes:` entry of a service: a bind mount of a host path or a named volume.
public struct ComposeMount: Hashable, Codable, Sendable {
    /// `bind`, `volume`, `tmpfs`, `npipe`, `image`.
    public var type: String
    /// A named volume's name, or a bind mount's host path (absolute against the project directory); `nil` for an anonymous volume.
    public var source: String?
    /// Where the container sees it.
    public var target: String
    public var readOnly: Bool
    public var location: SourceLocation
    /// How variables in it were resolved (`${SOCKET_DIR}:/run/app`); `nil` when written without any.
    public var interpolation: ComposeInterpolation?

    public init(type: String, source: String?, target: String, readOnly: Bool = false, location: SourceLocation) {
        self.type = type
        self.source = source
        self.target = target
        self.readOnly = readOnly
        self.location = location
    }

    /// The path inside the container where `path` inside the mounted volume or directory shows up,
    /// or, the other way, the path relative to the mount of a container path under `target`.
    public func relativePath(ofContainerPath path: String) -> String? {
        let base = target.hasSuffix("/") ? String(target.dropLast()) : target
        if path == base { return "" }
        guard path.hasPrefix(base + "/") else { return nil }
        return String(path.dropFirst(base.count + 1))
    }
}

/// `healthcheck:` of a service (or the image's, which a compose file cannot show).
public struct ComposeHealthcheck: Hashable, Codable, Sendable {
    /// `test` as written, normalised to a list: `["CMD-SHELL", "curl -f …"]`, `["CMD", "curl", …]`, `["NONE"]`.
    public var test: [String]
    public var intervalSeconds: Double?
    public var timeoutSeconds: Double?
    public var retries: Int?
    public var startPeriodSeconds: Double?
    /// `disable: true` or `test: ["NONE"]`.
    public var disabled: Bool
    public var source: SourceLocation

    public init(test: [String], intervalSeconds: Double? = nil, timeoutSeconds: Double? = nil, retries: Int? = nil,
                startPeriodSeconds: Double? = nil, disabled: Bool = false, source: SourceLocation) {
        self.test = test
        self.intervalSeconds = intervalSeconds
        self.timeoutSeconds = timeoutSeconds
        self.retries = retries
        self.startPeriodSeconds = startPeriodSeconds
        self.disabled = disabled
        self.source = source
    }

    /// The command the test runs, as one line (`curl -f http://localhost:8000/health`).
    public var commandLine: String {
        guard let first = test.first else { return "" }
        if first == "CMD-SHELL" || first == "CMD" { return test.dropFirst().joined(separator: " ") }
        return test.joined(separator: " ")
    }
}

/// One container of a compose project, from `docker ps` and `docker inspect`.
public struct ComposeContainer: Hashable, Codable, Sendable {
    public var id: String
    public var name: String
    /// The `com.docker.compose.service` label.
    public var service: String
    /// `running`, `exited`, `restarting`, `created`, `paused`, `dead`.
    public var state: String
    public var exitCode: Int?
    public var restartCount: Int?
    public var oomKilled: Bool
    /// `healthy`, `unhealthy`, `starting`; `nil` without a healthcheck.
    public var health: String?
    /// The last health probe's output, trimmed (what the test printed when it failed).
    public var lastHealthOutput: String?
    public var startedAt: String?
    public var finishedAt: String?
    public var image: String?
    /// The last lines of `docker logs` (redacted), read only for a container that is down,
    /// restarting or unhealthy.
    public var logTail: [String] = []
    /// Boot failures found in those logs (the same reader as a host app server's log).
    public var bootFailures: [StartupFailure] = []

    public init(id: String, name: String, service: String, state: String, exitCode: Int? = nil, restartCount: Int? = nil,
                oomKilled: Bool = false, health: String? = nil, lastHealthOutput: String? = nil,
                startedAt: String? = nil, finishedAt: String? = nil, image: String? = nil) {
        self.id = id
        self.name = name
        self.service = service
        self.state = state
        self.exitCode = exitCode
        self.restartCount = restartCount
        self.oomKilled = oomKilled
        self.health = health
        self.lastHealthOutput = lastHealthOutput
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.image = image
    }
}
