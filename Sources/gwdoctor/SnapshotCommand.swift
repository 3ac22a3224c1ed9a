import ArgumentParser
import DoctorFacts
import DoctorHost
import Foundation

/// `gwdoctor snapshot DIR`: record what a diagnosis reads (configs with includes, the
/// process and listener tables, command outputs such as `nginx -t`, and the tails of
/// the proxy's logs inside `--since`), redacted, into plain files that
/// `gwdoctor diagnose --root DIR` replays.
struct SnapshotCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot",
        abstract: "Capture what a diagnosis reads into DIR (secrets redacted) for `diagnose --root DIR`."
    )

    @Argument(help: ArgumentHelp("Directory to create; it must not exist or be empty.", valueName: "dir"))
    var directory: String

    @Option(name: .customLong("nginx-conf"), help: ArgumentHelp("The nginx main config to capture (default: every running master's).", valueName: "path"))
    var nginxConfig: String?

    @Option(name: .customLong("caddyfile"), help: ArgumentHelp("The Caddyfile, or Caddy JSON config (*.json), to capture (default: every running caddy's); given alone, nginx is left out.", valueName: "path"))
    var caddyfile: String?

    @Option(name: .customLong("nginx-prefix"), help: ArgumentHelp("Prefix for relative paths when no running master gives one.", valueName: "dir"))
    var nginxPrefix: String?

    @Option(name: .customLong("compose-file"), help: ArgumentHelp("A Docker Compose file (or its directory) to capture; repeatable.", valueName: "path"))
    var composeFiles: [String] = []

    @Option(help: "How far back to keep log lines.")
    var since = TimeWindow(argument: "15m")!

    @Flag(name: .customLong("no-probe"), help: "Do not probe (the snapshot then holds no probe results).")
    var noProbe = false

    @Flag(name: .customLong("all-processes"), help: "Keep the whole process table (default: only servers, listeners, and their parents and children).")
    var allProcesses = false

    func run() async throws {
        let status = try await Terminal.guardingErrors {
            let recorder = SnapshotRecorder(wrapping: LiveHost(), gwdoctorVersion: GWDoctor.version)
            var options = GatherOptions(nginxConfig: nginxConfig.map(Self.absolute), nginxPrefix: nginxPrefix, runConfigTest: true,
                                        probe: !noProbe, sinceSeconds: since.seconds)
            options.composeFiles = composeFiles.map(Self.absolute)
            options.caddyfile = caddyfile.map(Self.absolute)
            let facts = await FactGatherer(host: recorder, options: options).gather()
            // Reading the log windows through the recorder is what puts them in the snapshot.
            let start = recorder.referenceTime.addingTimeInterval(-Double(since.seconds))
            let reader = LogWindowReader(host: recorder)
            var logs: [String] = []
            for proxy in facts.proxies {
                for log in (proxy.errorLogs + proxy.accessLogs) where log.isFile && !logs.contains(log.path) {
                    logs.append(log.path)
                    _ = try? reader.read(log.path, since: start)
                }
            }
            do {
                try recorder.write(to: directory, processes: allProcesses ? .all : .relevant)
                var scope = SnapshotScope(nginxConfig: options.nginxConfig, nginxPrefix: nginxPrefix, sinceSeconds: since.seconds,
                                          composeFiles: options.composeFiles.isEmpty ? nil : options.composeFiles)
                scope.caddyfile = options.caddyfile
                try scope.write(to: directory)
            } catch {
                throw CLIError("cannot write snapshot \(directory): \(error)")
            }
            Terminal.writeError("snapshot written to \(directory): \(facts.proxies.count) proxy instance(s), "
                + "\(facts.routes.count) route(s), \(logs.count) log(s); replay with: gwdoctor diagnose --root \(directory)\n")
            return .ok
        }
        if status != .ok { throw ExitCode(status.exitCode) }
    }

    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }
}
