import DoctorFacts

/// `proxy-down`: the proxy has no master process, or it runs but does not listen on
/// the addresses its configuration names. Every route is dead when this fires, so it
/// is checked before anything behind the proxy.
public struct ProxyDownCheck: Check {
    public init() {}

    public let id = "proxy-down"
    public let title = "The reverse proxy is not running or not listening"
    public let layer = Layer.proxy
    public let rationale = """
        A client that cannot reach the proxy at all gets "connection refused", not a 502; but \
        when a load balancer or CDN sits in front, a dead proxy shows up as 502/504 there. \
        Nothing behind the proxy can be judged until it runs and listens on its configured addresses.
        """
    public let fixText = """
        Test the configuration first (nginx -t), then start the proxy (systemctl start nginx, or the \
        same command line it was started with). If it runs but misses a listen address, the config \
        changed since it started: test, then reload.
        """
    public let precedence = 20

    public func run(_ facts: Facts) -> [Finding] {
        facts.proxies.compactMap { proxy in
            guard let master = proxy.masterPID else {
                return proxy.kind == .caddy ? caddyNotRunning(proxy, facts: facts) : notRunning(proxy, facts: facts)
            }
            return missingListeners(proxy, master: master, facts: facts)
        }
    }

    private func notRunning(_ proxy: ProxyInstance, facts: Facts) -> Finding {
        var evidence = [Evidence(kind: .process, text: "no nginx master process runs with config \(proxy.configPath)",
                                 source: "ps -eo pid,user,args | grep 'nginx: master'")]
        let others = facts.processes.filter { $0.cmdline.first?.hasPrefix("nginx: master process") == true }
        for other in others {
            evidence.append(Evidence(kind: .process, text: "another nginx master runs: pid \(other.pid) `\(other.cmdline.joined(separator: " "))`"))
        }
        for listen in proxy.listens.prefix(3) {
            evidence.append(Evidence(kind: .config, text: "listen \(listen.raw)", source: listen.source.description))
        }
        var fix = ["Test the configuration: \(configTestCommand(proxy))",
                   "Then start nginx: systemctl start nginx (or: \(startCommand(proxy)))"]
        if let errorLog = proxy.errorLogs.first(where: \.isFile) {
            fix.append("If it does not stay up, read the end of \(errorLog.path)")
        }
        return Finding(check: id, layer: layer, severity: .critical,
                       summary: "nginx is not running: no master process for \(proxy.configPath)",
                       evidence: evidence, fix: fix)
    }

    /// Caddy has one process (`caddy run --config F`), no master/worker titles.
    private func caddyNotRunning(_ proxy: ProxyInstance, facts: Facts) -> Finding {
        var evidence = [Evidence(kind: .process, text: "no caddy process runs with config \(proxy.configPath)",
                                 source: "ps -eo pid,user,args | grep 'caddy run'")]
        for other in facts.processes where other.programName == "caddy" && other.cmdline.dropFirst().first == "run" {
            evidence.append(Evidence(kind: .process, text: "another caddy runs: pid \(other.pid) `\(other.cmdline.joined(separator: " "))`"))
        }
        for listen in proxy.listens.prefix(3) {
            evidence.append(Evidence(kind: .config, text: "site address listening on \(listen.raw)", source: listen.source.description))
        }
        var fix = ["Test the configuration: \(configTestCommand(proxy))",
                   "Then start Caddy: systemctl start caddy (or: \(startCommand(proxy)))"]
        if let log = proxy.errorLogs.first(where: \.isFile) {
            fix.append("If it does not stay up, read the end of \(log.path) (and journalctl -u caddy: Caddy reports start-up errors on stderr)")
        } else {
            fix.append("If it does not stay up: journalctl -u caddy -n 50 (Caddy logs to stderr here)")
        }
        return Finding(check: id, layer: layer, severity: .critical,
                       summary: "Caddy is not running: no caddy process for \(proxy.configPath)",
                       evidence: evidence, fix: fix)
    }

    private func missingListeners(_ proxy: ProxyInstance, master: Int, facts: Facts) -> Finding? {
        // Without a listener table (unreadable /proc/net) there is nothing to compare against.
        guard !facts.unavailable.contains(where: { $0.what == Unavailable.listenerTable }) else { return nil }
        let proxyPIDs = Set([master] + proxy.workerPIDs)
        let configured = uniqueListens(proxy)
        guard !configured.isEmpty else { return nil }
        let missing = configured.filter { listen in
            guard let endpoint = listen.endpoint else { return false }
            return !facts.listeners(for: endpoint).contains { !proxyPIDs.isDisjoint(with: $0.pids) || $0.pids.isEmpty }
        }
        guard !missing.isEmpty else { return nil }
        let allMissing = missing.count == configured.count
        let caddy = proxy.kind == .caddy
        var evidence = missing.prefix(5).map {
            Evidence(kind: .listener, text: caddy ? "caddy (pid \(master)) has no listening socket for site address \($0.raw)"
                         : "nginx (master pid \(master)) has no listening socket for `listen \($0.raw)`",
                     source: $0.source.description)
        }
        evidence.append(Evidence(kind: .command, text: "compare with the live listener table", source: "ss -ltnp; ss -lxp"))
        let name = caddy ? "caddy pid" : "nginx master pid"
        let summary = allMissing
            ? "\(name) \(master) runs but listens on none of its \(configured.count) configured addresses"
            : "\(name) \(master) does not listen on \(missing.count) of its \(configured.count) configured addresses"
        return Finding(check: id, layer: layer, severity: allMissing ? .critical : .warning, summary: summary,
                       evidence: evidence,
                       fix: [caddy
                           ? "The running Caddy predates this config or failed to bind: test it (\(configTestCommand(proxy))), then reload (systemctl reload caddy; with `admin off` only a restart applies it); check its log for `address already in use`"
                           : "The running nginx predates this config or failed to bind: test it (\(configTestCommand(proxy))), then reload (nginx -s reload); check the error log for `bind() ... failed`"])
    }

    private func uniqueListens(_ proxy: ProxyInstance) -> [ListenDirective] {
        var seen = Set<Endpoint>()
        return proxy.listens.filter { listen in
            guard let endpoint = listen.endpoint else { return false }
            return seen.insert(endpoint).inserted
        }
    }
}

/// `nginx -t` with the same `-p/-c` as the instance, for fix texts.
func configTestCommand(_ proxy: ProxyInstance) -> String {
    if proxy.kind == .caddy { return "caddy validate --config \(proxy.configPath) --adapter caddyfile" }
    var words = ["nginx", "-t"]
    if let prefix = proxy.prefix { words += ["-p", prefix] }
    words += ["-c", proxy.configPath]
    return words.joined(separator: " ")
}

/// How to start nginx on the same files, for fix texts.
func startCommand(_ proxy: ProxyInstance) -> String {
    if proxy.kind == .caddy { return "caddy run --config \(proxy.configPath) --adapter caddyfile" }
    var words = ["nginx"]
    if let prefix = proxy.prefix { words += ["-p", prefix] }
    words += ["-c", proxy.configPath]
    return words.joined(separator: " ")
}
