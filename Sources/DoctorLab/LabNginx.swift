import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One nginx server block in front of one target, and the knobs faults need.
public struct NginxSite: Sendable {
    public var listenAddress: String
    public var listenPort: Int
    public var serverName: String
    /// Where `proxy_pass` points.
    public var upstream: Bind
    /// Pass through an `upstream app { server …; }` block instead of a direct address.
    public var useUpstreamBlock: Bool
    /// Extra directives inside `location /` (each without the trailing `;` handling: written as given).
    public var locationDirectives: [String]
    /// Extra directives in the `server` block.
    public var serverDirectives: [String]
    /// Extra directives in the `http` block.
    public var httpDirectives: [String]
    /// `error_log` level; `warn` keeps `[crit]`, `[error]` and `[warn]` lines.
    public var errorLogLevel: String
    /// With `useUpstreamBlock`: every `server` of the `upstream app { … }` block, in order
    /// (empty: just `upstream`).
    public var upstreamServers: [Bind]
    /// Written verbatim after `proxy_pass` instead of the target `upstream` gives
    /// (`$backend` for a variable target set with `set` in `locationDirectives`).
    public var proxyPassTarget: String?
    /// With `useUpstreamBlock`: directives after the `server` lines of `upstream app { … }`
    /// (`keepalive 8;`, `keepalive_timeout 60s;`), written as given.
    public var upstreamDirectives: [String]
    /// The access log's format name: `nil` for the lab's format (with `$upstream_status`),
    /// `combined` for nginx's default (no upstream variables), or a `log_format` defined
    /// in `httpDirectives`.
    public var accessLogFormat: String? = nil
    /// `log_format` directives written before the `access_log` (nginx needs a format
    /// defined before a log names it), each complete with its `;`.
    public var logFormats: [String] = []

    public init(upstream: Bind, listenAddress: String = "127.0.0.1", listenPort: Int = 8080,
                serverName: String = "lab.test", useUpstreamBlock: Bool = false,
                locationDirectives: [String] = [], serverDirectives: [String] = [],
                httpDirectives: [String] = [], errorLogLevel: String = "warn",
                upstreamServers: [Bind] = [], proxyPassTarget: String? = nil, upstreamDirectives: [String] = []) {
        self.upstreamDirectives = upstreamDirectives
        self.upstreamServers = upstreamServers
        self.proxyPassTarget = proxyPassTarget
        self.upstream = upstream
        self.listenAddress = listenAddress
        self.listenPort = listenPort
        self.serverName = serverName
        self.useUpstreamBlock = useUpstreamBlock
        self.locationDirectives = locationDirectives
        self.serverDirectives = serverDirectives
        self.httpDirectives = httpDirectives
        self.errorLogLevel = errorLogLevel
    }

    /// The address clients use to reach nginx.
    public var listen: Bind { .tcp(host: listenAddress, port: listenPort) }
}

extension Lab {
    public var nginxConfigPath: String { "\(directory)/nginx.conf" }
    public var nginxErrorLog: String { "\(logsDirectory)/error.log" }
    public var nginxAccessLog: String { "\(logsDirectory)/access.log" }
    public var nginxPIDFile: String { "\(runDirectory)/nginx.pid" }

    /// The flags every nginx invocation of the lab uses: its own prefix, error log and
    /// config, so nothing touches /etc/nginx or /var/log/nginx.
    public var nginxFlags: [String] {
        ["-p", "\(directory)/", "-e", nginxErrorLog, "-c", nginxConfigPath]
    }

    /// A complete nginx.conf for `site`: worker user `www-data`, and every path (pid,
    /// logs, all five temp paths) under the lab directory. The access log records
    /// `$upstream_status $upstream_addr $upstream_response_time`, which is what tells
    /// proxy-made from app-made 5xx.
    public func nginxConfig(_ site: NginxSite) -> String {
        var target: String
        var upstreamBlock = ""
        if site.useUpstreamBlock {
            let servers = (site.upstreamServers.isEmpty ? [site.upstream] : site.upstreamServers)
                .map { "        server \($0.nginxServerAddress);\n" }.joined()
            let extra = site.upstreamDirectives.map { "        \($0)\n" }.joined()
            upstreamBlock = """

                upstream app {
            \(servers)\(extra)    }

            """
            target = "http://app"
        } else {
            target = site.upstream.nginxProxyPassTarget
        }
        if let override = site.proxyPassTarget { target = override }
        func lines(_ directives: [String], indent: String) -> String {
            directives.map { "\(indent)\($0)\n" }.joined()
        }
        return """
        # nginx.conf written by DoctorLab for lab \(name)
        user www-data;
        worker_processes 1;
        pid \(nginxPIDFile);
        error_log \(nginxErrorLog) \(site.errorLogLevel);

        events {
            worker_connections 64;
        }

        http {
            default_type application/octet-stream;
            log_format lab '$remote_addr - [$time_local] "$request" $status $body_bytes_sent '
                           'host=$host upstream=$upstream_addr upstream_status=$upstream_status '
                           'upstream_time=$upstream_response_time request_time=$request_time';
        \(lines(site.logFormats, indent: "    "))    access_log \(nginxAccessLog) \(site.accessLogFormat ?? "lab");

            client_body_temp_path \(tmpDirectory)/client_body;
            proxy_temp_path \(tmpDirectory)/proxy;
            fastcgi_temp_path \(tmpDirectory)/fastcgi;
            uwsgi_temp_path \(tmpDirectory)/uwsgi;
            scgi_temp_path \(tmpDirectory)/scgi;
        \(lines(site.httpDirectives, indent: "    "))\(upstreamBlock)
            server {
                listen \(site.listenAddress):\(site.listenPort);
                server_name \(site.serverName);
        \(lines(site.serverDirectives, indent: "        "))
                location / {
                    proxy_pass \(target);
                    proxy_set_header Host $host;
                    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                    proxy_set_header X-Forwarded-Proto $scheme;
        \(lines(site.locationDirectives, indent: "            "))        }
            }
        }

        """
    }

