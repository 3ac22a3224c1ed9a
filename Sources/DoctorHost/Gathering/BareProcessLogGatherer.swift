import DoctorFacts
import DoctorParsers
import Foundation

/// Boot failures of app servers that no service manager runs (`nohup gunicorn … &`, a
/// tmux pane, an `@reboot` cron line): their logs, read where an operator would look.
///
/// - A running bare server (not a supervisord program or systemd unit's process, matched
///   by pid, ancestry and command line): the files its argv and `gunicorn.conf.py` name
///   (`--error-logfile`/`--log-file`, `errorlog`, uWSGI `--logto`/`--daemonize`), and its
///   stdout/stderr when `/proc/PID/fd/1` or `fd/2` is a regular file (Uvicorn has no
///   log-file option: `uvicorn … > app.log 2>&1` is how it gets one). Failures there are
///   earlier boots that failed before this one came up (a Gunicorn restarted by hand).
/// - A bare server that crashed on boot is gone from the process table, and with it its
///   command line; what stays is its log. The conventional log directories
///   (`/var/log/gunicorn`, `/var/log/uvicorn`, `/var/log/uwsgi`, `/var/log/uwsgi/app`) are
///   read for files written inside the window, and the addresses the log says the server
///   bound (`Listening at: …`) tie it to the route that now gets 502s.
///
/// Each becomes a `ManagedService` with manager `none`; logs a manager's service already
/// reads, or a running server's own, are not read twice.
struct BareProcessLogGatherer: Sendable {
    let host: any Host
    let processes: [ProcessRecord]
    let appServers: [AppServer]
    /// Services found so far (supervisord programs, systemd units): what they run is not bare.
    let services: [ManagedService]
    let windowStart: Date
    /// The proxy's network namespace: a bare server in another one (another site's
    /// container or lab) counts only when a route reaches it through a unix socket.
    var proxyNamespace: String? = nil
    /// Every endpoint a diagnosed route targets.
    var routeEndpoints: Set<Endpoint> = []
    /// Config files read once per diagnosis; `nil` reads them here (a gatherer used alone).
    var configs: SharedConfigFiles? = nil

    /// Where distributions and deploy guides put app-server logs.
    static let conventionalLogDirectories = ["/var/log/gunicorn", "/var/log/uvicorn", "/var/log/uwsgi", "/var/log/uwsgi/app"]
    static let maxConfigBytes = 1 << 20
    /// At most this many files per conventional directory are read (newest first).
    static let maxFilesPerDirectory = 32

    func gather() -> (services: [ManagedService], unavailable: [Unavailable]) {
        var gatherer = self
        if gatherer.configs == nil { gatherer.configs = SharedConfigFiles(host: host) }
        return gatherer.gatherAll()
    }

    private var files: SharedConfigFiles { configs ?? SharedConfigFiles(host: host) }

