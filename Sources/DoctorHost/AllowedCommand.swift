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
    }

    public var program: Program
    /// Absolute path of the binary (e.g. the running master's `/proc/PID/exe`), or `nil` to look it up on PATH.
    public var executable: String?
    public var arguments: [String]

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

    /// `nginx -V`: version and compiled-in paths (prefix, conf path, error log path).
    public static func nginxVersion(executable: String?) -> AllowedCommand {
        AllowedCommand(program: .nginx, executable: executable, arguments: ["-V"])
    }
}
