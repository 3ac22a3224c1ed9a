import DoctorFacts
import DoctorParsers
import Foundation

/// Reads systemd's view of the services that run app servers: their unit files with drop-ins
/// (and a `.socket` unit beside them), `systemctl show` for their state, and `journalctl` for the
/// log window, where a boot crash's traceback and Gunicorn's worker kills land.
///
/// Which units: the ones whose cgroup holds a running app server (`/proc/PID/cgroup`), and every
/// `.service` in the system unit directories whose `ExecStart=` runs one (a stopped or failed
/// unit has no process to find it by). Where systemd is not PID 1 (a container, this lab's
/// host), `systemctl` cannot operate: the unit files still give the static facts, and the
/// missing states and journal are one `Unavailable` each.
struct SystemdGatherer: Sendable {
    let host: any Host
    let processes: [ProcessRecord]
    let options: GatherOptions
    let windowStart: Date
    /// The proxy's network namespace: TCP binds of a unit whose processes run in another one
    /// (`PrivateNetwork=`, a container) are not reachable from the proxy. `nil` keeps them all.
    var proxyNamespace: String?
    /// Where unit files are looked for (tests point it at temporary directories).
    var unitDirectories: [String] = SystemdGatherer.unitDirectories
    /// The diagnosis's one read of /etc/passwd and /etc/group; `nil` reads them here.
    var accounts: SharedAccounts?

    /// The unit directories searched for app-server units, highest precedence first (on a merged-/usr
    /// system /lib is /usr/lib: the same names appear twice and the first one wins).
    static let unitDirectories = ["/etc/systemd/system", "/run/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system"]
    static let maxUnitBytes = 1 << 20
    /// Words one of which a unit file must contain before it is parsed: there can be hundreds of units.
    static let serverWords = ["gunicorn", "uvicorn", "uwsgi", "daphne", "hypercorn", "python", "node"]
    /// Journal entries are about 1 KB in `-o json`; the newest 1000 of a unit fit well under this.
    static let journalOutputLimit = 2 << 20

    /// One app-server unit as read from disk.
    struct UnitFile {
        var name: String
        var unit: SystemdUnit
        var server: ParsedAppServer?
        var argv: [String]
        var socketBinds: [AppServerBind]
        var socketUnit: SystemdUnit?
    }