    private func gatherAll() -> (services: [ManagedService], unavailable: [Unavailable]) {
        var unavailable: [Unavailable] = []
        var found: [ManagedService] = []
        var read = Set(services.flatMap(\.logFiles))
        let byPID = Dictionary(processes.map { ($0.pid, $0) }, uniquingKeysWith: { first, _ in first })
        var runningLogs: [(server: AppServer, logs: [String])] = []
        for server in appServers {
            let logs = logFiles(of: server, process: byPID[server.masterPID], unavailable: &unavailable)
            runningLogs.append((server, logs))
        }
        // Logs of managed servers still count as "known": a conventional directory's file
        // that a systemd unit's gunicorn writes is that unit's, not a crashed bare server's.
        for (_, logs) in runningLogs { read.formUnion(logs) }
        for (server, logs) in runningLogs where !isManaged(server, byPID: byPID) && !logs.isEmpty
            && isReachable(server, process: byPID[server.masterPID]) {
            let parsed = AppServerCommandLine.parse(server.cmdline, workingDirectory: server.workingDirectory)
            var failures: [StartupFailure] = []
            // Its worker kills too: a bare gunicorn's --error-logfile is the only place its
            // `WORKER TIMEOUT` and `was sent SIGKILL` lines are written.
            var kills: [WorkerKill] = []
            for log in logs {
                guard let window = window(log, unavailable: &unavailable) else { continue }
                failures += AppServerLog.classify(lines: window.lines, source: log, firstLineNumber: window.firstLineNumber,
                                                  program: server.kind, appPackages: Self.appPackages(server.cmdline))
                kills += WorkerKillLog.parse(lines: window.lines, source: log, firstLineNumber: window.firstLineNumber)
            }
            var service = ManagedService(manager: "none", name: "pid \(server.masterPID)", state: "running",
                                         stateDetail: "a bare process: no supervisord program or systemd unit runs it",
                                         pid: server.masterPID, command: server.cmdline,
                                         binds: server.binds.isEmpty ? (parsed?.binds ?? []) : server.binds,
                                         logFiles: logs, startupFailures: Self.sorted(failures), source: "process table")
            service.kills = kills.sorted { ($0.time ?? .distantPast) < ($1.time ?? .distantPast) }
            found.append(service)
        }
        let fromScripts = scriptStartedServers(alreadyRead: read, unavailable: &unavailable)
        found += fromScripts
        read.formUnion(fromScripts.flatMap(\.logFiles))
        found += crashedServers(alreadyRead: read, unavailable: &unavailable)
        return (found, unavailable)
    }

    // MARK: Running bare servers

    /// Whether a supervisord program or systemd unit runs this server: its pid (or an
    /// ancestor's) is a service's, its command line is a service's, or a supervisord is
    /// among its ancestors (one in another namespace is not in `services`).
    private func isManaged(_ server: AppServer, byPID: [Int: ProcessRecord]) -> Bool {
        let servicePIDs = Set(services.compactMap(\.pid))
        var current: Int? = server.masterPID
        var hops = 0
        while let pid = current, hops < 32 {
            if servicePIDs.contains(pid) { return true }
            guard let process = byPID[pid] else { break }
            if pid != server.masterPID, process.cmdline.contains(where: { $0.hasSuffix("supervisord") }) { return true }
            current = process.ppid > 1 ? process.ppid : nil
            hops += 1
        }
        return services.contains { !$0.command.isEmpty && $0.command == server.cmdline }
    }

    /// In the proxy's namespace, or (elsewhere) serving a route over a unix socket.
    private func isReachable(_ server: AppServer, process: ProcessRecord?) -> Bool {
        guard let proxyNamespace, let namespace = process?.netNamespace, namespace != proxyNamespace else { return true }
        return server.endpoints.contains { endpoint in
            if case .unix = endpoint { return routeEndpoints.contains(endpoint) }
            return false
        }
    }

    /// The server's log files: named in argv, named in its gunicorn.conf.py (argv wins),
    /// then stdout/stderr redirected to a file.
    private func logFiles(of server: AppServer, process: ProcessRecord?, unavailable: inout [Unavailable]) -> [String] {
        let directory = server.workingDirectory ?? process?.cwd
        var named = AppServerLogFiles.fromCommandLine(process?.cmdline ?? server.cmdline, workingDirectory: process?.cwd ?? directory)
        if server.kind == "gunicorn", let parsed = AppServerCommandLine.parse(process?.cmdline ?? server.cmdline, workingDirectory: process?.cwd),
           let config = parsed.configFile ?? existing(parsed.defaultConfigFile) {
            switch files.gunicorn(config, directory: parsed.directory) {
            case let .success(reading):
                for file in reading.logFiles where !named.contains(where: { $0.role == file.role }) {
                    named.append(file)
                }
            case let .failure(error):
                unavailable.append(Unavailable(what: "gunicorn config \(config)", reason: error.description))
            }
        }
        var logs = named.filter { $0.role == .error }.map(\.path).filter { $0.hasPrefix("/") }
        for fd in [2, 1] {
            guard let target = try? host.readLink("/proc/\(server.masterPID)/fd/\(fd)"), target.hasPrefix("/"),
                  !target.hasSuffix(" (deleted)"), !target.hasPrefix("/dev/"), !logs.contains(target),
                  (try? host.status(target, followLinks: true))?.kind == .regular else { continue }
            logs.append(target)
        }
        return logs
    }

