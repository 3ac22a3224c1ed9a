import DoctorFacts
import DoctorParsers

/// Finds app servers in the process table and where they bind: the command line first,
/// then the `gunicorn.conf.py` or uWSGI ini files it names (folded in with each program's
/// own precedence), and finally the listening sockets the process really holds — the
/// ground truth when the command line hides its binds, as `setproctitle` does.
struct AppServerGatherer: Sendable {
    let host: any Host
    let processes: [ProcessRecord]
    let listeners: [Listener]
    /// The network namespace the proxy connects from (its master's, else gwdoctor's own);
    /// `nil` when unknown, which keeps every app server.
    var proxyNamespace: String?
    /// supervisord programs and systemd units found so far: the directory one started its
    /// server in is where that server's relative `-c`/`--ini` path points.
    var services: [ManagedService] = []
    /// Config files read once per diagnosis; `nil` reads them here (a gatherer used alone).
    var configs: SharedConfigFiles? = nil

    func gather() -> (servers: [AppServer], unavailable: [Unavailable]) {
        var unavailable: [Unavailable] = []
        let files = self.files
        var parsed: [Int: ParsedAppServer] = [:]
        let byPID = Dictionary(processes.map { ($0.pid, $0) }, uniquingKeysWith: { first, _ in first })
        for process in processes where !process.cmdline.isEmpty {
            if let server = AppServerCommandLine.parse(process.cmdline, workingDirectory: process.cwd,
                                                       startDirectory: startDirectory(of: process, byPID: byPID)) {
                parsed[process.pid] = server
            }
        }
        // A worker is an app-server process whose parent runs the same server: the top of
        // such a chain is the master.
        func master(of pid: Int) -> Int {
            var current = pid
            var hops = 0
            while hops < 16, let parent = byPID[current]?.ppid, parsed[parent]?.kind == parsed[current]?.kind {
                current = parent
                hops += 1
            }
            return current
        }
        var workers: [Int: [Int]] = [:]
        var masters: [Int] = []
        for pid in parsed.keys.sorted() {
            let top = master(of: pid)
            if top == pid { masters.append(pid) } else { workers[top, default: []].append(pid) }
        }
        var servers: [AppServer] = []
        for pid in masters {
            guard var server = parsed[pid], let process = byPID[pid] else { continue }
            // Another namespace's app server (another site's lab, a container) is not what
            // this proxy reaches over TCP; it still counts when it binds a unix socket,
            // which crosses namespaces through the filesystem.
            let elsewhere = proxyNamespace != nil && process.netNamespace != nil && process.netNamespace != proxyNamespace
            if server.kind == "uwsgi" {
                for ini in server.iniFiles {
                    switch files.uwsgi(ini.path, section: ini.section, directory: server.directory, placeholders: server.iniPlaceholders) {
                    case let .success(fromFile):
                        server = server.applying(configBinds: fromFile.binds, timeoutSeconds: fromFile.timeoutSeconds,
                                                 limits: fromFile.limits)
                    case let .failure(error):
                        unavailable.append(Unavailable(what: "\(server.kind) config \(ini.path)", reason: error.description))
                    }
                }
            } else if let file = server.configFile ?? existing(server.defaultConfigFile) {
                switch files.gunicorn(file, directory: server.directory) {
                case let .success(fromFile):
                    server = server.applying(configBinds: fromFile.binds, timeoutSeconds: fromFile.timeoutSeconds,
                                             limits: fromFile.limits)
                case let .failure(error):
                    unavailable.append(Unavailable(what: "\(server.kind) config \(file)", reason: error.description))
                }
            } else if server.unresolvedConfigFiles.isEmpty {
                server = server.applying(configBinds: [], timeoutSeconds: nil)
            }
            if !server.unresolvedConfigFiles.isEmpty {
                server = Self.markingUnknown(server)
            }
            var binds = server.binds
            let family = Set([pid] + (workers[pid] ?? []))
            let held = listeners.filter { !family.isDisjoint(with: $0.pids) }.map(\.endpoint)
            if !held.isEmpty {
                // What the process really listens on wins over defaults; anything else it
                // holds is added, so a bind hidden by a rewritten title is still found.
                if server.bindsAreDefault { binds.removeAll { bind in !held.contains { $0 == bind.endpoint } } }
                let known = Set(binds.compactMap(\.endpoint))
                for endpoint in held where !known.contains(endpoint) {
                    binds.append(AppServerBind(endpoint: endpoint, raw: endpoint.description, source: "listening socket (ss -lnp)"))
                }
            }
            if elsewhere {
                binds.removeAll { bind in
                    if case .unix = bind.endpoint { return false }
                    return true
                }
                if binds.isEmpty { continue }
            }
            servers.append(AppServer(kind: server.kind, masterPID: pid, workerPIDs: (workers[pid] ?? []).sorted(),
                                     user: process.user, uid: process.uid, workingDirectory: server.directory ?? process.cwd,
                                     binds: binds, cmdline: Redactor.redact(arguments: process.cmdline),
                                     timeoutSeconds: server.timeoutSeconds, limits: server.effectiveLimits))
        }
        if !servers.isEmpty, let cpus = cpusOnline(into: &unavailable) {
            for index in servers.indices { servers[index].limits.cpusOnline = cpus }
        }
        return (servers, unavailable)
    }