    func gather() async -> (services: [ManagedService], unavailable: [Unavailable]) {
        var unavailable: [Unavailable] = []
        let running = runningUnits()
        var listings: [String: [String]] = [:]
        for directory in unitDirectories {
            do {
                listings[directory] = try host.list(directory)
            } catch {
                switch error {
                case .notFound, .notRecorded: continue
                default: unavailable.append(Unavailable(what: "systemd unit directory \(directory)", reason: error.description))
                }
            }
        }
        var units: [UnitFile] = []
        var seen = Set<String>()
        var names: [String] = []
        for directory in unitDirectories {
            // A template (`app@.service`) runs nothing by itself: only its instances count.
            for entry in listings[directory] ?? [] where entry.hasSuffix(".service") && !entry.contains("@.") && !seen.contains(entry) {
                seen.insert(entry)
                names.append(entry)
            }
        }
        // Instances (`app@1.service`) are found by their cgroup or where they are enabled
        // (`multi-user.target.wants/app@1.service`); their file is the template's.
        for instance in (Array(running.keys) + enabledInstances(listings)).sorted() where !seen.contains(instance) {
            seen.insert(instance)
            names.append(instance)
        }
        for name in names {
            let isRunning = running[name] != nil
            if let unit = readUnit(name, listings: listings, mustRunServer: !isRunning, into: &unavailable) {
                units.append(unit)
            }
        }
        guard !units.isEmpty else { return ([], unavailable) }
        // Template files have no state of their own; only instances and plain units are asked about.
        let asked = units.map(\.name).filter { !$0.contains("@.") }
        var states: [String: ServiceState] = [:]
        var systemdWorks = false
        if !asked.isEmpty {
            let output = await host.run(.systemctlShow(units: asked), timeout: options.commandTimeout,
                                        outputLimit: options.commandOutputLimit)
            if let reason = Self.systemctlProblem(output) {
                unavailable.append(Unavailable(what: "systemd unit states (systemctl show \(asked.joined(separator: " ")))",
                                               reason: reason + "; unit files were read, their states and journal are unknown"))
            } else {
                let parsed = SystemctlShow.states(output.stdout)
                if parsed.count == asked.count {
                    systemdWorks = true
                    for (name, state) in zip(asked, parsed) { states[name] = state }
                } else {
                    unavailable.append(Unavailable(what: "systemd unit states (systemctl show \(asked.joined(separator: " ")))",
                                                   reason: "systemctl answered for \(parsed.count) of \(asked.count) unit(s), so no state is "
                                                       + "trusted; unit files were read; run systemctl status on each unit to see its state"))
                }
            }
        }
        let (accounts, accountProblems) = self.accounts?.get() ?? ServiceDefinitionResolver.readAccounts(host)
        var accountsReported = false
        let resolver = ServiceDefinitionResolver(host: host, accounts: accounts)
        var services: [ManagedService] = []
        var journalProblem: String?
        for file in units {
            var service = makeService(file, state: states[file.name], running: running[file.name] ?? [])
            let (definition, problems) = resolver.resolve(spec(file, binds: service.binds))
            service.definition = definition
            unavailable += problems
            if systemdWorks, states[file.name] != nil {
                let journal = await readJournal(file, settingsModule: definition.settingsModule?.module)
                if let problem = journal.problem { journalProblem = journalProblem ?? problem }
                service.startupFailures = journal.failures
                service.kills = journal.kills
            }
            readLogFiles(file, settingsModule: definition.settingsModule?.module, into: &service, unavailable: &unavailable)
            if !accountsReported, definition.user != nil || definition.group != nil {
                unavailable += accountProblems
                accountsReported = true
            }
            services.append(service)
        }
        if let journalProblem {
            unavailable.append(Unavailable(what: "systemd journal (journalctl -u UNIT)", reason: journalProblem))
        }
        return (services, unavailable)
    }

    // MARK: - Units

    /// Units whose cgroup holds a running app server, with those processes (masters only:
    /// workers share their master's cgroup, so reading theirs would only cost).
    func runningUnits() -> [String: [ProcessRecord]] {
        let byPID = Dictionary(processes.map { ($0.pid, $0) }, uniquingKeysWith: { first, _ in first })
        var units: [String: [ProcessRecord]] = [:]
        for process in processes where AppServerCommandLine.parse(process.cmdline, workingDirectory: process.cwd) != nil {
            if let parent = byPID[process.ppid], parent.serverName == process.serverName { continue }
            guard let bytes = try? host.readFile("/proc/\(process.pid)/cgroup", maxBytes: 64 << 10),
                  let unit = SystemdCgroup.serviceUnit(String(decoding: bytes, as: UTF8.self)) else { continue }
            units[unit, default: []].append(process)
        }
        return units
    }

    /// Template instances enabled in /etc/systemd/system's `*.wants/` directories.
    func enabledInstances(_ listings: [String: [String]]) -> [String] {
        let directory = unitDirectories[0]
        var instances: [String] = []
        for wants in listings[directory] ?? [] where wants.hasSuffix(".wants") {
            for entry in (try? host.list(directory + "/" + wants)) ?? []
            where entry.hasSuffix(".service") && entry.contains("@") && !entry.contains("@.") && !instances.contains(entry) {
                instances.append(entry)
            }
        }
        return instances
    }