    private func existing(_ path: String?) -> String? {
        guard let path, (try? host.status(path, followLinks: true)) != nil else { return nil }
        return path
    }

    // MARK: Crashed bare servers

    /// Logs in the conventional directories, written inside the window, that no known
    /// server writes and that hold a boot failure.
    private func crashedServers(alreadyRead: Set<String>, unavailable: inout [Unavailable]) -> [ManagedService] {
        var found: [ManagedService] = []
        for directory in Self.conventionalLogDirectories {
            let entries: [String]
            do {
                entries = try host.list(directory)
            } catch {
                if case .permissionDenied = error {
                    unavailable.append(Unavailable(what: "app-server log directory \(directory)", reason: error.description))
                }
                continue // absent (the usual case) or not in this snapshot
            }
            var candidates: [(path: String, modified: Double)] = []
            for name in entries where Self.isLogName(name) {
                let path = directory + "/" + name
                guard !alreadyRead.contains(path), let status = try? host.status(path, followLinks: true), status.kind == .regular,
                      status.modified >= windowStart.timeIntervalSince1970 else { continue }
                candidates.append((path, status.modified))
            }
            for candidate in candidates.sorted(by: { $0.modified > $1.modified }).prefix(Self.maxFilesPerDirectory) {
                guard let window = window(candidate.path, unavailable: &unavailable) else { continue }
                let failures = AppServerLog.classify(lines: window.lines, source: candidate.path,
                                                     firstLineNumber: window.firstLineNumber)
                guard !failures.isEmpty else { continue }
                let binds = AppServerLogFiles.listeningBinds(lines: window.lines, source: candidate.path)
                found.append(ManagedService(manager: "none", name: "log \(candidate.path)", state: "not running",
                                            stateDetail: "no process of it is running; it is known from its log only",
                                            binds: binds, logFiles: [candidate.path], startupFailures: Self.sorted(failures),
                                            source: candidate.path))
            }
        }
        return found
    }

    /// Crontabs with a user field, crontabs without one (Debian's, then RHEL's spool), and rc.local.
    static let crontabFiles = ["/etc/crontab"]
    static let crontabDirectories: [(path: String, hasUserField: Bool)] = [
        ("/etc/cron.d", true), ("/var/spool/cron/crontabs", false), ("/var/spool/cron", false),
    ]
    static let bootScripts = ["/etc/rc.local"]

