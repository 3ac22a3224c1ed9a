import DoctorParsers

/// A command gwdoctor may run. The set is closed on purpose: nothing taken from an
/// inspected configuration is ever executed, only these programs with arguments
/// that gwdoctor builds itself.
public struct AllowedCommand: Hashable, Sendable {
    /// The programs gwdoctor knows how to run.
    public enum Program: String, Hashable, Sendable, CaseIterable {
        case nginx
        case caddy
        case systemctl
        case journalctl
        case supervisorctl
        case docker
        case dmesg
        /// A Django app's own interpreter running its `manage.py` (only `djangoAppliedMigrations`).
        case python
    }

    public var program: Program
    /// Absolute path of the binary (e.g. the running master's `/proc/PID/exe`), or `nil` to look it up on PATH.
    public var executable: String?
    public var arguments: [String]
    /// Variables for the child, replacing gwdoctor's own environment (an app command runs with
    /// its service's); values never appear in `argv` or in a printed description.
    public var environment = CommandEnvironment()
    /// The child's working directory; gwdoctor's own when `nil`.
    public var workingDirectory: String?

    private init(program: Program, executable: String?, arguments: [String]) {
        self.program = program
        self.executable = executable
        self.arguments = arguments
    }

    /// The argv a person would type, used as the key for recorded outputs.
    public var argv: [String] { [executable ?? program.rawValue] + arguments }

    /// `nginx -t` against the same prefix, config and globals as the running master.
    public static func nginxConfigTest(executable: String?, prefix: String?, config: String, globals: String?, errorLog: String?) -> AllowedCommand {
        var arguments = ["-t", "-q"]
        if let prefix { arguments += ["-p", prefix] }
        if let errorLog { arguments += ["-e", errorLog] }
        arguments += ["-c", config]
        if let globals { arguments += ["-g", globals] }
        return AllowedCommand(program: .nginx, executable: executable, arguments: arguments)
    }

    /// `supervisorctl -c CONFIG status`: every program's state, from the supervisord that config names.
    public static func supervisorStatus(config: String) -> AllowedCommand {
        AllowedCommand(program: .supervisorctl, executable: nil, arguments: ["-c", config, "status"])
    }

    /// The `systemctl show` properties the systemd gatherer reads, in the order it asks for them.
    public static let systemdStateProperties = ["ActiveState", "SubState", "Result", "NRestarts", "ExecMainStatus",
                                                "ExecMainCode", "MainPID", "ActiveEnterTimestamp", "InactiveEnterTimestamp",
                                                "LoadState", "FragmentPath", "DropInPaths"]

    /// `systemctl show -p … UNIT…`: the state of every unit in one call (one block per unit, in argument order).
    public static func systemctlShow(units: [String]) -> AllowedCommand {
        AllowedCommand(program: .systemctl, executable: nil,
                       arguments: ["show", "-p", systemdStateProperties.joined(separator: ",")] + units)
    }

    /// `journalctl -u UNIT -o json --since @EPOCH --lines=N --no-pager`: the unit's journal in the window,
    /// newest `lines` entries at most (a crash loop writes tens of entries per start).
    public static func journal(unit: String, sinceEpoch: Int, lines: Int = 1000) -> AllowedCommand {
        AllowedCommand(program: .journalctl, executable: nil,
                       arguments: ["-u", unit, "-o", "json", "--since", "@\(sinceEpoch)", "--lines=\(lines)", "--no-pager"])
    }

    /// `dmesg --time-format=iso`: the kernel ring buffer with absolute times, where the OOM killer
    /// writes `Out of memory: Killed process N (gunicorn)`. Works without systemd; refused when
    /// `kernel.dmesg_restrict` forbids it to the user running gwdoctor.
    public static let kernelLog = AllowedCommand(program: .dmesg, executable: nil, arguments: ["--time-format=iso"])

