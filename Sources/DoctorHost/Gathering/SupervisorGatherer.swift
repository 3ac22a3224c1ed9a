import DoctorFacts
import DoctorParsers
import Foundation

/// Reads supervisord's view of its programs: the config the running supervisord uses
/// (with its includes), `supervisorctl status`, and each program's log window, which is
/// where a boot crash's traceback lands.
struct SupervisorGatherer: Sendable {
    let host: any Host
    let processes: [ProcessRecord]
    let options: GatherOptions
    let windowStart: Date
    /// The proxy's network namespace: a supervisord in another one (another site's
    /// container or lab) is not managing this proxy's upstreams. `nil` keeps them all.
    var proxyNamespace: String?
    /// The diagnosis's one read of /etc/passwd and /etc/group; `nil` reads them here.
    var accounts: SharedAccounts?

    static let defaultConfigs = ["/etc/supervisor/supervisord.conf", "/etc/supervisord.conf"]
    static let maxConfigBytes = 1 << 20

    func gather() async -> (services: [ManagedService], unavailable: [Unavailable]) {
        var unavailable: [Unavailable] = []
        var configs: [String] = []
        for process in processes where process.cmdline.contains(where: { $0.hasSuffix("supervisord") || $0.hasPrefix("supervisord") }) {
            if let proxyNamespace, let namespace = process.netNamespace, namespace != proxyNamespace { continue }
            configs.append(Self.configPath(process.cmdline, cwd: process.cwd) ?? Self.defaultConfigs[0])
        }
        let othersRun = processes.contains { $0.cmdline.contains(where: { $0.hasSuffix("supervisord") }) }
        if configs.isEmpty, !othersRun, let existing = Self.defaultConfigs.first(where: { (try? host.status($0, followLinks: true)) != nil }) {
            configs.append(existing)
        }
        var services: [ManagedService] = []
        var resolver: ServiceDefinitionResolver? // accounts are read once, when there is a program
        for config in Set(configs).sorted() {
            guard let programs = readPrograms(config, into: &unavailable), !programs.isEmpty else { continue }
            let output = await host.run(.supervisorStatus(config: config), timeout: options.commandTimeout,
                                        outputLimit: options.commandOutputLimit)
            var statuses: [String: SupervisorProcessStatus] = [:]
            if let failure = output.failure ?? SupervisorStatus.failure(output.stdout + output.stderr) {
                unavailable.append(Unavailable(what: "supervisorctl -c \(config) status", reason: failure))
            } else {
                for status in SupervisorStatus.parse(output.stdout) { statuses[status.name] = status }
            }
            if resolver == nil {
                let (accounts, problems) = self.accounts?.get() ?? ServiceDefinitionResolver.readAccounts(host)
                unavailable += problems
                resolver = ServiceDefinitionResolver(host: host, accounts: accounts)
            }
            for program in programs {
                var managed = service(program, statuses: statuses, resolver: resolver, unavailable: &unavailable)
                managed.managerConfig = config
                services.append(managed)
            }
        }
        return (services, unavailable)
    }

    private func service(_ program: SupervisorProgram, statuses: [String: SupervisorProcessStatus],
                         resolver: ServiceDefinitionResolver?, unavailable: inout [Unavailable]) -> ManagedService {
        let status = program.statusNames.lazy.compactMap { statuses[$0] }.first ?? statuses[program.name]
        let argv = program.argv ?? []
        let parsed = AppServerCommandLine.parse(argv, startDirectory: program.directory)
        var logs: [String] = []
        for file in [program.stderrLogfile, program.stdoutLogfile] {
            if case let .path(path) = file, !logs.contains(path) { logs.append(path) }
        }
        var definition: ServiceDefinition?
        if let resolver { definition = resolve(program, parsed: parsed, resolver: resolver, unavailable: &unavailable) }
        var failures: [StartupFailure] = []
        var kills: [WorkerKill] = []
        let reader = LogWindowReader(host: host)
        for log in logs {
            do {
                let window = try reader.read(log, since: windowStart)
                failures += AppServerLog.classify(lines: window.lines, source: log, firstLineNumber: window.firstLineNumber,
                                                  program: parsed?.kind, appPackages: Self.appPackages(argv),
                                                  settingsModule: definition?.settingsModule?.module)
                kills += WorkerKillLog.parse(lines: window.lines, source: log, firstLineNumber: window.firstLineNumber)
            } catch {
                if case .notFound = error { continue } // nothing logged yet
                unavailable.append(Unavailable(what: "supervisor log \(log)", reason: error.description))
            }
        }
        var service = ManagedService(manager: "supervisor", name: status?.name ?? program.name,
                                     state: status?.state, stateDetail: status?.description, pid: status?.pid,
                                     command: Redactor.redact(arguments: argv), binds: parsed?.binds ?? [], logFiles: logs,
                                     startupFailures: failures.sorted { ($0.time ?? .distantPast) < ($1.time ?? .distantPast) },
                                     source: program.location)
        service.definition = definition
        service.kills = kills.sorted { ($0.time ?? .distantPast) < ($1.time ?? .distantPast) }
        return service
    }

