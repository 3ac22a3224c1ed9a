import ArgumentParser
import DoctorHost

/// Options that choose which machine (live or snapshot) and which proxy to read.
struct HostOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Diagnose a snapshot directory written by `gwdoctor snapshot` instead of this machine.", valueName: "dir"))
    var root: String?

    @Option(name: .customLong("nginx-conf"), help: ArgumentHelp("The nginx main config to diagnose (default: every running master's, else /etc/nginx/nginx.conf).", valueName: "path"))
    var nginxConfig: String?

    @Option(name: .customLong("caddyfile"), help: ArgumentHelp("The Caddyfile, or Caddy JSON config (*.json), to diagnose (default: every running caddy's --config, else /etc/caddy/Caddyfile when it proxies). Given alone, nginx is not looked for; --nginx-conf alone leaves Caddy out.", valueName: "path"))
    var caddyfile: String?

    @Option(name: .customLong("nginx-prefix"), help: ArgumentHelp("Prefix for relative paths when no running master gives one with -p (default: nginx -V's).", valueName: "dir"))
    var nginxPrefix: String?

    @Option(name: .customLong("compose-file"), help: ArgumentHelp("A Docker Compose file (or its directory) to check against the proxy; repeatable (default: the engine's projects, and compose files next to the proxy config, in /srv/*, /opt/*, /home/*/*).", valueName: "path"))
    var composeFiles: [String] = []

    /// The host to read: a snapshot replay with `--root`, else this machine.
    func makeHost() throws -> any Host {
        guard let root else { return LiveHost() }
        do {
            return try SnapshotHost(directory: root)
        } catch {
            throw CLIError("cannot read snapshot \(root): \(error)")
        }
    }

    /// Command-line options win; on a snapshot, what the capture was scoped with fills the gaps.
    func gatherOptions(runConfigTest: Bool, resolveCompiledPaths: Bool = true, probe: Bool = false,
                       sinceSeconds: Int? = nil) -> GatherOptions {
        let scope = root.flatMap(SnapshotScope.read(from:))
        var options = GatherOptions(nginxConfig: nginxConfig ?? scope?.nginxConfig, nginxPrefix: nginxPrefix ?? scope?.nginxPrefix,
                                    runConfigTest: runConfigTest, resolveCompiledPaths: resolveCompiledPaths, probe: probe,
                                    sinceSeconds: sinceSeconds ?? scope?.sinceSeconds ?? 900)
        options.composeFiles = composeFiles.isEmpty ? scope?.composeFiles ?? [] : composeFiles.map(HostOptions.absolute)
        options.caddyfile = caddyfile.map(HostOptions.absolute) ?? scope?.caddyfile
        return options
    }
}

/// `--format text|json`.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text
    case json
    case markdown
}

/// A clear message for the operator, exiting 3 ("unknown": the tool could not decide).
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