    /// `caddy validate --config F --adapter A`: Caddy's own config test (it adapts and provisions
    /// the config without starting servers). It opens the log files the config names, creating
    /// missing ones, so the gatherer runs it only when they all exist.
    /// JSON is Caddy's native format, not an adapter: Caddy 2.6 refuses `--adapter json`
    /// (`unrecognized config adapter: json`), so a JSON config is passed without one.
    public static func caddyValidate(executable: String?, config: String, adapter: String) -> AllowedCommand {
        AllowedCommand(program: .caddy, executable: executable, arguments: ["validate", "--config", config] + adapterArguments(adapter))
    }

    static func adapterArguments(_ adapter: String) -> [String] {
        adapter == "json" ? [] : ["--adapter", adapter]
    }

    /// `caddy adapt --config F --adapter A`: the config as the JSON Caddy runs, printed and nothing
    /// else (no module is provisioned, no file opened but the config's own).
    public static func caddyAdapt(executable: String?, config: String, adapter: String) -> AllowedCommand {
        AllowedCommand(program: .caddy, executable: executable, arguments: ["adapt", "--config", config] + adapterArguments(adapter))
    }

    /// `nginx -V`: version and compiled-in paths (prefix, conf path, error log path).
    public static func nginxVersion(executable: String?) -> AllowedCommand {
        AllowedCommand(program: .nginx, executable: executable, arguments: ["-V"])
    }

    /// `INTERPRETER MANAGE_PY shell -c READER` in `workingDirectory` with the service's
    /// `environment` (plus `PYTHONDONTWRITEBYTECODE=1`, so nothing is written into the release):
    /// the rollback's schema guard reading `django_migrations` through the app's own settings
    /// and connection. `READER` is gwdoctor's fixed `MigrationRecorderOutput.readerScript`
    /// (read-only, prints labels and names); only the paths come from facts, and they must be
    /// plain absolute paths. `nil` otherwise.
    public static func djangoAppliedMigrations(interpreter: String, manage: String, workingDirectory: String,
                                               environment: CommandEnvironment) -> AllowedCommand? {
        guard [interpreter, manage, workingDirectory].allSatisfy({ $0.hasPrefix("/") && !$0.contains("\n") && !$0.utf8.contains(0) }),
              manage.hasSuffix("/manage.py") else { return nil }
        var command = AllowedCommand(program: .python, executable: interpreter,
                                     arguments: [manage, "shell", "-c", MigrationRecorderOutput.readerScript])
        var values = environment
        values.merge(CommandEnvironment(["PYTHONDONTWRITEBYTECODE": "1"]))
        command.environment = values
        command.workingDirectory = workingDirectory
        return command
    }

    /// `docker ps -aq --no-trunc --filter label=com.docker.compose.project`: the ids of every
    /// compose container, running or not (an exited or restarting one is what a 502 needs).
    public static let dockerComposeContainers = AllowedCommand(
        program: .docker, executable: nil,
        arguments: ["ps", "-aq", "--no-trunc", "--filter", "label=com.docker.compose.project"])

    /// `docker inspect ID…`: state, exit code, restart count, OOMKilled, health and the compose
    /// labels of those containers, or `nil` when an id is not a plain hex id (ids come from
    /// `docker ps`, so they are data: validated, never passed as options).
    public static func dockerInspect(ids: [String]) -> AllowedCommand? {
        guard !ids.isEmpty, ids.allSatisfy({ !$0.isEmpty && $0.count <= 64 && $0.allSatisfy(\.isHexDigit) }) else { return nil }
        return AllowedCommand(program: .docker, executable: nil, arguments: ["inspect"] + ids)
    }

    /// `docker logs --tail N ID`: the last lines a container wrote (the app server's boot
    /// traceback), or `nil` for an id that is not a plain hex id.
    public static func dockerLogs(id: String, tail: Int = 200) -> AllowedCommand? {
        guard !id.isEmpty, id.count <= 64, id.allSatisfy(\.isHexDigit) else { return nil }
        return AllowedCommand(program: .docker, executable: nil, arguments: ["logs", "--tail", String(max(1, tail)), id])
    }

