import DoctorFacts
import Foundation

/// Gathers `ConfigGeneration` for one running nginx master: its current workers' start and
/// the config files (main file and every include the loader read) changed on disk since.
enum NginxGeneration {
    /// `nginx: worker process is shutting down`: a worker of an older generation.
    static let shuttingDownMarker = "is shutting down"

    /// `nil` when there is no current worker or no start time for one (an older snapshot,
    /// an unreadable /proc/PID/stat): then nothing is claimed either way.
    static func gather(host: any Host, masterPID: Int, processes: [ProcessRecord], files: [String]) -> ConfigGeneration? {
        let workers = processes.filter { $0.ppid == masterPID && $0.cmdline.first?.hasPrefix("nginx: worker process") == true }
        let (old, current) = (workers.filter(isShuttingDown), workers.filter { !isShuttingDown($0) })
        // The oldest current worker: the master read the running config before forking it;
        // a re-spawned worker is younger and runs the same config (see ConfigGeneration).
        guard let oldest = current.filter({ $0.startedAt != nil }).min(by: { $0.startedAt! < $1.startedAt! }),
              let started = oldest.startedAt else { return nil }
        var changed: [ChangedConfigFile] = []
        var unreadable: [String] = []
        for path in files {
            let target: FileStatus
            do {
                target = try host.status(path, followLinks: true)
            } catch {
                unreadable.append("\(path): \(error.description)")
                continue
            }
            var modified = target.modified
            var linkChanged = false
            if let link = try? host.status(path, followLinks: false), link.kind == .symlink, link.modified > modified {
                modified = link.modified
                linkChanged = true
            }
            if modified > started + ConfigGeneration.tolerance {
                changed.append(ChangedConfigFile(path: path, modified: modified, linkChanged: linkChanged))
            }
        }
        changed.sort { $0.modified < $1.modified }
        return ConfigGeneration(workersStarted: started, oldestWorkerPID: oldest.pid, workerPIDs: current.map(\.pid),
                                shuttingDownPIDs: old.map(\.pid), filesChecked: files.count, changedFiles: changed,
                                unreadable: unreadable, gatheredAt: host.referenceTime.timeIntervalSince1970)
    }

    static func isShuttingDown(_ process: ProcessRecord) -> Bool {
        process.cmdline.first?.contains(shuttingDownMarker) == true
    }
}
