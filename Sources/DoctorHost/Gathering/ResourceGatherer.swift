import DoctorFacts
import DoctorParsers
import Foundation

/// Host resources a 502 can come from: how full the filesystems are that the stack writes
/// to, and how short the machine is of memory.
///
/// Cheap on purpose: one statvfs(2) per distinct path, `/proc/self/mountinfo` read once to
/// name the mounts, `/proc/meminfo` and the three `/proc/pressure` files. Everything goes
/// through the host, so snapshots record and replay it.
struct ResourceGatherer {
    let host: any Host

    struct Gathered {
        var filesystems: [FilesystemUsage] = []
        var memory: MemoryStatus?
        var unavailable: [Unavailable] = []
    }

    /// A path the stack writes to and what for. `mayBeAbsent` paths are guesses (distro
    /// defaults) that need not exist; a missing file is looked up through its directory.
    struct Candidate: Hashable {
        var role: String
        var path: String
        var mayBeAbsent = false
    }

    static let mountTable = "/proc/self/mountinfo"
    static let memoryInfo = "/proc/meminfo"
    static let pressureResources = ["memory", "cpu", "io"]
    static let notRecordedReason = "not recorded in this snapshot"

    func gather(_ facts: Facts) -> Gathered {
        var gathered = Gathered()
        gatherFilesystems(Self.candidates(facts), into: &gathered)
        gatherMemory(into: &gathered)
        // A snapshot from before these were recorded: say it once, not once per kind.
        let older = gathered.unavailable.filter { $0.reason == Self.notRecordedReason }
        if older.count == 2 {
            gathered.unavailable.removeAll { $0.reason == Self.notRecordedReason }
            gathered.unavailable.append(Unavailable(what: older.map(\.what).joined(separator: " and "),
                                                    reason: Self.notRecordedReason + " (taken by a gwdoctor that did not record host resources)"))
        }
        return gathered
    }

    // MARK: - Filesystems

    /// Where the stack writes, in the order a person reads them: the proxy's logs, the
    /// sockets, the app's directories, the services' logs, then the temp directories.
    static func candidates(_ facts: Facts) -> [Candidate] {
        var list: [Candidate] = []
        func add(_ role: String, _ path: String?, mayBeAbsent: Bool = false) {
            guard let path, path.hasPrefix("/") else { return }
            let candidate = Candidate(role: role, path: path, mayBeAbsent: mayBeAbsent)
            if !list.contains(where: { $0.role == role && $0.path == path }) { list.append(candidate) }
        }
        for proxy in facts.proxies {
            let name = proxy.kind.rawValue
            for log in proxy.errorLogs where log.isFile { add("\(name) error log", log.path) }
            for log in proxy.accessLogs where log.isFile { add("\(name) access log", log.path) }
            if let prefix = proxy.prefix {
                // Built without --http-proxy-temp-path, nginx buffers responses under its prefix.
                add("\(name) proxy temp", (prefix.hasSuffix("/") ? prefix : prefix + "/") + "proxy_temp", mayBeAbsent: true)
            }
        }
        for window in facts.errorLogs { add("nginx error log", window.path) }
        var sockets = Array(facts.socketFiles.keys).sorted()
        for app in facts.appServers {
            for case let .unix(path) in app.endpoints where !sockets.contains(path) { sockets.append(path) }
        }
        for socket in sockets { add("socket dir", directory(of: socket)) }
        for app in facts.appServers {
            let cwd = app.workingDirectory ?? facts.process(app.masterPID)?.cwd
            add("app working dir (\(app.label))", cwd)
            if let tmp = option("--worker-tmp-dir", in: app.cmdline) { add("\(app.kind) worker tmp dir", tmp) }
        }
        for service in facts.services {
            for log in service.logFiles { add("\(service.manager) \(service.name) log", log) }
            add("\(service.manager) \(service.name) working dir", service.definition?.workingDirectory?.path,
                mayBeAbsent: true)
        }
        add("temp dir (gunicorn worker heartbeats, Django uploads)", "/tmp")
        add("nginx temp (proxy buffering, request bodies)", "/var/lib/nginx", mayBeAbsent: true)
        return list
    }