    /// Writes `nginxConfig(site)` to `nginx.conf` and returns its path.
    @discardableResult
    public func writeNginxConfig(_ site: NginxSite) throws -> String {
        try write(nginxConfig(site), to: nginxConfigPath)
        return nginxConfigPath
    }

    /// Writes a hand-made nginx.conf (for faults the template cannot express).
    @discardableResult
    public func writeNginxConfig(text: String) throws -> String {
        try write(text, to: nginxConfigPath)
        return nginxConfigPath
    }

    /// `nginx -t` with the lab's flags, run in the namespace.
    public func nginxTest() async throws -> CommandOutput {
        guard let nginx = Spawn.which("nginx") else { throw LabError.notSetUp("nginx is not installed") }
        return try await runInNamespace([nginx, "-t"] + nginxFlags, timeout: .seconds(30))
    }

    /// The running nginx master, if the lab started one.
    public var nginxMaster: LabProcess? { processes(named: "nginx").last }

    /// Starts nginx as a service manager would (`daemon on`: the master forks into the
    /// background and writes its pid file) and waits until it accepts connections on
    /// `listen`. Throws with nginx's own message when it refuses to start.
    @discardableResult
    public func startNginx(listen: Bind? = nil, timeout: Duration = .seconds(20)) async throws -> LabProcess {
        guard let nginx = Spawn.which("nginx") else { throw LabError.notSetUp("nginx is not installed") }
        if let master = nginxMaster, Spawn.isAlive(master.pid) {
            throw LabError.usage("nginx already runs in lab \(name) (pid \(master.pid))")
        }
        try? FileManager.default.removeItem(atPath: nginxPIDFile)
        let start = try await runInNamespace([nginx] + nginxFlags, timeout: timeout)
        guard start.exitCode == 0 else {
            throw LabError.nginx("failed to start (exit \(start.exitCode)):\n\(start.stderr)\(tail(nginxErrorLog, lines: 10))")
        }
        let master = try await Poll.until(timeout: timeout) { () -> pid_t? in
            guard let text = try? String(contentsOfFile: self.nginxPIDFile, encoding: .utf8),
                  let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)), Spawn.isAlive(pid) else { return nil }
            return pid
        }
        guard let master else {
            throw LabError.timedOut("nginx pid file \(nginxPIDFile)", details: tail(nginxErrorLog))
        }
        let process = LabProcess(name: "nginx", pid: master, argv: [nginx] + nginxFlags,
                                 stdoutPath: "\(directory)/cmd/nginx.stdout", stderrPath: nginxErrorLog,
                                 logPath: nginxErrorLog, pidFile: nginxPIDFile, isChild: false)
        adopt(process)
        let address = listen ?? listenAddressFromConfig() ?? .tcp(8080)
        try await waitUntilListening(address, timeout: timeout, process: process)
        return process
    }

    /// Stops the running nginx (`SIGQUIT`, as `nginx -s quit` and Debian's unit do; then
    /// `SIGTERM`, then `SIGKILL` if it lingers) and waits until master and workers are gone.
    /// Signals the pid directly, so it works whatever the config on disk now says.
    public func stopNginx(timeout: Duration = .seconds(10)) async throws {
        guard let master = nginxMaster else { throw LabError.usage("no nginx runs in lab \(name)") }
        for signal in [SIGQUIT, SIGTERM, SIGKILL] {
            if try await stop(master, signal: signal, group: signal == SIGKILL, timeout: timeout) {
                // Workers share the master's group; wait for them too.
                let workersGone = try await Poll.until(timeout: timeout) { Spawn.groupAlive(master.pgid) ? nil : true }
                if workersGone == true { return }
                Spawn.signalGroup(master.pgid, SIGKILL)
            }
        }
        throw LabError.nginx("pid \(master.pid) did not stop")
    }

    /// Asks the running master to reload its configuration (`SIGHUP`).
    public func reloadNginx() throws {
        guard let master = nginxMaster else { throw LabError.usage("no nginx runs in lab \(name)") }
        Spawn.signal(master.pid, SIGHUP)
    }

    /// The first `listen host:port` of the lab's nginx.conf (the template writes one).
    private func listenAddressFromConfig() -> Bind? {
        for line in Lab.readText(nginxConfigPath).split(separator: "\n") {
            let words = line.trimmingCharacters(in: .whitespaces).split(whereSeparator: { $0 == " " || $0 == ";" })
            guard words.count >= 2, words[0] == "listen" else { continue }
            let value = String(words[1])
            if let colon = value.lastIndex(of: ":"), let port = Int(value[value.index(after: colon)...]) {
                return .tcp(host: String(value[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]")), port: port)
            }
            if let port = Int(value) { return .tcp(host: "127.0.0.1", port: port) }
        }
        return nil
    }
}