    /// Where the server was started, when a service says so: the `directory=` of the supervisord
    /// program or the `WorkingDirectory=` of the systemd unit whose pid is the server's or an
    /// ancestor's; a unit without one starts in `/` (systemd.exec). A supervisord program without
    /// `directory=` inherits supervisord's own directory, read from its /proc cwd. `nil` otherwise.
    func startDirectory(of process: ProcessRecord, byPID: [Int: ProcessRecord]) -> String? {
        var current: ProcessRecord? = process
        var hops = 0
        while let record = current, hops < 16 {
            if let service = services.first(where: { $0.pid == record.pid && $0.manager != "none" }) {
                if let directory = service.definition?.workingDirectory?.path, directory.hasPrefix("/") {
                    return directory
                }
                if service.manager == "systemd" { return "/" }
                if service.manager == "supervisor", let parent = byPID[record.ppid],
                   parent.cmdline.contains(where: { $0.hasSuffix("supervisord") }) {
                    return parent.cwd
                }
                return nil
            }
            current = record.ppid > 1 ? byPID[record.ppid] : nil
            hops += 1
        }
        return nil
    }

    /// A server whose `-c`/`--ini` could not be placed: its binds, unless the command line names
    /// some, are unknown (not the program's defaults), and so is what the file sets.
    static func markingUnknown(_ server: ParsedAppServer) -> ParsedAppServer {
        var server = server
        let unknown = server.unresolvedConfigFiles.map { "unknown (relative path \($0), start directory unknown)" }
        if server.binds.isEmpty || server.bindsAreDefault, server.kind != "uwsgi" {
            server.binds = unknown.enumerated().map { index, text in
                AppServerBind(endpoint: nil, raw: text, source: "config file \(server.unresolvedConfigFiles[index])")
            }
            server.bindsAreDefault = false
        } else if server.kind == "uwsgi" {
            // uWSGI binds every socket, so the ini's own are missing from what the command line names.
            server.binds += unknown.enumerated().map { index, text in
                AppServerBind(endpoint: nil, raw: text, source: "config file \(server.unresolvedConfigFiles[index])")
            }
        }
        for (path, text) in zip(server.unresolvedConfigFiles, unknown) {
            server.configLimits.notes.append("settings in `\(path)`: \(text); the values shown may not be the ones it runs with")
        }
        return server
    }

    /// CPUs online (`/sys/devices/system/cpu/online`, e.g. `0-3,6`), for the `(2 × cores) + 1`
    /// hint. A snapshot taken before this was read has no record of the file: no figure, no
    /// unavailable fact (nothing was wrong on the host).
    private func cpusOnline(into unavailable: inout [Unavailable]) -> Int? {
        let path = "/sys/devices/system/cpu/online"
        do {
            let text = String(decoding: try host.readFile(path, maxBytes: 4096), as: UTF8.self)
            if let count = CPUList.count(text) { return count }
            unavailable.append(Unavailable(what: "CPUs online \(path)", reason: "not a CPU list: \(text.prefix(40))"))
        } catch .notRecorded {
        } catch {
            unavailable.append(Unavailable(what: "CPUs online \(path)", reason: error.description))
        }
        return nil
    }

    private func existing(_ path: String?) -> String? {
        guard let path, (try? host.status(path, followLinks: true)) != nil else { return nil }
        return path
    }

    private var files: SharedConfigFiles { configs ?? SharedConfigFiles(host: host) }
}
