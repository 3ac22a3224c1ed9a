/// How to restart an app service, worded once for every check that asks for a restart:
/// the exact command for the manager that runs it, and one phrasing of the step.
///
/// A plain restart and a restart after the service's own definition changed are different
/// commands: supervisord and systemd keep the definition they loaded, so only the latter
/// needs `supervisorctl reread && update` or `systemctl daemon-reload`. A fix that changes
/// something else (a tmpfiles.d line, a virtualenv, a symlink, the app's code or env file)
/// needs only the restart.
public enum ServiceRestart {
    /// Restart it as it is defined now.
    ///
    /// - supervisor: `supervisorctl restart NAME`
    /// - systemd: `systemctl restart UNIT`
    /// - compose: `docker compose restart SERVICE`
    /// - no manager: stop the master (its workers follow) and start the same command again
    public static func command(manager: String, name: String, pid: Int? = nil, command: [String] = []) -> String {
        switch manager {
        case "systemd": return "systemctl restart \(name)"
        case "supervisor": return "supervisorctl restart \(name)"
        case "compose": return "docker compose restart \(name)"
        case "none":
            let start = command.isEmpty ? "the way it was started" : "with the same command (\(command.joined(separator: " ")))"
            guard let pid else { return "start it again \(start)" }
            return "kill \(pid) (the master; its workers exit with it), then start it again \(start)"
        default: return "restart \(name) with \(manager)"
        }
    }

    /// Restart it after its own definition (program section, unit file, compose file) changed:
    /// the manager has to load the new one first.
    public static func commandAfterDefinitionChange(manager: String, name: String, pid: Int? = nil,
                                                    command: [String] = []) -> String {
        switch manager {
        // `update` restarts a program whose section changed; a group member is updated by its group.
        case "supervisor": return "supervisorctl reread && supervisorctl update \(name.split(separator: ":").first.map(String.init) ?? name)"
        case "systemd": return "systemctl daemon-reload && systemctl restart \(name)"
        case "compose": return "docker compose up -d \(name)"
        default: return self.command(manager: manager, name: name, pid: pid, command: command)
        }
    }

    /// What a fix changed, which decides the restart command.
    public enum Change: Sendable {
        /// The program section, unit file or compose service itself: the manager reloads it first.
        case definition
        /// Something outside it (a tmpfiles.d line, a virtualenv, the app's code, an env file):
        /// a plain restart; `supervisorctl update` would not even restart an unchanged program.
        case outside
        /// Either, depending on which of the fix's alternatives is taken: both commands are given.
        case either
    }

    /// The fix step every check uses: `Then restart only the app: COMMAND; probe it directly
    /// before the proxy` (`Restart only the app …` when it is the first step; `why` says
    /// what the restart achieves: `so it starts in release 3`).
    public static func step(_ restart: String, first: Bool = false, why: String? = nil) -> String {
        "\(first ? "Restart" : "Then restart") only the app\(why.map { " " + $0 } ?? ""): \(restart); probe it directly before the proxy"
    }

    /// The step for `service` after a fix that changed `change`.
    public static func step(for service: ManagedService, after change: Change, first: Bool = false) -> String {
        let plain = service.restartCommand
        let reloaded = service.restartAfterDefinitionChange
        switch change {
        case .definition: return step(reloaded, first: first)
        case .outside: return step(plain, first: first)
        case .either:
            guard plain != reloaded else { return step(plain, first: first) }
            let definition = service.manager == "systemd" ? "unit" : service.manager == "supervisor" ? "program section" : "service definition"
            return step("\(plain) (after editing its \(definition): \(reloaded))", first: first)
        }
    }
}

extension ManagedService {
    /// `supervisorctl restart NAME`, `systemctl restart UNIT`, or the kill and start of a bare server.
    public var restartCommand: String {
        let restart = ServiceRestart.command(manager: manager, name: name, pid: isRunning ? pid : nil, command: command)
        // A unit that hit its start limit refuses to start until the counter is reset.
        if manager == "systemd", result == "start-limit-hit" { return "systemctl reset-failed \(name) && \(restart)" }
        return restart
    }

    /// The restart after its program section or unit file changed.
    public var restartAfterDefinitionChange: String {
        let restart = ServiceRestart.commandAfterDefinitionChange(manager: manager, name: name, pid: isRunning ? pid : nil,
                                                                  command: command)
        if manager == "systemd", result == "start-limit-hit" { return "systemctl reset-failed \(name) && \(restart)" }
        return restart
    }
}