    /// The unit with its drop-ins, or `nil` when it does not run an app server (and is not known to).
    func readUnit(_ name: String, listings: [String: [String]], mustRunServer: Bool,
                  into unavailable: inout [Unavailable]) -> UnitFile? {
        let fileName = SystemdCgroup.template(of: name)
        guard let directory = unitDirectories.first(where: { listings[$0]?.contains(fileName) == true }) else { return nil }
        let path = directory + "/" + fileName
        guard let text = read(path, what: "systemd unit", into: &unavailable) else { return nil }
        // A drop-in can set ExecStart= (`systemctl edit app.service`): only a unit without one is
        // judged by its own file's text.
        let hasDropIns = Set([name + ".d", fileName + ".d"]).contains { dropIn in
            unitDirectories.contains { listings[$0]?.contains(dropIn) == true }
        }
        if mustRunServer, !hasDropIns {
            // The cheap test first: most units on a host are the distribution's own.
            guard text.contains("ExecStart"), Self.serverWords.contains(where: { text.contains($0) }) else {
                host.discardContents(path)
                return nil
            }
        }
        var unit = SystemdUnitFile.parse(text, file: path)
        unit = unit.merging(dropIns: dropIns(for: name, listings: listings, into: &unavailable))
        let argv = unit.execStart.first?.argv ?? []
        let workingDirectory = unit.workingDirectory?.path
        // A system unit without WorkingDirectory= starts in / (systemd.exec).
        let server = AppServerCommandLine.parse(argv, startDirectory: workingDirectory ?? "/")
        if mustRunServer, server == nil {
            host.discardContents(path)
            return nil
        }
        var socketBinds: [AppServerBind] = []
        var socketUnit: SystemdUnit?
        let socketName = (unit.value("Service", "Sockets")?.value.split(separator: " ").first.map(String.init))
            ?? String(fileName.dropLast(".service".count)) + ".socket"
        if let socketDirectory = unitDirectories.first(where: { listings[$0]?.contains(socketName) == true }),
           let socketText = read(socketDirectory + "/" + socketName, what: "systemd socket unit", into: &unavailable) {
            let parsed = SystemdUnitFile.parse(socketText, file: socketDirectory + "/" + socketName)
            socketUnit = parsed
            socketBinds = SystemdSocketListen.binds(parsed)
        }
        return UnitFile(name: name, unit: unit, server: server, argv: argv, socketBinds: socketBinds, socketUnit: socketUnit)
    }

    /// `NAME.service.d/*.conf` (and the template's `NAME@.service.d/`) in every unit directory,
    /// in the order systemd applies them.
    func dropIns(for name: String, listings: [String: [String]], into unavailable: inout [Unavailable]) -> [SystemdUnit] {
        var directoryNames = [name + ".d"]
        let template = SystemdCgroup.template(of: name)
        if template != name { directoryNames.insert(template + ".d", at: 0) }
        var paths: [String] = []
        var masked = Set<String>()
        var texts: [String: String] = [:]
        for directory in unitDirectories {
            for dropInDirectory in directoryNames where listings[directory]?.contains(dropInDirectory) == true {
                let full = directory + "/" + dropInDirectory
                guard let entries = try? host.list(full) else { continue }
                for entry in entries where entry.hasSuffix(".conf") {
                    let path = full + "/" + entry
                    paths.append(path)
                    guard let text = read(path, what: "systemd drop-in", into: &unavailable) else { continue }
                    // An empty drop-in (or a symlink to /dev/null, which reads empty) masks its name.
                    if text.allSatisfy(\.isWhitespace) { masked.insert(path) } else { texts[path] = text }
                }
            }
        }
        // A template's drop-ins apply before the instance's own ones of the same precedence.
        return SystemdDropIns.order(paths, masked: masked).compactMap { path in
            texts[path].map { SystemdUnitFile.parse($0, file: path) }
        }
    }

    private func read(_ path: String, what: String, into unavailable: inout [Unavailable]) -> String? {
        do {
            let text = String(decoding: try host.readFile(path, maxBytes: Self.maxUnitBytes), as: UTF8.self)
            // Environment= values (API keys, DSNs) never reach a snapshot, whatever their names.
            host.maskInlineEnvironment(path, dialect: .systemd)
            return text
        } catch {
            switch error {
            case .notFound, .notRecorded: break
            default: unavailable.append(Unavailable(what: "\(what) \(path)", reason: error.description))
            }
            return nil
        }
    }

    // MARK: - Service

