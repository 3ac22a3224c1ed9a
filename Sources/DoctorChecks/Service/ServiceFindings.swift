import DoctorFacts

/// What the static service checks share: how bad a definition problem is right now, which
/// route it concerns, and how to name the service and its manager's commands.
///
/// Severity rule for every check in this folder: critical when the service is down now and
/// a route diagnosed here points at it (the problem explains the 502); a warning otherwise
/// (it runs now, or its state is unknown, or no route points at it): the problem bites at
/// the next start, restart or reboot.
enum ServiceFindings {
    /// What the proxy sees of an app service that is down: nothing listens, the socket is
    /// gone or stale, every server of the group fails (`crash-loop` explains these).
    static let downSymptoms: Set<String> = ["target-not-listening", "socket-missing", "socket-stale", "upstream-group-down"]

    /// Findings that a service that cannot start (or is killed: `app-startup-crash`,
    /// `oom-killed`) explains. `crash-loop` too: a binary or directory that is not there is
    /// why the manager keeps restarting it.
    static let explainedChecks: Set<String> = downSymptoms.union(["crash-loop"])

    /// The first route whose target is one of the service's binds.
    static func route(for service: ManagedService, in facts: Facts) -> Route? {
        facts.routes.first { route in
            route.target.endpoints.contains { target in service.binds.contains { $0.endpoint == target } }
        }
    }

    /// The manager says the service is not up (a state it reported, other than running/starting).
    /// systemd's `activating (auto-restart)` is the pause between two failed starts: down.
    static func isDown(_ service: ManagedService) -> Bool {
        guard let state = service.state else { return false }
        if state == "activating" { return service.stateDetail == "auto-restart" }
        return !service.isRunning && !["STARTING", "reloading"].contains(state)
    }

    static func severity(_ service: ManagedService, facts: Facts) -> Severity {
        isDown(service) && route(for: service, in: facts) != nil ? .critical : .warning
    }

    /// `supervisor program app`, `systemd unit app.service`.
    static func name(_ service: ManagedService) -> String {
        service.manager == "systemd" ? "systemd unit \(service.name)" : "\(service.manager) program \(service.name)"
    }

    /// What happens when the problem bites, by state.
    static func when(_ service: ManagedService) -> String {
        if isDown(service) { return "it is \(service.state ?? "down") now" }
        if service.isRunning { return "it runs now, but the next start will fail" }
        return "its next start will fail"
    }

    static func stateEvidence(_ service: ManagedService) -> Evidence? {
        guard service.state != nil else { return nil }
        return Evidence(kind: .service, text: "\(service.manager) \(service.name): \(service.stateText)", source: service.statusCommand)
    }

    /// The setting's name in this manager's config (`command=` / `ExecStart=`).
    static func setting(_ service: ManagedService, systemd: String, supervisor: String) -> String {
        service.manager == "systemd" ? systemd : supervisor
    }

    /// A finding for `service` with the shared severity, route and state evidence, and the
    /// restart step for what its fix changes (`ServiceRestart`).
    static func finding(_ check: any Check, _ service: ManagedService, facts: Facts, summary: String,
                        evidence: [Evidence], fix: [String], changes: ServiceRestart.Change,
                        severity: Severity? = nil) -> Finding {
        let route = route(for: service, in: facts)
        var evidence = evidence
        if let state = stateEvidence(service) { evidence.append(state) }
        var fix = fix
        fix.append(ServiceRestart.step(for: service, after: changes))
        return Finding(check: check.id, layer: check.layer, severity: severity ?? self.severity(service, facts: facts),
                       summary: summary, route: route?.label, evidence: evidence, fix: fix)
    }
}

extension ManagedService {
    /// `RUNNING (pid 28367, uptime 0:00:04)`, `activating (auto-restart)`, `STARTING`: the
    /// manager's state as it prints it; no `()` for supervisord's empty detail, no `failed (failed)`
    /// when systemd's sub-state repeats the state.
    var stateText: String {
        let detail = stateDetail.flatMap { $0.isEmpty || $0 == state ? nil : " (\($0))" } ?? ""
        return (state ?? "state unknown") + detail
    }

    /// The command that shows this service's state: `systemctl status app.service`,
    /// `supervisorctl status app`, or `ps` for a process no manager runs.
    var statusCommand: String {
        switch manager {
        case "systemd": "systemctl status \(name)"
        case "supervisor": "supervisorctl status \(name)"
        default: pid.map { "ps -o pid,etime,args -p \($0)" } ?? source ?? "ps -eo pid,etime,args"
        }
    }
}
