import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One Caddy site in front of one or more targets, and the knobs faults need.
///
/// The Caddyfile is the shape a Debian install runs, narrowed to the lab: `admin off`,
/// `auto_https off`, `http_port` for the site's plain-HTTP address, `bind 127.0.0.1`,
/// a global `log` (Caddy's default logger: start-up notices and the reverse proxy's
/// `http.log.error` lines) and the site's own `log` (its access lines), both JSON files
/// under the lab directory.
public struct LabCaddySite: Sendable {
    public var listenAddress: String
    public var listenPort: Int
    public var serverName: String
    /// Where `reverse_proxy` points: one address, or several (Caddy balances over them).
    public var upstreams: [Bind]
    /// Lines inside `transport http { … }` (`response_header_timeout 1s`); none: no transport block.
    public var transportDirectives: [String]
    /// Extra lines in the site block, written as given.
    public var siteDirectives: [String]

    public init(upstream: Bind, upstreams: [Bind] = [], listenAddress: String = "127.0.0.1", listenPort: Int = 8080,
                serverName: String = "lab.test", transportDirectives: [String] = [], siteDirectives: [String] = []) {
        self.upstreams = upstreams.isEmpty ? [upstream] : upstreams
        self.listenAddress = listenAddress
        self.listenPort = listenPort
        self.serverName = serverName
        self.transportDirectives = transportDirectives
        self.siteDirectives = siteDirectives
    }

    /// The address clients use to reach Caddy.
    public var listen: Bind { .tcp(host: listenAddress, port: listenPort) }
}

extension Bind {
    /// As Caddy's `reverse_proxy` takes it: `127.0.0.1:8000`, `unix//run/app.sock`.
    public var caddyUpstream: String {
        switch self {
        case .tcp: gunicornArgument
        case let .unix(path): "unix/\(path)"
        }
    }
}

extension Lab {
    public var caddyfilePath: String { "\(directory)/Caddyfile" }
    /// Caddy's own directory for its logs: owned by the `caddy` user, which must create them.
    public var caddyLogsDirectory: String { "\(logsDirectory)/caddy" }
    /// The default logger's file: start-up lines and every `http.log.error` line.
    public var caddyLog: String { "\(caddyLogsDirectory)/caddy.log" }
    /// The site's access log (`http.log.access.log0`).
    public var caddyAccessLog: String { "\(caddyLogsDirectory)/access.log" }
    /// HOME / XDG directories of the lab's Caddy (autosave.json, storage), owned by `caddy`.
    public var caddyHome: String { "\(directory)/caddy-home" }

    /// A complete Caddyfile for `site`.
    public func caddyfile(_ site: LabCaddySite) -> String {
        var proxy = "reverse_proxy \(site.upstreams.map(\.caddyUpstream).joined(separator: " "))"
        if !site.transportDirectives.isEmpty {
            let lines = site.transportDirectives.map { "\t\t\t\($0)\n" }.joined()
            proxy += " {\n\t\ttransport http {\n\(lines)\t\t}\n\t}"
        }
        let extra = site.siteDirectives.map { "\t\($0)\n" }.joined()
        return """
        # Caddyfile written by DoctorLab for lab \(name)
        {
        \tadmin off
        \tauto_https off
        \thttp_port \(site.listenPort)
        \tstorage file_system \(caddyHome)/data
        \tlog {
        \t\toutput file \(caddyLog)
        \t\tformat json
        \t}
        }

        http://\(site.serverName) {
        \tbind \(site.listenAddress)
        \tlog {
        \t\toutput file \(caddyAccessLog)
        \t\tformat json
        \t}
        \(extra)\t\(proxy)
        }

        """
    }

    /// Writes `caddyfile(site)` and returns its path.
    @discardableResult
    public func writeCaddyfile(_ site: LabCaddySite) throws -> String {
        try write(caddyfile(site), to: caddyfilePath)
        return caddyfilePath
    }

    /// Writes a hand-made Caddyfile (for faults the template cannot express).
    @discardableResult
    public func writeCaddyfile(text: String) throws -> String {
        try write(text, to: caddyfilePath)
        return caddyfilePath
    }

    /// The `caddy` account the Debian package creates (uid, gid), or `nil` when absent.
    public static func caddyAccount() -> (uid: uid_t, gid: gid_t)? {
        guard let entry = getpwnam("caddy") else { return nil }
        return (entry.pointee.pw_uid, entry.pointee.pw_gid)
    }

    /// The running Caddy, if the lab started one.
    public var caddyProcess: LabProcess? { processes(named: "caddy").last }

    /// Starts real Caddy as Debian's unit does, but as a lab process: `caddy run --config
    /// Caddyfile --adapter caddyfile` as the `caddy` user (`setpriv`, with its groups), in the
    /// namespace, and waits until it accepts connections on `site.listen`.
    @discardableResult
    public func startCaddy(_ site: LabCaddySite, timeout: Duration = .seconds(20)) async throws -> LabProcess {
        let process = try startCaddyProcess(["run", "--config", caddyfilePath, "--adapter", "caddyfile"])
        try await waitUntilListening(site.listen, timeout: timeout, process: process)
        return process
    }

