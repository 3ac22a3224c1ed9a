import DoctorFacts
import DoctorHost

/// The app service a step acts on, named the way its manager knows it: a supervisord
/// program (with the supervisord.conf that controls it) or a systemd unit.
public struct ServiceRef: Hashable, Codable, Sendable, CustomStringConvertible {
    /// `supervisor` or `systemd`.
    public var manager: String
    /// Program (`app`, `web:app_00`) or unit (`app.service`).
    public var name: String
    /// For supervisor: the config `supervisorctl -c` must use to reach the right supervisord.
    public var managerConfig: String?

    public init(manager: String, name: String, managerConfig: String? = nil) {
        self.manager = manager
        self.name = name
        self.managerConfig = managerConfig
    }

    /// The service a manager reports, when gwdoctor can drive that manager.
    public init?(_ service: ManagedService) {
        guard service.manager == "supervisor" || service.manager == "systemd" else { return nil }
        self.init(manager: service.manager, name: service.name, managerConfig: service.managerConfig)
    }

    /// `supervisor program app`, `systemd unit app.service`.
    public var description: String {
        manager == "systemd" ? "systemd unit \(name)" : "\(manager) program \(name)"
    }

    /// The restart budget counts per service and, for supervisor, per supervisord (two
    /// supervisords may both have an `app`).
    public var budgetKey: String {
        if manager == "supervisor", let managerConfig { return "supervisor:\(managerConfig):\(name)" }
        return RestartBudget.key(manager: manager, name: name)
    }

    /// The allow-listed command for `verb`, or `nil` when the name (or the supervisor
    /// config) is not one gwdoctor can pass safely, or the supervisor config is unknown.
    public func command(_ verb: AllowedCommand.ServiceVerb) -> AllowedCommand? {
        switch manager {
        case "systemd": AllowedCommand.systemctl(verb, unit: name)
        case "supervisor": managerConfig.flatMap { AllowedCommand.supervisor(verb, config: $0, program: name) }
        default: nil
        }
    }

    /// The same command as a person would type it (for the plan and manual fallbacks).
    public func commandLine(_ verb: AllowedCommand.ServiceVerb) -> String {
        if let command = command(verb) { return command.argv.joined(separator: " ") }
        return manager == "systemd" ? "systemctl \(verb.rawValue) \(name)" : "supervisorctl \(verb.rawValue) \(name)"
    }

    /// This service in `facts`, if it is still there.
    public func find(in facts: Facts) -> ManagedService? {
        facts.services.first { $0.manager == manager && $0.name == name && $0.managerConfig == managerConfig }
            ?? facts.services.first { $0.manager == manager && $0.name == name }
    }

    /// Whether the manager reports it down: stopped, exited, failed, given up, or between two
    /// failed starts (supervisor `BACKOFF`, systemd `activating (auto-restart)`). `STARTING`
    /// and `reloading` are not down; an unknown state is not down either (nothing is assumed).
    public static func isDown(_ service: ManagedService) -> Bool {
        guard let state = service.state else { return false }
        if state == "activating" { return service.stateDetail == "auto-restart" }
        return !service.isRunning && !["STARTING", "reloading"].contains(state)
    }
}
