import Foundation

/// When a running proxy last loaded its configuration, and which of the files it reads
/// changed on disk after that: "the config on disk is right but the proxy never loaded it".
///
/// nginx starts a new set of workers on every reload that succeeds (the master reads and
/// checks the new config first, then forks), and keeps the old set when the reload fails.
/// So the current generation's workers started after the config they run was read. The
/// oldest of them is taken as the generation's start: a worker the master re-spawns after a
/// crash is younger but runs the same config, and taking the youngest would hide a change
/// made between the reload and that re-spawn. Workers whose title says `worker process is
/// shutting down` belong to an older generation (`worker_shutdown_timeout` keeps them
/// finishing requests beside the new ones) and are left out.
///
/// A file's mtime later than that start means only "changed on disk since": a `touch`
/// without an edit, or an edit undone, also moves it. Nothing here compares contents.
public struct ConfigGeneration: Hashable, Codable, Sendable {
    /// The oldest current worker's start (seconds since the epoch).
    public var workersStarted: Double
    /// That worker.
    public var oldestWorkerPID: Int
    /// The current generation's workers.
    public var workerPIDs: [Int]
    /// Workers of an older generation still finishing requests (`nginx: worker process is shutting down`).
    public var shuttingDownPIDs: [Int]
    /// How many config files were compared (the main file and every include read).
    public var filesChecked: Int
    /// Config files whose mtime is later than `workersStarted` (beyond `tolerance`), oldest change first.
    public var changedFiles: [ChangedConfigFile]
    /// Files that could not be stat'ed, with why (they are neither changed nor unchanged).
    public var unreadable: [String]
    /// When the facts were gathered, so a check can tell an mtime in the future.
    public var gatheredAt: Double

    /// Seconds a file's mtime must pass the workers' start to count: the start is read in
    /// clock ticks (10 ms), and a deploy that writes the file and reloads within the same
    /// instant must not count as "changed since".
    public static let tolerance: Double = 1

    public init(workersStarted: Double, oldestWorkerPID: Int, workerPIDs: [Int], shuttingDownPIDs: [Int] = [],
                filesChecked: Int, changedFiles: [ChangedConfigFile], unreadable: [String] = [], gatheredAt: Double) {
        self.workersStarted = workersStarted
        self.oldestWorkerPID = oldestWorkerPID
        self.workerPIDs = workerPIDs
        self.shuttingDownPIDs = shuttingDownPIDs
        self.filesChecked = filesChecked
        self.changedFiles = changedFiles
        self.unreadable = unreadable
        self.gatheredAt = gatheredAt
    }
}

/// One config file whose mtime is later than the running generation's start.
public struct ChangedConfigFile: Hashable, Codable, Sendable {
    /// The path as nginx reads it (an include's match, or the main file).
    public var path: String
    /// The later of the file's mtime and, for a symlink, the link's own mtime (enabling a
    /// site with `ln -s` changes the link, not the file), seconds since the epoch.
    public var modified: Double
    /// Set when it is the link (not its target) that is newer.
    public var linkChanged: Bool

    public init(path: String, modified: Double, linkChanged: Bool = false) {
        self.path = path
        self.modified = modified
        self.linkChanged = linkChanged
    }
}
