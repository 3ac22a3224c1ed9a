import DoctorFacts
import DoctorParsers
import Foundation

/// Reads the kernel's OOM-killer lines (`dmesg`) when a service's kills need explaining, and
/// attributes them: a Gunicorn `was sent SIGKILL` with no `WORKER TIMEOUT` before it is an OOM
/// kill only when the kernel says it killed that pid (or, inside a PID namespace where pids
/// differ, a process of that unit's cgroup within seconds of it).
///
/// The kernel log is only read when something asks for it (a bare SIGKILL, a unit whose main
/// process died of a signal): on a healthy host it is not needed, and where `dmesg` is refused
/// (`kernel.dmesg_restrict`) that would make every diagnosis less certain for nothing.
struct KernelLogGatherer: Sendable {
    let host: any Host
    let options: GatherOptions
    let windowStart: Date
    /// The kernel log is a ring buffer of at most a few MB.
    static let outputLimit = 4 << 20
    /// How far apart a Gunicorn SIGKILL line and the kernel's kill line may be to be the same kill.
    static let sameKillSeconds = 5.0

    func gather(_ services: [ManagedService]) async -> (services: [ManagedService], kills: [WorkerKill]?, unavailable: [Unavailable]) {
        guard services.contains(where: Self.needsKernelLog) else { return (services, nil, []) }
        let output = await host.run(.kernelLog, timeout: options.commandTimeout, outputLimit: Self.outputLimit)
        if let failure = output.failure {
            return (services, nil, [Unavailable(what: "kernel log (dmesg)", reason: failure)])
        }
        if output.exitCode != 0 {
            let said = output.stderr.split(whereSeparator: \.isNewline).first.map(String.init) ?? "exit status \(output.exitCode ?? -1)"
            return (services, nil, [Unavailable(what: "kernel log (dmesg)", reason: said)])
        }
        let lines = output.stdout.split(whereSeparator: \.isNewline)
        let kernel = KernelOOMLog.parse(lines: lines).filter { ($0.time ?? windowStart) >= windowStart }
        let attributed = services.map { Self.attribute(kernel, to: $0) }
        let facts = kernel.map { WorkerKill(reason: .outOfMemory, pid: $0.pid, line: $0.line, source: "dmesg", time: $0.time) }
        return (attributed, facts, [])
    }

    /// A kill no log line explains, or a systemd unit whose main process died of a signal.
    static func needsKernelLog(_ service: ManagedService) -> Bool {
        service.kills.contains { $0.reason == .signal }
            || (service.manager == "systemd" && (service.result == "signal" || service.result == "oom-kill"))
    }

    /// `service` with its `.signal` kills that the kernel explains turned into OOM kills, and the
    /// kernel's kills in its unit's cgroup that no app-server line mentions added.
    static func attribute(_ kernel: [KernelOOMKill], to service: ManagedService) -> ManagedService {
        var service = service
        var used = Set<Int>()
        for index in service.kills.indices where service.kills[index].reason == .signal {
            let kill = service.kills[index]
            let match = kernel.indices.first { candidate in
                guard !used.contains(candidate) else { return false }
                if kernel[candidate].pid == kill.pid { return true }
                guard service.manager == "systemd", kernel[candidate].unit == service.name,
                      let a = kernel[candidate].time, let b = kill.time else { return false }
                return abs(a.timeIntervalSince(b)) <= sameKillSeconds
            }
            if let match {
                used.insert(match)
                service.kills[index].reason = .outOfMemory
            }
        }
        if service.manager == "systemd" {
            for (index, kill) in kernel.enumerated() where !used.contains(index) && kill.unit == service.name {
                service.kills.append(WorkerKill(reason: .outOfMemory, pid: kill.pid, line: kill.line, source: "dmesg", time: kill.time))
            }
        }
        service.kills.sort { ($0.time ?? .distantPast) < ($1.time ?? .distantPast) }
        return service
    }
}
