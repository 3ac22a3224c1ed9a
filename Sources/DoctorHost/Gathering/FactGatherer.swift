import DoctorFacts
import DoctorParsers
import Foundation

/// Turns what a `Host` returns into typed `Facts`. A read that fails becomes an
/// `Unavailable` fact and gathering goes on: the diagnosis always runs on what exists.
public struct FactGatherer: Sendable {
    public let host: any Host
    public let options: GatherOptions

    public init(host: any Host, options: GatherOptions) {
        self.host = host
        self.options = options
    }

    public func gather() async -> Facts {
        var facts = Facts(gatheredAt: host.referenceTime, fromSnapshot: host.isSnapshot)
        // With --nginx-conf the main file is known before the process table is: start
        // parsing it now, on the other core, while /proc is scanned.
        let wanted = options.nginxConfig.map { NginxGatherer.absolute($0, against: FileManager.default.currentDirectoryPath) }
        async let early = wanted.map { path in
            NginxGatherer.Preloaded(path: path, config: NginxConfigLoader.load(mainFile: path, reader: host,
                                                                                 maxFileBytes: NginxGatherer.maxConfigFileBytes))
        }
        let (processes, processError) = Self.capture { () throws(HostError) in try host.processes() }
        if let processError {
            facts.unavailable.append(Unavailable(what: Unavailable.processTable, reason: processError.description))
        }
        let table = processes ?? []
        facts.processes = table
        // The socket tables and the config parse are independent; on two cores, overlap them.
        async let tables = readListeners(holders: table)
        // `--caddyfile` alone asks about one Caddy: no nginx from elsewhere on the machine (and the reverse, see CaddyGatherer).
        let nginxWanted = options.nginxConfig != nil || options.caddyfile == nil
        let nginx = nginxWanted ? await NginxGatherer(host: host, options: options, processes: table, preloaded: early).gather()
            : NginxGatherer.Result()
        let caddy = await CaddyGatherer(host: host, options: options, processes: table).gather()
        let (listeners, listenerError) = await tables
        if let listenerError {
            facts.unavailable.append(Unavailable(what: Unavailable.listenerTable, reason: listenerError.description))
        }
        facts.listeners = listeners ?? []
        facts.proxies += nginx.proxies
        facts.routes += nginx.routes
        facts.unavailable += nginx.unavailable
        facts.proxies += caddy.proxies
        facts.routes += caddy.routes
        facts.unavailable += caddy.unavailable

        for index in facts.routes.indices {
            facts.routes[index].servedBy = facts.servingDescription(for: facts.routes[index])
        }
        guard options.forDiagnosis else { return facts }
        facts.windowStart = host.referenceTime.addingTimeInterval(-Double(options.sinceSeconds))
        // Once: without an nginx master it is a readlink of /proc/self/ns/net.
        let namespace = proxyNamespace(facts)
        let accounts = SharedAccounts(host: host)
        gatherSockets(into: &facts, accounts: accounts)
        if let start = facts.windowStart {
            let supervised = await SupervisorGatherer(host: host, processes: facts.processes, options: options,
                                                      windowStart: start, proxyNamespace: namespace,
                                                      accounts: accounts).gather()
            facts.services += supervised.services
            facts.unavailable += supervised.unavailable
        }
        if let start = facts.windowStart {
            let systemd = await SystemdGatherer(host: host, processes: facts.processes, options: options,
                                                windowStart: start, proxyNamespace: namespace,
                                                accounts: accounts).gather()
            facts.services += systemd.services
            facts.unavailable += systemd.unavailable
        }
        // After the managers: a relative `-c`/`--ini` resolves against the directory one started its server in.
        // gunicorn.conf.py and uWSGI ini files: read and parsed once for the three gatherers that need them.
        let configs = SharedConfigFiles(host: host)
        let apps = AppServerGatherer(host: host, processes: facts.processes, listeners: facts.listeners,
                                     proxyNamespace: namespace, services: facts.services, configs: configs).gather()
        facts.appServers = apps.servers
        facts.unavailable += apps.unavailable
        if let start = facts.windowStart {
            // A managed gunicorn with --error-logfile writes its tracebacks there, not to the manager's capture.
            let named = NamedLogFileGatherer(host: host, windowStart: start, configs: configs).complete(facts.services)
            facts.services = named.services
            facts.unavailable += named.unavailable
            // After the managers: what they run is not bare.
            let bare = BareProcessLogGatherer(host: host, processes: facts.processes, appServers: facts.appServers,
                                              services: facts.services, windowStart: start, proxyNamespace: namespace,
                                              routeEndpoints: Set(facts.routes.flatMap(\.target.endpoints)),
                                              configs: configs).gather()
            facts.services += bare.services
            facts.unavailable += bare.unavailable
            // The kernel log explains SIGKILLs in every manager's logs, not only systemd's, and in the
            // --error-logfiles of managed and bare servers: so it is read after all of them.
            let kernel = await KernelLogGatherer(host: host, options: options, windowStart: start).gather(facts.services)
            facts.services = kernel.services
            facts.kernelOOMKills = kernel.kills
            facts.unavailable += kernel.unavailable
        }
        // Releases last among the app-side facts: roots are found from the app servers' and
        // services' paths, and each root's sockets from the routes and the listener table.
        let releases = ReleaseGatherer(host: host, facts: facts).gather()
        facts.releases = releases.layouts
        facts.unavailable += releases.unavailable
        // Logs before probes: a probe through the proxy writes its own error-log line, which
        // must not become evidence of the failure it is probing.
        if let start = facts.windowStart {
            // nginx's logs by their formats; Caddy's JSON lines by their own reader.
            let nginxProxies = facts.proxies.filter { $0.kind == .nginx }
            let logs = ErrorLogGatherer(host: host).gather(nginxProxies, since: start)
            facts.errorLogs = logs.windows
            facts.unavailable += logs.unavailable
            // The access log too, before probes: gwdoctor's own probe requests must not be counted.
            let access = AccessLogGatherer(host: host).gather(nginxProxies, routes: facts.routes, since: start)
            facts.accessLogs = access.windows
            facts.unavailable += access.unavailable
            let caddyLogs = await CaddyLogGatherer(host: host, commandTimeout: options.commandTimeout)
                .gather(facts.proxies, routes: facts.routes, since: start)
            facts.errorLogs += caddyLogs.errors
            facts.accessLogs += caddyLogs.access
            facts.unavailable += caddyLogs.unavailable
        }
        // Compose projects after the proxy and the process table: discovery starts from the proxy's
        // config directories, and the engine is asked only when a daemon runs or a project was found.
        let compose = await ComposeGatherer(host: host, options: options, processes: facts.processes,
                                            proxies: facts.proxies, routes: facts.routes).gather()
        facts.composeProjects = compose.projects
        facts.unavailable += compose.unavailable
        // Disk and memory: a full filesystem or an exhausted machine makes 502s of its own.
        let resources = ResourceGatherer(host: host).gather(facts)
        facts.filesystems = resources.filesystems
        facts.memory = resources.memory
        facts.unavailable += resources.unavailable
        if options.probe, !facts.routes.isEmpty {
            let (probes, unavailable) = await RouteProber(host: host).probe(facts.routes, proxies: facts.proxies)
            facts.routeProbes = probes
            facts.unavailable += unavailable
        }
        return facts
    }