    /// Servers an `@reboot` crontab line or rc.local starts that are not running now: the
    /// files their line names (`--error-logfile`, `>> app.log 2>&1`) are their log.
    private func scriptStartedServers(alreadyRead: Set<String>, unavailable: inout [Unavailable]) -> [ManagedService] {
        var started: [ScriptStartedServer] = []
        for file in Self.crontabFiles {
            if let text = readOptional(file, into: &unavailable) {
                started += StartupScriptCommands.crontab(text, file: file, hasUserField: true)
            }
        }
        for (directory, hasUserField) in Self.crontabDirectories {
            guard let entries = try? host.list(directory) else { continue }
            for name in entries where !name.hasPrefix(".") {
                let path = directory + "/" + name
                guard (try? host.status(path, followLinks: true))?.kind == .regular,
                      let text = readOptional(path, into: &unavailable) else { continue }
                started += StartupScriptCommands.crontab(text, file: path, hasUserField: hasUserField)
            }
        }
        for file in Self.bootScripts {
            if let text = readOptional(file, into: &unavailable) { started += StartupScriptCommands.script(text, file: file) }
        }
        var found: [ManagedService] = []
        for server in started where !isRunning(server) {
            let parsed = AppServerCommandLine.parse(server.argv, workingDirectory: server.workingDirectory)
            var logs = AppServerLogFiles.fromCommandLine(server.argv, workingDirectory: parsed?.directory ?? server.workingDirectory)
                .filter { $0.role == .error }.map(\.path)
            for file in [server.stderrFile, server.stdoutFile].compactMap({ $0 }) {
                // Relative to the `cd` before it; without one, cron's start directory (the user's home) is unknown.
                let path = file.hasPrefix("/") ? file : server.workingDirectory.map { ($0 as NSString).appendingPathComponent(file) }
                if let path = path.map({ ($0 as NSString).standardizingPath }), !logs.contains(path) { logs.append(path) }
            }
            logs = logs.filter { $0.hasPrefix("/") && !$0.hasPrefix("/dev/") && !alreadyRead.contains($0) }
            var failures: [StartupFailure] = []
            var read: [String] = []
            for log in logs {
                guard let window = window(log, unavailable: &unavailable) else { continue }
                read.append(log)
                failures += AppServerLog.classify(lines: window.lines, source: log, firstLineNumber: window.firstLineNumber,
                                                  program: parsed?.kind, appPackages: Self.appPackages(server.argv))
            }
            guard !failures.isEmpty else { continue }
            found.append(ManagedService(manager: "none", name: "\(server.schedule) in \(server.source)", state: "not running",
                                        stateDetail: "no process this line starts is running",
                                        command: Redactor.redact(arguments: server.argv),
                                        binds: parsed.map { $0.applying(configBinds: [], timeoutSeconds: nil).binds } ?? [],
                                        logFiles: read, startupFailures: Self.sorted(failures), source: server.source))
        }
        return found
    }

    /// Whether a running app server is the one this line starts: its argv ends with the
    /// line's arguments and runs the same program (a venv script runs as `python3 SCRIPT …`).
    private func isRunning(_ server: ScriptStartedServer) -> Bool {
        let arguments = Redactor.redact(arguments: Array(server.argv.dropFirst()))
        let program = (server.argv[0] as NSString).lastPathComponent
        return appServers.contains { running in
            let argv = running.cmdline
            guard argv.count > arguments.count, Array(argv.suffix(arguments.count)) == arguments else { return false }
            return (argv[argv.count - arguments.count - 1] as NSString).lastPathComponent == program
        }
    }

    private func readOptional(_ path: String, into unavailable: inout [Unavailable]) -> String? {
        do {
            return String(decoding: try host.readFile(path, maxBytes: Self.maxConfigBytes), as: UTF8.self)
        } catch {
            if case .permissionDenied = error {
                unavailable.append(Unavailable(what: "startup script \(path)", reason: error.description))
            }
            return nil
        }
    }

    /// `error.log`, `app.log`, `gunicorn-error.log`; not rotated (`.1`, `.gz`) nor access logs.
    static func isLogName(_ name: String) -> Bool {
        name.hasSuffix(".log") && !name.lowercased().contains("access") && !name.hasPrefix(".")
    }

    // MARK: Reading

    private func window(_ path: String, unavailable: inout [Unavailable]) -> LogWindowReader.Window? {
        do {
            return try LogWindowReader(host: host).read(path, since: windowStart)
        } catch {
            switch error {
            case .notFound, .notRecorded: break
            default: unavailable.append(Unavailable(what: "app-server log \(path)", reason: error.description))
            }
            return nil
        }
    }

    private static func sorted(_ failures: [StartupFailure]) -> [StartupFailure] {
        failures.sorted { ($0.time ?? .distantPast) < ($1.time ?? .distantPast) }
    }

    /// The app's own top-level packages from a WSGI/ASGI target in argv (`labsite.wsgi:application` → `labsite`).
    static func appPackages(_ argv: [String]) -> Set<String> {
        SupervisorGatherer.appPackages(argv)
    }
}