    func makeService(_ file: UnitFile, state: ServiceState?, running: [ProcessRecord]) -> ManagedService {
        var binds = file.server?.binds ?? []
        binds += file.socketBinds.filter { bind in !binds.contains { $0.endpoint != nil && $0.endpoint == bind.endpoint } }
        if !reachesProxyNetwork(file.unit, running: running) {
            // Its loopback is not the proxy's: only unix sockets (shared through the file system) count.
            binds = binds.filter { if case .tcp = $0.endpoint { false } else { true } }
        }
        var service = ManagedService(manager: "systemd", name: file.name, state: state?.activeState,
                                     stateDetail: state?.subState, pid: state?.mainPID ?? running.first?.pid,
                                     command: Redactor.redact(arguments: file.argv), binds: binds,
                                     logFiles: [], startupFailures: [],
                                     source: file.unit.execStart.first?.location ?? file.unit.files.first)
        service.restarts = state?.restarts
        service.result = state?.result
        service.exitStatus = state?.execMainStatus
        service.activeSince = state?.activeEnterTimestamp
        service.inactiveSince = state?.inactiveEnterTimestamp
        // `--error-logfile` / `--log-file` on the command line is where the traceback goes instead of the journal.
        service.logFiles = Self.logFileOptions(file.argv)
        return service
    }

    /// `false` when the unit's app server runs in another network namespace than the proxy's
    /// (seen from its processes), or the unit gives it a private one (`PrivateNetwork=yes`,
    /// `NetworkNamespacePath=`) and it is not running to tell.
    func reachesProxyNetwork(_ unit: SystemdUnit, running: [ProcessRecord]) -> Bool {
        guard let proxyNamespace else { return true }
        let namespaces = running.compactMap(\.netNamespace)
        if !namespaces.isEmpty { return namespaces.contains(proxyNamespace) }
        if let value = unit.value("Service", "PrivateNetwork")?.value.lowercased(), ["yes", "true", "1", "on"].contains(value) {
            return false
        }
        return unit.value("Service", "NetworkNamespacePath") == nil
    }

    /// Log files an app server's own options name (`--error-logfile`, `--log-file`, `--access-logfile`).
    static func logFileOptions(_ argv: [String]) -> [String] {
        var files: [String] = []
        let options = ["--error-logfile", "--log-file", "--access-logfile"]
        for (index, word) in argv.enumerated() {
            var value: String?
            if options.contains(word), index + 1 < argv.count { value = argv[index + 1] }
            for option in options where word.hasPrefix(option + "=") { value = String(word.dropFirst(option.count + 1)) }
            if let value, value.hasPrefix("/"), !files.contains(value) { files.append(value) }
        }
        return files
    }

    // MARK: - Journal

    /// The unit's journal in the window: boot failures from the app server's lines (systemd's own
    /// lines are left out: they repeat the exit, not its cause) and worker kills.
    func readJournal(_ file: UnitFile, settingsModule: String?) async -> (failures: [StartupFailure], kills: [WorkerKill], problem: String?) {
        let since = Int(windowStart.timeIntervalSince1970.rounded(.down))
        let output = await host.run(.journal(unit: file.name, sinceEpoch: since), timeout: options.commandTimeout,
                                    outputLimit: Self.journalOutputLimit)
        if let failure = output.failure { return ([], [], failure) }
        if output.exitCode != 0 {
            let said = output.stderr.split(whereSeparator: \.isNewline).first.map(String.init) ?? "exit status \(output.exitCode ?? -1)"
            return ([], [], said)
        }
        let entries = JournalJSON.parse(output.stdout).filter { $0.pid != 1 && $0.message != nil }
        let lines = entries.map { Substring($0.message ?? "") }
        let times = entries.map(\.date)
        let failures = AppServerLog.classify(lines: lines, source: "journal", firstLineNumber: nil, program: file.server?.kind,
                                             appPackages: SupervisorGatherer.appPackages(file.argv), settingsModule: settingsModule)
        let kills = WorkerKillLog.parse(lines: lines, source: "journal", firstLineNumber: nil, times: times)
        return (failures.sorted { ($0.time ?? .distantPast) < ($1.time ?? .distantPast) }, kills, nil)
    }

