import DoctorFacts
import DoctorParsers

/// How a service manager is told to start an app server, before anything is looked up on
/// the host: what a systemd unit (with its drop-ins) or a supervisord program section says,
/// in a manager-neutral shape. `ServiceDefinitionResolver` turns it into a `ServiceDefinition`.
///
/// Every `location` is the `file:line` of the setting, so a check's fix can name it.
public struct ServiceSpec: Sendable {
    /// A path a setting names.
    public struct Path: Hashable, Sendable {
        public var path: String
        /// systemd's `-` prefix: a missing path is not an error.
        public var optional: Bool
        public var location: String?

        public init(_ path: String, optional: Bool = false, location: String? = nil) {
            self.path = path
            self.optional = optional
            self.location = location
        }
    }

    /// `systemd` or `supervisor` (names as `ManagedService.manager`).
    public var manager: String
    /// The argv the manager runs: `ExecStart=`'s command, supervisor `command=` split with shlex.
    /// Its first word is the executable; app-server options (`--chdir`, `--pythonpath`,
    /// uvicorn `--app-dir`, gunicorn `-e NAME=VALUE`) are read from the rest.
    public var command: [String]
    /// Where the command is set.
    public var commandLocation: String?
    /// `WorkingDirectory=` / supervisor `directory=`. A relative executable resolves against it.
    public var workingDirectory: Path?
    /// `EnvironmentFile=` entries, in order (later ones override earlier ones).
    public var environmentFiles: [Path]
    /// How those files are read: `.systemd` for `EnvironmentFile=`.
    public var environmentFileDialect: EnvFileDialect
    /// Variables set inline (`Environment=`, supervisor `environment=`): names and emptiness only.
    public var environment: [ServiceEnvironmentVariable]
    /// `DJANGO_SETTINGS_MODULE`'s value when set inline (it is not a secret); the resolver also
    /// finds it in the environment files and in gunicorn's `-e`, which override it.
    public var settingsModule: ServiceSetting?
    /// `User=` / supervisor `user=`.
    public var user: ServiceSetting?
    /// `Group=`.
    public var group: ServiceSetting?
    /// systemd `DynamicUser=yes`: the user and group are allocated at start, so their absence
    /// from /etc/passwd and /etc/group is not a fault.
    public var dynamicUser: Bool = false
    /// `RuntimeDirectory=` names as written (`app`, `app/sub`): systemd creates `/run/NAME` on every start.
    public var runtimeDirectories: [String]
    /// Directories something the manager knows creates at boot (a `.socket` unit's `ListenStream=`
    /// parent, an `ExecStartPre=mkdir -p`), with where that is said. The resolver adds tmpfiles.d lines.
    public var bootCreatedDirectories: [ServiceSetting]
    /// `Restart=` / supervisor `autorestart=` (normalised `true`/`false`/`unexpected`); `nil` when unset.
    public var restart: ServiceSetting?
    /// Commands run before the app on every start (systemd `ExecStartPre=`), with where each is
    /// written: a `mkdir -p DIR` / `install -d DIR` there recreates DIR at boot too.
    public var preStartCommands: [(argv: [String], location: String?)] = []
    /// Unix socket paths the app server binds (from `ManagedService.binds`): their directories
    /// are stat'ed and matched against `runtimeDirectories`, tmpfiles.d and `bootCreatedDirectories`.
    public var unixSockets: [String]

    public init(manager: String, command: [String], commandLocation: String? = nil, workingDirectory: Path? = nil,
                environmentFiles: [Path] = [], environmentFileDialect: EnvFileDialect = .systemd,
                environment: [ServiceEnvironmentVariable] = [], settingsModule: ServiceSetting? = nil,
                user: ServiceSetting? = nil, group: ServiceSetting? = nil, runtimeDirectories: [String] = [],
                bootCreatedDirectories: [ServiceSetting] = [], restart: ServiceSetting? = nil, unixSockets: [String] = []) {
        self.manager = manager
        self.command = command
        self.commandLocation = commandLocation
        self.workingDirectory = workingDirectory
        self.environmentFiles = environmentFiles
        self.environmentFileDialect = environmentFileDialect
        self.environment = environment
        self.settingsModule = settingsModule
        self.user = user
        self.group = group
        self.runtimeDirectories = runtimeDirectories
        self.bootCreatedDirectories = bootCreatedDirectories
        self.restart = restart
        self.unixSockets = unixSockets
    }
}
