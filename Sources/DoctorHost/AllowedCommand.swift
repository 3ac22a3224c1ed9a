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

    /// `nginx -V`: version and compiled-in paths (prefix, conf path, error log path).
    public static func nginxVersion(executable: String?) -> AllowedCommand {
        AllowedCommand(program: .nginx, executable: executable, arguments: ["-V"])
    }
}
