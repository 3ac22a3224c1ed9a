import DoctorFacts

/// Which processes a snapshot keeps. Snapshots travel in bug reports, so by default
/// they keep only what a diagnosis can use: known servers (proxies, app servers,
/// supervisors), every holder of a listening socket, their children and direct parents.
/// Kernel threads, shells and unrelated programs stay on the machine.
public enum SnapshotProcessScope: Sendable {
    /// Servers, listeners, and their parent chains and children.
    case relevant
    /// The whole process table.
    case all

    /// Programs kept even when they hold no listener (a supervisor, a crashed server's manager).
    static let managerNames: Set<String> = ["supervisord", "systemd", "dockerd", "containerd-shim", "docker-proxy"]

    func filter(_ processes: [ProcessRecord], listeners: [Listener]) -> [ProcessRecord] {
        guard case .relevant = self else { return processes }
        let byPID = Dictionary(processes.map { ($0.pid, $0) }, uniquingKeysWith: { first, _ in first })
        var keep = Set(listeners.flatMap(\.pids))
        for process in processes where !process.cmdline.isEmpty {
            let name = process.serverName
            if ProcessRecord.knownServerNames.contains(name) || Self.managerNames.contains(name)
                || Self.managerNames.contains(process.comm) {
                keep.insert(process.pid)
            }
        }
        // Children (workers) of kept processes, and each one's direct parent (its manager:
        // systemd, supervisord, a shell). Grandparents say nothing about the stack and may
        // be anything on the machine, so they stay out of a snapshot meant for sharing.
        let seeds = keep
        for process in processes where seeds.contains(process.ppid) && !process.cmdline.isEmpty {
            keep.insert(process.pid)
        }
        for pid in keep {
            if let parent = byPID[pid]?.ppid, parent > 0 { keep.insert(parent) }
        }
        return processes.filter { keep.contains($0.pid) }
    }
}