    /// What every lab Caddy runs as: the `caddy` user through `setpriv` (with its groups, its
    /// home and XDG directories under the lab), in the namespace; `arguments` follow `caddy`.
    func caddyInvocation() throws -> (argv: [String], environment: [String: String]) {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/caddy") else {
            throw LabError.notSetUp("/usr/bin/caddy is not installed (scripts/test installs the caddy package)")
        }
        guard let setpriv = Spawn.which("setpriv") else { throw LabError.notSetUp("setpriv is not installed") }
        guard let account = Lab.caddyAccount() else { throw LabError.notSetUp("the caddy user does not exist (Debian's caddy package creates it)") }
        for path in [caddyLogsDirectory, caddyHome, "\(caddyHome)/data"] {
            mkdir(path, 0o755)
            chown(path, account.uid, account.gid)
        }
        let environment = ["PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8",
                           "HOME": caddyHome, "XDG_CONFIG_HOME": "\(caddyHome)/config", "XDG_DATA_HOME": "\(caddyHome)/data"]
        return ([setpriv, "--reuid=caddy", "--regid=caddy", "--init-groups", "--", "/usr/bin/caddy"], environment)
    }

    /// Starts `caddy ARGUMENTS` as `caddyInvocation` says, refusing when the lab's Caddy already runs.
    func startCaddyProcess(_ arguments: [String], workingDirectory: String? = nil) throws -> LabProcess {
        if let running = caddyProcess, isRunning(running) {
            throw LabError.usage("caddy already runs in lab \(name) (pid \(running.pid))")
        }
        let (caddy, environment) = try caddyInvocation()
        return try startProcess(name: "caddy", caddy + arguments, environment: environment, workingDirectory: workingDirectory,
                                logPath: caddyLog)
    }

    /// Stops the lab's Caddy (`SIGTERM`: Caddy shuts down gracefully) and waits until it is gone.
    public func stopCaddy(timeout: Duration = .seconds(10)) async throws {
        guard let process = caddyProcess else { throw LabError.usage("no caddy runs in lab \(name)") }
        guard try await stop(process, signal: SIGTERM, group: true, timeout: timeout) else {
            throw LabError.timedOut("caddy (pid \(process.pid)) did not stop", details: tail(caddyLog))
        }
    }

    /// `caddy validate --config Caddyfile --adapter caddyfile` as the `caddy` user, in the namespace.
    public func caddyValidate() async throws -> CommandOutput {
        guard let setpriv = Spawn.which("setpriv") else { throw LabError.notSetUp("setpriv is not installed") }
        return try await runInNamespace([setpriv, "--reuid=caddy", "--regid=caddy", "--init-groups", "--",
                                         "/usr/bin/caddy", "validate", "--config", caddyfilePath, "--adapter", "caddyfile"],
                                        environment: ["HOME": caddyHome, "XDG_CONFIG_HOME": "\(caddyHome)/config",
                                                      "XDG_DATA_HOME": "\(caddyHome)/data", "PATH": "/usr/bin:/bin"],
                                        timeout: .seconds(30))
    }

    /// Lines of Caddy's log files (default logger and the site's access log) containing every one of `needles`.
    public func caddyLogLines(containingAll needles: [String]) -> [String] {
        [caddyLog, caddyAccessLog].flatMap { Lab.readText($0).split(separator: "\n").map(String.init) }.filter { line in
            needles.allSatisfy { line.contains($0) }
        }
    }

    /// Polls Caddy's logs (bounded) until a line contains every one of `needles`; that line, or `nil` at the deadline.
    public func waitForCaddyLog(containingAll needles: [String], timeout: Duration = .seconds(5)) async throws -> String? {
        try await Poll.until(timeout: timeout) { self.caddyLogLines(containingAll: needles).first }
    }

    /// `gwdoctor diagnose --caddyfile <lab Caddyfile> --format json`.
    public func diagnoseCaddy(_ extra: [String] = [], timeout: Duration = .seconds(120)) async throws -> DoctorRun {
        try await runDoctor(["diagnose", "--caddyfile", caddyfilePath, "--format", "json"] + extra, timeout: timeout)
    }

    /// `gwdoctor routes --caddyfile <lab Caddyfile> --format json`.
    public func routesCaddy(_ extra: [String] = [], timeout: Duration = .seconds(120)) async throws -> DoctorRun {
        try await runDoctor(["routes", "--caddyfile", caddyfilePath, "--format", "json"] + extra, timeout: timeout)
    }

    /// `gwdoctor snapshot DESTINATION --caddyfile <lab Caddyfile>` in the namespace, replacing any earlier capture.
    public func captureCaddySnapshot(to destination: String, extra: [String] = [], timeout: Duration = .seconds(180)) async throws -> DoctorRun {
        try? FileManager.default.removeItem(atPath: destination)
        return try await runDoctor(["snapshot", destination, "--caddyfile", caddyfilePath] + extra, timeout: timeout)
    }
}
