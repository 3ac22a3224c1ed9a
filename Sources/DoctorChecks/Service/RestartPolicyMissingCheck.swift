import DoctorFacts

/// `restart-policy-missing`: the manager will not restart the app server after it crashes:
/// systemd without `Restart=` (its default is `no`) or with `Restart=no`; supervisord with
/// `autorestart=false`. It never explains why the app died (that is `app-startup-crash`,
/// `oom-killed`, …), only why it stayed down, so it is always a warning and never the
/// verdict's cause. supervisor's default `unexpected` restarts crashes and is not reported.
public struct RestartPolicyMissingCheck: Check {
    public init() {}

    public let id = "restart-policy-missing"
    public let title = "The service is not restarted when it crashes"
    public let layer = Layer.upstream
    public let rationale = """
        An app server dies now and then (OOM kill, a bug, a database blip at boot). With Restart=no \
        (systemd's default when Restart= is absent) or supervisor autorestart=false it stays down \
        until a person notices the 502s. Reported as a warning on healthy services too, since that is \
        when it is cheap to fix.
        """
    public let fixText = """
        systemd: Restart=on-failure with RestartSec=2s in [Service] (systemctl edit UNIT). supervisord: \
        autorestart=true (or leave the default, unexpected) in the program section.
        """
    public let precedence = 90

    public func run(_ facts: Facts) -> [Finding] {
        facts.services.compactMap { service in
            guard let definition = service.definition else { return nil }
            let restart = definition.restart
            let name = ServiceFindings.name(service)
            let summary: String
            let fix: String
            let config: Evidence
            switch service.manager {
            case "systemd":
                guard restart == nil || restart?.value == "no" else { return nil }
                summary = "\(name) is not restarted when it exits (Restart=\(restart?.value ?? "no, the default"))"
                fix = "Add Restart=on-failure and RestartSec=2s to the [Service] section"
                    + (restart?.location.map { " (replace Restart=no at \($0))" } ?? " of \(service.source ?? service.name) (systemctl edit \(service.name))")
                config = Evidence(kind: .config, text: restart.map { "Restart=\($0.value)" } ?? "no Restart= in the unit or its drop-ins",
                                  source: restart?.location ?? service.source)
            case "supervisor":
                guard restart?.value == "false" else { return nil }
                summary = "\(name) is not restarted when it exits (autorestart=false)"
                fix = "Set autorestart=true at \(restart?.location ?? service.source ?? "its program section") (or remove the line: the default, unexpected, restarts crashes)"
                config = Evidence(kind: .config, text: "autorestart=false", source: restart?.location ?? service.source)
            default:
                return nil
            }
            let down = ServiceFindings.isDown(service) ? "; it is \(service.state ?? "down") now and stays so until someone restarts it" : ""
            return ServiceFindings.finding(self, service, facts: facts, summary: summary + down, evidence: [config], fix: [fix],
                                           changes: .definition, severity: .warning)
        }
    }
}
