import DoctorFacts

/// `compose-container-down`: a compose service's container is not running: it exited with an
/// error, was killed by the OOM killer (`OOMKilled: true`), or is restarting in a loop, as the
/// Docker engine reports it (`docker inspect`). Needs a reachable engine; silent without one.
///
/// The container counterpart of `crash-loop` and `oom-killed`, which read systemd and
/// supervisord: containers are invisible to those managers. A container that exited 0 (a
/// one-off `migrate` service) is not reported. The container's `docker logs` are read with the
/// same boot-failure reader as a host app server's log, so the finding's `cause` is the
/// app-startup cause (`database-unreachable`, `missing-env-var`, …) when one is recognised.
public struct ComposeContainerDownCheck: Check {
    public init() {}

    public let id = "compose-container-down"
    public let title = "A compose service's container exited, was OOM-killed or is restarting"
    public let layer = Layer.upstream
    public let rationale = """
        When the app's container is down, a proxy container logs `connect() failed (113: Host is \
        unreachable)` or `host not found` for the service name and a host proxy gets `Connection \
        refused` on the published port. The engine keeps why: the exit code (1 for a crash on boot, \
        137 for SIGKILL), `OOMKilled` when the memory limit killed it, and the restart count of a \
        container that `restart: always` keeps bringing back only to die again.
        """
    public let fixText = """
        Read the container's last output (`docker compose logs --tail 100 SERVICE`); for an OOM kill \
        raise the memory limit or lower the worker count; then `docker compose up -d SERVICE`.
        """
    public let precedence = 44

    public func run(_ facts: Facts) -> [Finding] {
        var findings: [Finding] = []
        for project in facts.composeProjects {
            for container in project.containers ?? [] {
                let restarting = container.state == "restarting"
                let failed = (container.state == "exited" || container.state == "dead")
                    && (container.oomKilled || (container.exitCode ?? 0) != 0)
                guard restarting || failed || (container.oomKilled && container.state != "running") else { continue }
                let service = project.service(container.service)
                let exit = container.exitCode.map { "exit code \($0)\($0 == 137 ? " (SIGKILL)" : $0 == 139 ? " (SIGSEGV)" : "")" } ?? "no exit code"
                let state = container.oomKilled ? "was killed by the OOM killer (OOMKilled, \(exit))"
                    : restarting ? "is restarting (\(exit), \(container.restartCount ?? 0) restarts)"
                    : "exited with \(exit)"
                var evidence = [Evidence(kind: .service,
                                         text: "container \(container.name): state \(container.state), \(exit), OOMKilled \(container.oomKilled), restarts \(container.restartCount ?? 0)"
                                             + (container.finishedAt.map { ", finished \($0)" } ?? ""),
                                         source: "docker inspect \(container.name)")]
                if let service {
                    evidence.append(ComposeFacts.serviceEvidence(service, note: service.restart.map { "restart: \($0)" }))
                    if let command = ComposeFacts.commandEvidence(service) { evidence.append(command) }
                }
                // What it printed last: the boot failure when the log reader recognised one, else the last lines.
                let bootFailure = container.oomKilled ? nil : container.bootFailures.last
                if let bootFailure {
                    evidence.append(Evidence(kind: .log, text: bootFailure.decisiveLine, source: bootFailure.source))
                } else {
                    for line in container.logTail.suffix(3) {
                        evidence.append(Evidence(kind: .log, text: line, source: "docker logs \(container.name)"))
                    }
                }
                evidence.append(Evidence(kind: .command, text: "its last output", source: ComposeFacts.composeCommand(project, "logs --tail 100 \(container.service)")))
                let important = service?.appServer != nil || ComposeFacts.proxyUses(facts).contains { use in
                    if case let .tcp(host, _) = use.endpoint { return project.service(resolving: host)?.name == container.service }
                    return false
                }
                findings.append(Finding(
                    check: id, layer: container.oomKilled ? .capacity : layer, severity: important || restarting ? .critical : .warning,
                    summary: "\(container.service) (container \(container.name)) \(state)" + (bootFailure.map { ": \($0.decisiveLine)" } ?? ""),
                    evidence: evidence,
                    fix: container.oomKilled
                        ? ["Raise the service's memory limit (`mem_limit` / `deploy.resources.limits.memory`) or lower its workers, then \(ComposeFacts.composeCommand(project, "up -d \(container.service)"))"]
                        : ["Read why: \(ComposeFacts.composeCommand(project, "logs --tail 100 \(container.service)")); fix it, then \(ComposeFacts.composeCommand(project, "up -d \(container.service)"))"],
                    cause: container.oomKilled ? "oom-killed" : bootFailure.map(\.cause.rawValue) ?? (restarting ? "restarting" : "exited")))
            }
        }
        return findings
    }
}