    // MARK: Commands that change the machine (only through `HostActions.perform`)

    /// What a mutating service command does to its service.
    public enum ServiceVerb: String, Hashable, Sendable, CaseIterable {
        case start
        case restart
    }

    /// `systemctl start|restart UNIT`, or `nil` when `unit` is not a plain unit name. The name
    /// comes from facts (a unit file's name, a cgroup), so it is data: validated, passed as
    /// one argument after `--`, never through a shell.
    public static func systemctl(_ verb: ServiceVerb, unit: String) -> AllowedCommand? {
        guard isSystemdUnitName(unit) else { return nil }
        return AllowedCommand(program: .systemctl, executable: nil, arguments: [verb.rawValue, "--", unit])
    }

    /// `supervisorctl -c CONFIG start|restart PROGRAM`, or `nil` when `config` is not an
    /// absolute path or `program` not a plain supervisor name (`app`, `web:app_00`).
    public static func supervisor(_ verb: ServiceVerb, config: String, program: String) -> AllowedCommand? {
        guard isAbsolutePath(config), isSupervisorName(program) else { return nil }
        return AllowedCommand(program: .supervisorctl, executable: nil, arguments: ["-c", config, verb.rawValue, program])
    }

    /// `caddy reload --config F --adapter A --address ADDRESS` (no `--adapter` for JSON): the running Caddy whose admin
    /// endpoint is ADDRESS loads the file (it rolls back itself when the new config fails to
    /// load), or `nil` when a path or the address is not plain. Only `CaddyReloadAccess`
    /// builds it, after tying the address to the Caddy pid being reloaded.
    public static func caddyReload(executable: String?, config: String, adapter: String, address: String) -> AllowedCommand? {
        guard isAbsolutePath(config), executable.map(isAbsolutePath) ?? true, !adapter.hasPrefix("-"), !address.hasPrefix("-"),
              !address.isEmpty, !address.contains(where: \.isWhitespace) else { return nil }
        return AllowedCommand(program: .caddy, executable: executable,
                              arguments: ["reload", "--config", config] + adapterArguments(adapter) + ["--address", address])
    }

    /// Whether running this command changes the machine (starts or restarts a service).
    /// `LiveHost.run` refuses these; only `HostActions.perform` runs them.
    public var changesHost: Bool {
        switch program {
        case .systemctl, .supervisorctl:
            arguments.contains { ServiceVerb(rawValue: $0) != nil || ["stop", "reload", "kill", "update", "reread"].contains($0) }
        case .nginx:
            arguments.contains("-s")
        case .caddy:
            arguments.first == "reload" || arguments.first == "stop"
        case .docker, .journalctl, .dmesg, .python:
            false
        }
    }

    /// systemd unit names: `[A-Za-z0-9:_.\\@-]`, a type suffix, at most 255 bytes, never an option.
    static func isSystemdUnitName(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 255, !name.hasPrefix("-"), name.contains(".") else { return false }
        return name.unicodeScalars.allSatisfy { $0.isASCIIAlphanumeric || ":_.\\@-".unicodeScalars.contains($0) }
    }

    /// supervisor process names (`app`, `group:app_00`): letters, digits, `_ . : -`, never an option.
    static func isSupervisorName(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 255, !name.hasPrefix("-") else { return false }
        return name.unicodeScalars.allSatisfy { $0.isASCIIAlphanumeric || "_.:-".unicodeScalars.contains($0) }
    }

    static func isAbsolutePath(_ path: String) -> Bool {
        path.hasPrefix("/") && !path.utf8.contains(0) && !path.contains("\n")
    }
}

extension Unicode.Scalar {
    fileprivate var isASCIIAlphanumeric: Bool {
        ("a"..."z").contains(self) || ("A"..."Z").contains(self) || ("0"..."9").contains(self)
    }
}
