/// How a service manager is told to start an app server (a systemd unit with its drop-ins,
/// a supervisord program), resolved against the host by the gatherer so static checks can
/// tell what would fail on the next start — before an outage as much as during one.
///
/// Every path is stat'ed by the gatherer (`kind`); checks never touch the host.
public struct ServiceDefinition: Hashable, Codable, Sendable {
    /// The binary the service runs (`ExecStart=`'s first word, supervisor `command=`'s first word).
    public var executable: ServicePath?
    /// `WorkingDirectory=` / supervisor `directory=`.
    public var workingDirectory: ServicePath?
    /// `EnvironmentFile=` entries, in order.
    public var environmentFiles: [ServiceEnvironmentFile]
    /// Variables set inline (`Environment=`, supervisor `environment=`): names only.
    public var environment: [ServiceEnvironmentVariable]
    /// `User=` / supervisor `user=`; `nil` when not set (runs as root, or the manager's user).
    public var user: ServiceAccount?
    /// `Group=`; `nil` when not set.
    public var group: ServiceAccount?
    /// `RuntimeDirectory=` names, as absolute paths under /run.
    public var runtimeDirectories: [String]
    /// Directories something else creates at boot for the service (tmpfiles.d `d`/`D` lines,
    /// a `.socket` unit's `ListenStream=` parent), with where that is said.
    public var bootCreatedDirectories: [ServiceSetting]
    /// `Restart=` / supervisor `autorestart=`; `nil` when the manager's default applies.
    public var restart: ServiceSetting?
    /// `DJANGO_SETTINGS_MODULE` (not a secret, so its value is kept) and what it resolves to.
    public var settingsModule: SettingsModuleReference?
    /// The interpreter of `executable`'s `#!` line (a virtualenv's `bin/python`), when it is a script:
    /// a moved or rebuilt virtualenv leaves `bin/gunicorn` in place with a dangling interpreter.
    public var interpreter: ServicePath?
    /// The directories holding the unix sockets the service binds, stat'ed now.
    public var socketDirectories: [ServicePath] = []
    /// Why the app looks like Django (`DJANGO_SETTINGS_MODULE set at …`, `manage.py in /srv/app`,
    /// `mysite/wsgi.py imports django`); empty when nothing says so.
    public var djangoMarkers: [String] = []
    /// How the settings module sets `SECRET_KEY`, when its file (or a module it star-imports) was read.
    public var secretKeySetting: SecretKeySetting?

    public init(executable: ServicePath? = nil, workingDirectory: ServicePath? = nil,
                environmentFiles: [ServiceEnvironmentFile] = [], environment: [ServiceEnvironmentVariable] = [],
                user: ServiceAccount? = nil, group: ServiceAccount? = nil, runtimeDirectories: [String] = [],
                bootCreatedDirectories: [ServiceSetting] = [], restart: ServiceSetting? = nil,
                settingsModule: SettingsModuleReference? = nil) {
        self.executable = executable
        self.workingDirectory = workingDirectory
        self.environmentFiles = environmentFiles
        self.environment = environment
        self.user = user
        self.group = group
        self.runtimeDirectories = runtimeDirectories
        self.bootCreatedDirectories = bootCreatedDirectories
        self.restart = restart
        self.settingsModule = settingsModule
        self.interpreter = nil
        self.secretKeySetting = nil
    }

    /// Every variable name the service gets: inline ones, then env files' keys.
    public var environmentNames: Set<String> {
        Set(environment.map(\.name) + environmentFiles.flatMap { ($0.keys ?? []).map(\.name) })
    }
}

/// A path a service setting names, with what the gatherer found there.
public struct ServicePath: Hashable, Codable, Sendable {
    public var path: String
    /// What is at `path` (followed like the manager follows it).
    public var kind: FileKind
    /// `-` prefix (systemd): a missing path is not an error.
    public var optional: Bool
    /// `file:line` of the setting.
    public var location: String?

    public init(path: String, kind: FileKind, optional: Bool = false, location: String? = nil) {
        self.path = path
        self.kind = kind
        self.optional = optional
        self.location = location
    }
}

/// One `EnvironmentFile=` (or a dotenv file the app reads), with its keys — never values.
public struct ServiceEnvironmentFile: Hashable, Codable, Sendable {
    public var file: ServicePath
    /// The keys set in it; `nil` when it could not be read (see `unreadableReason`).
    public var keys: [ServiceEnvironmentVariable]?
    public var unreadableReason: String?

    public init(file: ServicePath, keys: [ServiceEnvironmentVariable]?, unreadableReason: String? = nil) {
        self.file = file
        self.keys = keys
        self.unreadableReason = unreadableReason
    }
}

/// A variable a service gets. The value is never kept: only whether it is empty.
public struct ServiceEnvironmentVariable: Hashable, Codable, Sendable {
    public var name: String
    public var isEmpty: Bool
    /// `file:line` where it is set.
    public var location: String

    public init(name: String, isEmpty: Bool, location: String) {
        self.name = name
        self.isEmpty = isEmpty
        self.location = location
    }
}

/// `User=`/`Group=`: the name and whether the account database knows it.
public struct ServiceAccount: Hashable, Codable, Sendable {
    public var name: String
    /// `nil` when /etc/passwd or /etc/group could not be read.
    public var exists: Bool?
    public var location: String?

    public init(name: String, exists: Bool?, location: String? = nil) {
        self.name = name
        self.exists = exists
        self.location = location
    }
}

/// A setting's value as written, with where.
public struct ServiceSetting: Hashable, Codable, Sendable {
    public var value: String
    public var location: String?

    public init(value: String, location: String? = nil) {
        self.value = value
        self.location = location
    }
}

/// `DJANGO_SETTINGS_MODULE=mysite.settings.prod` and the module files it could be.
public struct SettingsModuleReference: Hashable, Codable, Sendable {
    public var module: String
    /// Where it is set (`file:line`).
    public var location: String
    /// The directory modules are imported from (the working directory, or the `--chdir`).
    public var searchDirectory: String?
    /// `mysite/settings/prod.py` or `mysite/settings/prod/__init__.py` when one exists;
    /// `nil` when neither does (or `searchDirectory` is unknown).
    public var foundFile: String?
    /// `false` when it was looked for and not found; `nil` when it could not be looked for.
    public var exists: Bool?

    public init(module: String, location: String, searchDirectory: String?, foundFile: String?, exists: Bool?) {
        self.module = module
        self.location = location
        self.searchDirectory = searchDirectory
        self.foundFile = foundFile
        self.exists = exists
    }
}

/// Where a Django settings module takes `SECRET_KEY` from (the value itself is never kept).
public struct SecretKeySetting: Hashable, Codable, Sendable {
    /// How the settings file sets `SECRET_KEY`; raw values are part of the JSON output.
    public enum Source: String, Hashable, Codable, Sendable {
        /// Read from the environment (`os.environ[...]`, `os.getenv`, `env(...)`, `config(...)`).
        case environment
        /// A string literal in the settings file: the environment does not matter.
        case literal
        /// Something else (a file read, a function call): not decidable statically.
        case other
    }

    public var source: Source
    /// The variable read, when `source` is `.environment` and the line names it.
    public var variable: String?
    /// `file:line` of the assignment.
    public var location: String

    public init(source: Source, variable: String? = nil, location: String) {
        self.source = source
        self.variable = variable
        self.location = location
    }
}
