import DoctorFacts

/// `crash-loop`: the service manager keeps restarting the app server, or has given up:
/// systemd `Result=start-limit-hit`, a failed unit with `NRestarts` at 3 or more, a unit in
/// `activating (auto-restart)`; supervisord `BACKOFF` (exited before `startsecs`, retrying) or
/// `FATAL` (gave up after `startretries`).
///
/// It differs from `target-not-listening` (nothing listens, for whatever reason) by the
/// manager's own counters, and from `app-startup-crash` (why each start fails, read from the
/// app's log) by being the pattern rather than the cause: when the log names the cause,
/// `app-startup-crash` (or `oom-killed`) explains this finding and becomes the verdict.
public struct CrashLoopCheck: Check {
    public init() {}

    public let id = "crash-loop"
    public let title = "The app server is crash-looping or its manager gave up restarting it"
    public let layer = Layer.upstream
    public let rationale = """
        A unit with Restart= or a supervisord program with autorestart dies, is started again, dies again, \
        until systemd's start limit (StartLimitBurst= starts in StartLimitIntervalSec=) or supervisord's \
        startretries stops it: systemctl shows failed with Result=start-limit-hit or a restart count, \
        supervisorctl shows BACKOFF then FATAL. Between restarts nothing listens and nginx answers 502; \
        after the limit it stays down. Restarting it again without fixing the cause only repeats the loop.
        """
    public let fixText = """
        Read why each start fails (journalctl -u UNIT, the program's stderr log: app-startup-crash and \
        oom-killed name it when the log says), fix that, then clear the limit and start once: \
        systemctl reset-failed UNIT && systemctl start UNIT, or supervisorctl start NAME.
        """
    /// Before `target-not-listening` (50) on the same layer: the loop is why nothing listens.
    public let precedence = 45
    public var explains: Set<String> { ServiceFindings.downSymptoms }

    /// Restarts from which a unit that is down counts as looping (systemd's default
    /// StartLimitBurst is 5; anything that failed three times in a row is no accident).
    static let restartThreshold = 3

    public func run(_ facts: Facts) -> [Finding] {
        facts.services.compactMap { service in
            guard let loop = loop(service) else { return nil }
            let route = ServiceFindings.route(for: service, in: facts)
            var evidence = [Evidence(kind: .service, text: loop.stateLine, source: stateCommand(service))]
            if let failure = service.startupFailures.last {
                evidence.append(Evidence(kind: .log, text: failure.decisiveLine, source: failure.source))
            }
            if let kill = service.kills.last(where: { $0.reason == .outOfMemory }) {
                evidence.append(Evidence(kind: .log, text: kill.line, source: kill.source))
            }
            var summary = "\(service.manager) \(service.name) \(loop.what)"
            if let failure = service.startupFailures.last {
                summary += "; each start fails: \(failure.cause.rawValue)" + (failure.detail.map { " (\($0))" } ?? "")
            }
            let daemonizes = service.manager == "systemd" && service.command.contains { $0 == "--daemon" || $0 == "-D" }
            if daemonizes {
                // The classic: the main process forks the server away and exits 0, systemd sees the
                // service end, kills what is left in its cgroup, and restarts it until the limit.
                summary += "; its command daemonizes (--daemon), so systemd sees every start end at once"
            }
            if route == nil, !facts.routes.isEmpty { summary += " (no route diagnosed here points at it)" }
            // A loop of a service no diagnosed route points at is real, but not this proxy's 502.
            let severity: Severity = route != nil ? .critical : .warning
            return Finding(check: id, layer: layer, severity: severity, summary: summary, route: route?.label,
                           evidence: evidence, fix: (daemonizes ? ["Remove --daemon from ExecStart= (systemd keeps the server in the foreground; with Type=simple a forking server looks like an exit)"] : []) + fix(service),
                           cause: service.startupFailures.last?.cause.rawValue ?? (daemonizes ? "daemonizes" : nil))
        }
    }

    /// What makes this service a loop, in words, and the manager's state line; `nil` when it is not one.
    func loop(_ service: ManagedService) -> (what: String, stateLine: String)? {
        switch service.manager {
        case "systemd":
            guard !service.isRunning else { return nil }
            let restarts = service.restarts ?? 0
            var what: String
            if service.result == "start-limit-hit" {
                what = "hit systemd's start limit after \(ResponseWording.counted(restarts, "restart")) and stays down"
            } else if service.stateDetail == "auto-restart" {
                what = "is crash-looping: systemd restarts it after each failure (\(ResponseWording.counted(restarts, "restart")) so far)"
            } else if service.state == "failed", restarts >= Self.restartThreshold {
                what = "failed again after \(restarts) restarts; systemd stopped restarting it (start limit)"
            } else {
                return nil
            }
            if let result = service.result, result != "success", service.result != "start-limit-hit" {
                what += ", last exit: \(result)" + (service.exitStatus.map { " status \($0)" } ?? "")
            }
            var line = "systemd \(service.name): \(service.stateText)"
            line += ", Result=\(service.result ?? "?"), NRestarts=\(restarts)"
            if let status = service.exitStatus { line += ", ExecMainStatus=\(status)" }
            return (what, line)
        case "supervisor":
            let line = "supervisor \(service.name): \(service.stateText)"
            switch service.state {
            case "FATAL": return ("gave up restarting it (FATAL: it exited too quickly on every retry)", line)
            case "BACKOFF": return ("is crash-looping (BACKOFF: it exits before startsecs and supervisord retries)", line)
            default: return nil
            }
        default:
            return nil
        }
    }

    /// systemd's line quotes `systemctl show` properties (Result=, NRestarts=): the command that prints just those.
    private func stateCommand(_ service: ManagedService) -> String {
        service.manager == "systemd"
            ? "systemctl show \(service.name) -p ActiveState,SubState,Result,NRestarts,ExecMainStatus"
            : service.statusCommand
    }

    private func fix(_ service: ManagedService) -> [String] {
        if service.manager == "systemd" {
            return ["Read why it fails: journalctl -u \(service.name) --since '-15min' (the last traceback line, or an OOM kill)",
                    "Fix that cause. " + ServiceRestart.step(systemdRestart(service))]
        }
        return ["Read why it fails: the program's stderr log (supervisorctl tail \(service.name) stderr)",
                "Fix that cause. " + ServiceRestart.step(service.restartCommand)]
    }

    /// A unit that failed after its restarts, or hit the start limit, starts only once its failure is reset.
    private func systemdRestart(_ service: ManagedService) -> String {
        let restart = service.restartCommand
        return restart.hasPrefix("systemctl reset-failed") ? restart : "systemctl reset-failed \(service.name) && \(restart)"
    }
}