    /// The app server's own log files (`--error-logfile`), read like a supervisor program's logs.
    func readLogFiles(_ file: UnitFile, settingsModule: String?, into service: inout ManagedService, unavailable: inout [Unavailable]) {
        let reader = LogWindowReader(host: host)
        for log in service.logFiles {
            do {
                let window = try reader.read(log, since: windowStart)
                service.startupFailures += AppServerLog.classify(lines: window.lines, source: log, firstLineNumber: window.firstLineNumber,
                                                                 program: file.server?.kind,
                                                                 appPackages: SupervisorGatherer.appPackages(file.argv),
                                                                 settingsModule: settingsModule)
                service.kills += WorkerKillLog.parse(lines: window.lines, source: log, firstLineNumber: window.firstLineNumber)
            } catch {
                switch error {
                case .notFound, .notRecorded: continue
                default: unavailable.append(Unavailable(what: "app server log \(log)", reason: error.description))
                }
            }
        }
    }

    /// Why `systemctl` gave no states, or `nil` when it answered.
    static func systemctlProblem(_ output: CommandResult) -> String? {
        if let failure = output.failure { return "systemctl: \(failure)" }
        if let said = SystemctlShow.cannotOperate(output.stderr) {
            return "systemctl cannot operate here (\(said)): systemd is not PID 1"
        }
        if output.exitCode != 0 {
            let said = output.stderr.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
            return "systemctl show exited with \(output.exitCode ?? -1)" + (said.isEmpty ? "" : ": \(said)")
        }
        return nil
    }

    // MARK: - Definition

    /// What the unit says about starting it, for `ServiceDefinitionResolver`.
    func spec(_ file: UnitFile, binds: [AppServerBind]) -> ServiceSpec {
        let unit = file.unit
        let workingDirectory = unit.workingDirectory.flatMap { directory in
            directory.path.map { ServiceSpec.Path($0, optional: directory.optional, location: directory.location) }
        }
        var bootCreated: [ServiceSetting] = []
        if let socketUnit = file.socketUnit {
            for bind in SystemdSocketListen.binds(socketUnit) {
                if case let .unix(path) = bind.endpoint {
                    bootCreated.append(ServiceSetting(value: (path as NSString).deletingLastPathComponent, location: bind.source))
                }
            }
        }
        let environmentAssignments = unit.values("Service", "Environment")
        let settingsModule = environmentAssignments.reversed().lazy.compactMap { assignment in
            ServiceDefinitionResolver.settingsModule(inAssignments: assignment.value).map {
                ServiceSetting(value: $0, location: assignment.location)
            }
        }.first
        var spec = ServiceSpec(
            manager: "systemd", command: file.argv, commandLocation: unit.execStart.first?.location,
            workingDirectory: workingDirectory,
            environmentFiles: unit.environmentFiles.map { ServiceSpec.Path($0.path, optional: $0.optional, location: $0.location) },
            environmentFileDialect: .systemd,
            environment: unit.environmentNames.map { ServiceEnvironmentVariable(name: $0.name, isEmpty: $0.isEmpty, location: $0.location) },
            settingsModule: settingsModule,
            user: unit.value("Service", "User").map { ServiceSetting(value: $0.value, location: $0.location) },
            group: unit.value("Service", "Group").map { ServiceSetting(value: $0.value, location: $0.location) },
            runtimeDirectories: unit.runtimeDirectories, bootCreatedDirectories: bootCreated,
            restart: unit.value("Service", "Restart").map { ServiceSetting(value: $0.value, location: $0.location) },
            unixSockets: binds.compactMap { if case let .unix(path) = $0.endpoint { path } else { nil } })
        // DynamicUser= allocates the account at start: its absence from /etc/passwd is expected.
        spec.dynamicUser = unit.value("Service", "DynamicUser").map { ["yes", "true", "on", "1"].contains($0.value.lowercased()) } ?? false
        // An ExecStartPre=mkdir -p /run/app recreates the socket directory on every start.
        spec.preStartCommands = unit.execCommands("ExecStartPre").commands.map { ($0.argv, $0.location) }
        return spec
    }
}