    /// The program's start settings as a `ServiceSpec`, resolved against the host. The section is
    /// read again for its setting lines and `environment=` entries (emptiness, the settings module).
    private func resolve(_ program: SupervisorProgram, parsed: ParsedAppServer?, resolver: ServiceDefinitionResolver,
                            unavailable: inout [Unavailable]) -> ServiceDefinition {
        let file = program.location.split(separator: ":").dropLast().joined(separator: ":")
        let text = (try? host.readFile(file, maxBytes: Self.maxConfigBytes)).map { String(decoding: $0, as: UTF8.self) }
        host.maskInlineEnvironment(file, dialect: .supervisor)
        let source = text.flatMap { SupervisorProgramSources.parse($0, file: file)[program.name] } ?? SupervisorProgramSource()
        func at(_ key: String) -> String { source.location(key, file: file) ?? program.location }
        let environmentLocation = at("environment")
        var spec = ServiceSpec(manager: "supervisor", command: program.argv ?? [], commandLocation: at("command"))
        spec.workingDirectory = program.directory.map { ServiceSpec.Path($0, location: at("directory")) }
        spec.environment = source.environment.map {
            ServiceEnvironmentVariable(name: $0.name, isEmpty: $0.isEmpty, location: environmentLocation)
        }
        if let module = source.environment.last(where: { $0.settingsModule != nil })?.settingsModule {
            spec.settingsModule = ServiceSetting(value: module, location: environmentLocation)
        }
        spec.user = program.user.map { ServiceSetting(value: $0, location: at("user")) }
        // supervisor's default is `unexpected` (restart on an unexpected exit code); only an explicit value has a line.
        spec.restart = ServiceSetting(value: program.autorestart, location: source.location("autorestart", file: file))
        spec.unixSockets = (parsed?.binds ?? []).compactMap { bind in
            if case let .unix(path) = bind.endpoint { return path }
            return nil
        }
        let (definition, problems) = resolver.resolve(spec)
        unavailable += problems
        return definition
    }

    private func readPrograms(_ config: String, into unavailable: inout [Unavailable]) -> [SupervisorProgram]? {
        guard let text = read(config, into: &unavailable) else { return nil }
        let main = SupervisorConfig.parse(text, file: config)
        var programs = main.programs
        var groups = main.groups
        let directory = (config as NSString).deletingLastPathComponent
        for glob in main.includeGlobs {
            let pattern = glob.hasPrefix("/") ? glob : directory + "/" + glob
            for file in expand(pattern) {
                guard let included = read(file, into: &unavailable) else { continue }
                let parsed = SupervisorConfig.parse(included, file: file)
                programs += parsed.programs
                groups.merge(parsed.groups) { first, _ in first }
            }
        }
        return SupervisorConfig.resolveGroups(programs, groups: groups)
    }

    /// `conf.d/*.conf`: a glob in the last component only, as supervisor's configs use it.
    private func expand(_ pattern: String) -> [String] {
        let directory = (pattern as NSString).deletingLastPathComponent
        let name = (pattern as NSString).lastPathComponent
        guard name.contains("*") || name.contains("?") else { return [pattern] }
        let entries = (try? host.list(directory)) ?? []
        return entries.filter { fnmatch(name, $0, 0) == 0 }.sorted().map { directory + "/" + $0 }
    }

    private func read(_ path: String, into unavailable: inout [Unavailable]) -> String? {
        do {
            let text = String(decoding: try host.readFile(path, maxBytes: Self.maxConfigBytes), as: UTF8.self)
            // environment= values (API keys, DSNs) never reach a snapshot, whatever their names.
            host.maskInlineEnvironment(path, dialect: .supervisor)
            return text
        } catch {
            unavailable.append(Unavailable(what: "supervisor config \(path)", reason: error.description))
            return nil
        }
    }

    /// `supervisord -c FILE` / `--configuration=FILE`.
    static func configPath(_ cmdline: [String], cwd: String?) -> String? {
        let words = cmdline.count == 1 ? cmdline[0].split(separator: " ").map(String.init) : cmdline
        for (index, word) in words.enumerated() {
            var value: String?
            if word == "-c" || word == "--configuration", index + 1 < words.count { value = words[index + 1] }
            if word.hasPrefix("--configuration=") { value = String(word.dropFirst("--configuration=".count)) }
            if let value {
                if value.hasPrefix("/") { return value }
                return (cwd ?? "/") + "/" + value
            }
        }
        return nil
    }

    /// The app's own top-level packages from a WSGI/ASGI target (`labsite.wsgi:application` → `labsite`),
    /// so an import error in the app is told from a missing third-party package.
    static func appPackages(_ argv: [String]) -> Set<String> {
        var packages = Set<String>()
        for word in argv where !word.hasPrefix("-") && word.contains(":") && !word.contains("/") && !word.contains("=") {
            if let module = word.split(separator: ":").first, let top = module.split(separator: ".").first, !top.isEmpty,
               top.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) {
                packages.insert(String(top))
            }
        }
        return packages
    }
}