    private func gatherFilesystems(_ candidates: [Candidate], into gathered: inout Gathered) {
        var mounts: [MountEntry]?
        var mountError: HostError?
        var byKey: [String: Int] = [:]
        var notRecorded: [String] = []
        var statistics: [String: Result<FilesystemStatistics, HostError>] = [:]
        for candidate in candidates {
            // A log that does not exist yet would be created in its directory: measure that.
            var path = candidate.path
            var result = statistics[path] ?? read(path)
            statistics[path] = result
            if case .failure(.notFound) = result, !candidate.mayBeAbsent, path != "/" {
                path = Self.directory(of: path)
                result = statistics[path] ?? read(path)
                statistics[path] = result
            }
            let figures: FilesystemStatistics
            switch result {
            case let .success(value):
                figures = value
            case .failure(.notFound):
                continue
            case .failure(.notRecorded):
                notRecorded.append(candidate.path)
                continue
            case let .failure(error):
                gathered.unavailable.append(Unavailable(what: "filesystem usage of \(candidate.path) (\(candidate.role))",
                                                        reason: error.description))
                continue
            }
            if mounts == nil, mountError == nil {
                do {
                    mounts = MountInfo.parse(String(decoding: try host.readFile(Self.mountTable, maxBytes: 8 << 20),
                                                    as: UTF8.self))
                } catch {
                    mountError = error
                }
            }
            let mount = mounts.flatMap { MountInfo.mount(containing: path, in: $0) }
            let key = mount.map { "dev:\($0.device)" }
                ?? (figures.filesystemID != 0 ? "fsid:\(figures.filesystemID)" : "path:\(path)")
            let purpose = FilesystemPurpose(role: candidate.role, path: candidate.path)
            if let index = byKey[key] {
                if !gathered.filesystems[index].purposes.contains(purpose) { gathered.filesystems[index].purposes.append(purpose) }
                continue
            }
            byKey[key] = gathered.filesystems.count
            gathered.filesystems.append(FilesystemUsage(
                mountPoint: mount?.mountPoint, type: mount?.type, source: mount?.source, device: mount?.device,
                filesystemID: figures.filesystemID, totalBytes: figures.totalBytes, freeBytes: figures.freeBytes,
                availableBytes: figures.availableBytes, totalInodes: figures.totalInodes, freeInodes: figures.freeInodes,
                readOnly: figures.readOnly, purposes: [purpose]))
        }
        if !notRecorded.isEmpty {
            // An older snapshot: one entry, not one per path.
            gathered.unavailable.append(Unavailable(what: "filesystem usage (statvfs) of \(notRecorded.count) path(s)",
                                                    reason: Self.notRecordedReason))
        }
        if let mountError, !gathered.filesystems.isEmpty {
            gathered.unavailable.append(Unavailable(what: "mount table \(Self.mountTable)", reason: mountError.description))
        }
    }

    private func read(_ path: String) -> Result<FilesystemStatistics, HostError> {
        Result { () throws(HostError) in try host.filesystemStatistics(path) }
    }

    // MARK: - Memory

    private func gatherMemory(into gathered: inout Gathered) {
        let text: String
        do {
            text = String(decoding: try host.readFile(Self.memoryInfo, maxBytes: 1 << 20), as: UTF8.self)
        } catch .notRecorded {
            gathered.unavailable.append(Unavailable(what: "memory (\(Self.memoryInfo))", reason: Self.notRecordedReason))
            return
        } catch {
            gathered.unavailable.append(Unavailable(what: "memory (\(Self.memoryInfo))", reason: error.description))
            return
        }
        guard var memory = MemInfo.parse(text) else {
            gathered.unavailable.append(Unavailable(what: "memory (\(Self.memoryInfo))", reason: "no MemTotal line"))
            return
        }
        var reasons: [String] = []
        for resource in Self.pressureResources {
            let path = "/proc/pressure/\(resource)"
            do {
                let text = String(decoding: try host.readFile(path, maxBytes: 64 << 10), as: UTF8.self)
                if let stall = PressureStallFile.parse(text, resource: resource) { memory.pressure.append(stall) }
            } catch .notFound {
                reasons.append("notFound")
            } catch {
                reasons.append(error.description)
            }
        }
        if memory.pressure.isEmpty {
            // Not an error: PSI needs Linux 4.20+ built with CONFIG_PSI and not booted with psi=0.
            memory.pressureNote = reasons.allSatisfy({ $0 == "notFound" })
                ? "kernel without PSI: /proc/pressure is absent"
                : "no pressure stall figures: " + Array(Set(reasons.filter { $0 != "notFound" })).sorted().joined(separator: "; ")
        }
        gathered.memory = memory
    }

    // MARK: - Helpers

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        let parent = String(path[..<slash])
        return parent.isEmpty ? "/" : parent
    }

    /// The value of `--flag V` or `--flag=V`.
    static func option(_ flag: String, in cmdline: [String]) -> String? {
        let words = cmdline.flatMap { $0.split(separator: " ").map(String.init) }
        for (index, word) in words.enumerated() {
            if word == flag, index + 1 < words.count { return words[index + 1] }
            if word.hasPrefix(flag + "=") { return String(word.dropFirst(flag.count + 1)) }
        }
        return nil
    }
}
