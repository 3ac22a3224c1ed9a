import DoctorFacts

/// `oom-killed`: the kernel's OOM killer killed the app server or its workers: the kernel's
/// `Out of memory: Killed process N (gunicorn)` (or `Memory cgroup out of memory: …` under a
/// unit's `MemoryMax=`), systemd `Result=oom-kill`, or Gunicorn's `Worker (pid:N) was sent
/// SIGKILL! Perhaps out of memory?` when the kernel confirms that pid.
///
/// Not to be confused with a Gunicorn worker timeout: Gunicorn writes the same SIGKILL line
/// after `WORKER TIMEOUT (pid:N)` when it killed a worker that outlived `--timeout` itself;
/// that is a slow request, not memory, and this check stays silent on it. A bare SIGKILL that
/// the kernel log does not confirm is a `kill -9`, unless the kernel log could not be read:
/// then it is reported as a probable OOM kill, with a warning.
public struct OOMKilledCheck: Check {
    public init() {}

    public let id = "oom-killed"
    public let title = "The app server or its workers were killed for lack of memory"
    public let layer = Layer.capacity
    public let rationale = """
        When memory runs out (the machine's, or a cgroup limit such as a unit's MemoryMax=), the kernel \
        kills the largest process: usually a Gunicorn/uWSGI worker in the middle of a request, so nginx \
        logs "upstream prematurely closed connection" and answers 502; if it kills the master, the \
        service dies (systemd Result=oom-kill) and restarts into the same fate. Gunicorn's "was sent \
        SIGKILL! Perhaps out of memory?" appears for timeouts too; only the kernel's line, or the absence \
        of a WORKER TIMEOUT line for that pid, tells them apart.
        """
    public let fixText = """
        Find what grows (per-worker RSS: ps -o pid,rss,cmd -C gunicorn; the request in the access log at the \
        kill time), fewer workers or --max-requests to recycle leaky ones, a higher MemoryMax= or more RAM; \
        never raise --timeout for this.
        """
    public let precedence = 40
    /// An OOM-killed master is why the unit loops and why nothing listens.
    public var explains: Set<String> { ServiceFindings.explainedChecks }

    public func run(_ facts: Facts) -> [Finding] {
        facts.services.compactMap { service in
            let confirmed = service.kills.filter { $0.reason == .outOfMemory }
            let systemdSaysOOM = service.manager == "systemd" && service.result == "oom-kill"
            // Without the kernel log a bare SIGKILL cannot be told from `kill -9`; Gunicorn's own guess stands.
            let probable = facts.kernelOOMKills == nil
                ? service.kills.filter { $0.reason == .signal && $0.line.contains("Perhaps out of memory") } : []
            guard !confirmed.isEmpty || systemdSaysOOM || !probable.isEmpty else { return nil }
            let route = ServiceFindings.route(for: service, in: facts)
            var evidence: [Evidence] = []
            for kill in (confirmed.isEmpty ? probable : confirmed).suffix(3) {
                evidence.append(Evidence(kind: .log, text: kill.line, source: kill.source))
            }
            // The kernel's own line for each kill: same pid, or (inside a PID namespace, where the
            // app server's pids are not the kernel's) within seconds of it.
            for kernel in (facts.kernelOOMKills ?? []) where confirmed.contains(where: { WorkerDeathCorrelation.isKernelLine(kernel, of: $0) })
                && !evidence.contains(where: { $0.text == kernel.line }) {
                evidence.append(Evidence(kind: .log, text: kernel.line, source: kernel.source))
            }
            if service.manager == "systemd", service.result != nil {
                evidence.append(Evidence(kind: .service,
                                         text: "systemd \(service.name): \(service.stateText), Result=\(service.result ?? "?")"
                                             + (service.exitStatus.map { ", ExecMainStatus=\($0)" } ?? ""),
                                         source: "systemctl show \(service.name)"))
            }
            let down = service.state != nil && !service.isRunning && !["STARTING", "activating"].contains(service.state ?? "")
                || service.stateDetail == "auto-restart"
            var summary: String
            if !confirmed.isEmpty || systemdSaysOOM {
                let count = max(confirmed.count, systemdSaysOOM ? 1 : 0)
                summary = "\(service.manager) \(service.name): the kernel's OOM killer killed its processes \(ResponseWording.counted(count, "time")) in the window"
                if systemdSaysOOM { summary += " (systemd Result=oom-kill)" }
            } else {
                summary = "\(service.manager) \(service.name): \(ResponseWording.counted(probable.count, "worker")) died of SIGKILL with no worker timeout before; "
                    + "probably the OOM killer (the kernel log could not be read to confirm)"
            }
            summary += down ? ", and the service is down" : "; requests in flight got 502"
            if route == nil, !facts.routes.isEmpty { summary += " (no route diagnosed here points at it)" }
            let severity: Severity = down && route != nil && !confirmed.isEmpty || down && route != nil && systemdSaysOOM
                ? .critical : .warning
            return Finding(check: id, layer: layer, severity: severity, summary: summary, route: route?.label,
                           evidence: evidence, fix: fix(service))
        }
    }

    private func fix(_ service: ManagedService) -> [String] {
        var steps = ["Confirm and size it: dmesg -T | grep -i 'killed process'; ps -o pid,rss,cmd --ppid \(service.pid.map(String.init) ?? "MASTER_PID")"]
        steps.append("Lower the memory per worker (fewer --workers, --max-requests N --max-requests-jitter M to recycle leaky workers) or give it more memory"
                     + (service.manager == "systemd" ? " (MemoryMax= in a drop-in: systemctl edit \(service.name))" : ""))
        steps.append("Do not raise --timeout: a timeout kill is preceded by WORKER TIMEOUT, an OOM kill is not")
        return steps
    }
}