    /// The namespace nginx's workers connect from: its master's, else gwdoctor's own.
    private func proxyNamespace(_ facts: Facts) -> String? {
        if let master = facts.proxies.lazy.compactMap({ $0.masterPID }).first, let process = facts.process(master),
           let namespace = process.netNamespace {
            return namespace
        }
        return try? host.readLink("/proc/self/ns/net")
    }

    /// Every unix-socket target: what is at the path, and whether the proxy's worker user can reach it.
    private func gatherSockets(into facts: inout Facts, accounts shared: SharedAccounts) {
        var paths: [String] = []
        for route in facts.routes {
            for case let .unix(path) in route.target.endpoints where !paths.contains(path) { paths.append(path) }
        }
        guard !paths.isEmpty else { return }
        let (database, problems) = shared.get()
        facts.unavailable += problems
        // Unreadable: no user is known, so only a running worker's own credentials are used.
        let accounts = database ?? AccountDatabase(passwd: "", group: "")
        for path in paths {
            do {
                // Followed like connect(2) follows it: a symlink to a live socket is fine.
                facts.socketFiles[path] = FileKind(try host.status(path, followLinks: true).kind)
            } catch {
                if case .notFound = error {
                    facts.socketFiles[path] = .missing
                } else {
                    facts.socketFiles[path] = .unknown
                    facts.unavailable.append(Unavailable(what: "socket \(path)", reason: error.description))
                }
            }
        }
        for proxy in facts.proxies {
            guard let credentials = workerCredentials(proxy, facts: facts, accounts: accounts) else {
                facts.unavailable.append(Unavailable(what: "\(proxy.kind.rawValue) worker user for \(proxy.configPath)",
                                                      reason: "no worker process and the user \(proxy.workerUser ?? "nobody") is not in /etc/passwd"))
                continue
            }
            let walker = SocketAccessWalker(host: host, accounts: accounts)
            for path in paths where facts.routes.contains(where: { $0.proxy == proxy.kind && $0.target.endpoints.contains(.unix(path: path)) }) {
                facts.socketAccess.append(walker.walk(path, as: credentials))
            }
        }
    }

    /// The worker processes' real credentials when they run (the ground truth), else the
    /// config's `user` (nginx's default is `nobody`) with the groups /etc/group gives it.
    private func workerCredentials(_ proxy: ProxyInstance, facts: Facts, accounts: AccountDatabase) -> SocketAccessWalker.Credentials? {
        if let worker = proxy.workerPIDs.lazy.compactMap({ facts.process($0) }).first, let uid = worker.uid {
            let name = worker.user ?? accounts.user(uid: uid)?.name ?? "uid \(uid)"
            let gids = [worker.gid].compactMap { $0 } + worker.groups.filter { $0 != worker.gid }
            let role = proxy.kind == .nginx ? "nginx worker" : "\(proxy.kind.rawValue) process"
            return .init(user: name, uid: uid, gids: gids, source: "\(role) pid \(worker.pid)")
        }
        let name = proxy.workerUser ?? "nobody"
        guard let entry = accounts.user(named: name) else { return nil }
        var gids = accounts.groupIDs(ofUser: name)
        if let groupName = proxy.workerGroup, let group = accounts.group(named: groupName), gids.first != group.gid {
            // `user www-data staff;` makes `staff` the primary group of the workers.
            gids.insert(group.gid, at: 0)
        }
        let source = proxy.workerUserSource.map { "user \(name); at \($0)" }
            ?? (proxy.kind == .nginx ? "nginx default user" : "\(proxy.kind.rawValue) is not running; the packaged service's user")
        return .init(user: name, uid: entry.uid, gids: gids, source: source)
    }

    private func readListeners(holders: [ProcessRecord]) async -> ([Listener]?, HostError?) {
        Self.capture { () throws(HostError) in try host.listeners(holders: holders) }
    }

    private static func capture<T>(_ body: () throws(HostError) -> T) -> (T?, HostError?) {
        do {
            return (try body(), nil)
        } catch {
            return (nil, error)
        }
    }
}
