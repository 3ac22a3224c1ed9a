import DoctorFacts
import DoctorParsers
import Foundation

/// Finds nginx instances (running masters, else the default config), reads their
/// configuration through the host, and runs their config test.
struct NginxGatherer: Sendable {
    let host: any Host
    let options: GatherOptions
    let processes: [ProcessRecord]
    /// A main config already parsed (started before the process scan finished).
    var preloaded: Preloaded?

    /// A parsed main config and the absolute path it was read from.
    struct Preloaded: Sendable {
        var path: String
        var config: NginxConfig
    }

    /// What the nginx side contributes to the facts.
    struct Result {
        var proxies: [ProxyInstance] = []
        var routes: [Route] = []
        var unavailable: [Unavailable] = []
    }

    /// A running master and what its command line says.
    struct Master {
        var process: ProcessRecord
        var commandLine: NginxCommandLine
        var executable: String?
    }

    static let fallbackConfig = "/etc/nginx/nginx.conf"
    static let maxConfigFileBytes = 16 << 20

    func gather() async -> Result {
        var result = Result()
        let masters = processes.compactMap(Self.master)
        var buildInfo: NginxBuildInfo?
        var askedBuildInfo = false
        // `nginx -V` is only needed when a path is not given on a master's command line;
        // when it cannot run, nothing is guessed from it.
        func compiledIn() async -> NginxBuildInfo? {
            if askedBuildInfo || !options.resolveCompiledPaths { return buildInfo }
            askedBuildInfo = true
            let output = await host.run(.nginxVersion(executable: masters.first?.executable), timeout: options.commandTimeout,
                                        outputLimit: options.commandOutputLimit)
            if output.exitCode == 0 {
                buildInfo = NginxBuildInfo.parse(versionOutput: output.stderr + output.stdout)
            } else {
                result.unavailable.append(Unavailable(what: "nginx -V (compiled-in paths)",
                                                      reason: output.failure ?? "exit status \(output.exitCode.map(String.init) ?? "?")"))
            }
            return buildInfo
        }

        // Pair each master with the config it runs.
        var instances: [(config: String, prefix: String?, master: Master?)] = []
        for master in masters {
            var prefix = master.commandLine.prefix
            let compiled = (prefix == nil || master.commandLine.configFile == nil) ? await compiledIn() : nil
            if prefix == nil { prefix = compiled?.effectivePrefix }
            let configured = master.commandLine.configFile ?? compiled?.effectiveConfPath ?? Self.fallbackConfig
            instances.append((Self.absolute(configured, against: prefix), prefix, master))
        }
        if let wanted = options.nginxConfig.map({ Self.absolute($0, against: FileManager.default.currentDirectoryPath) }) {
            let matching = instances.filter { Self.samePath($0.config, wanted) }
            if let first = matching.first {
                instances = [first]
            } else {
                instances = [(wanted, options.nginxPrefix, nil)]
            }
        } else if instances.isEmpty {
            let compiled = await compiledIn()
            let defaultConfig = compiled?.effectiveConfPath ?? Self.fallbackConfig
            if (try? host.status(defaultConfig, followLinks: true)) != nil {
                instances = [(defaultConfig, options.nginxPrefix, nil)]
            } else {
                result.unavailable.append(Unavailable(what: "nginx", reason: "no nginx master process runs and \(defaultConfig) does not exist"))
            }
        }
        // One instance per config file, even when (oddly) two masters claim it.
        var seen = Set<String>()
        instances = instances.filter { seen.insert($0.config).inserted }

        for instance in instances {
            // A config nobody runs and nobody can read is not an nginx to diagnose: say so
            // instead of reporting a proxy that is "down".
            if instance.master == nil {
                do {
                    _ = try host.status(instance.config, followLinks: true)
                } catch {
                    result.unavailable.append(Unavailable(what: "nginx config \(instance.config)", reason: error.description))
                    continue
                }
            }
            var prefix = instance.prefix ?? options.nginxPrefix
            if prefix == nil { prefix = await compiledIn()?.effectivePrefix }
            let resolvedPrefix = prefix ?? Self.directory(of: instance.config)
            if prefix == nil, options.resolveCompiledPaths {
                result.unavailable.append(Unavailable(what: "nginx prefix for \(instance.config)",
                                                      reason: "no -p on a running master, no --nginx-prefix and no nginx -V; relative paths resolve against \(resolvedPrefix)"))
            }
            async let test = configTest(config: instance.config, prefix: instance.master?.commandLine.prefix ?? options.nginxPrefix,
                                        master: instance.master)
            let config = preloaded.flatMap { Self.samePath($0.path, instance.config) ? $0.config : nil }
                ?? NginxConfigLoader.load(mainFile: instance.config, reader: host, maxFileBytes: Self.maxConfigFileBytes)
            let model = NginxModel.build(config: config, prefix: resolvedPrefix)
            for diagnostic in model.diagnostics where diagnostic.kind == .unreadable || diagnostic.kind == .tooLarge {
                result.unavailable.append(Unavailable(what: "nginx config \(diagnostic.location?.description ?? instance.config)",
                                                      reason: diagnostic.message))
            }
            let workers = instance.master.map { master in
                processes.filter { $0.ppid == master.process.pid && $0.cmdline.first?.hasPrefix("nginx: worker") == true }
            } ?? []
            var proxy = ProxyInstance(kind: .nginx, configPath: instance.config, prefix: resolvedPrefix,
                                      masterPID: instance.master?.process.pid, workerPIDs: workers.map(\.pid),
                                      masterCmdline: instance.master?.process.cmdline ?? [],
                                      workerUser: model.user?.name ?? workers.first?.user,
                                      workerGroup: model.user?.effectiveGroup, workerUserSource: model.user?.source,
                                      listens: model.listens, errorLogs: model.errorLogs, accessLogs: model.accessLogs,
                                      logFormats: model.logFormats, diagnostics: model.diagnostics)
            // Without error_log/access_log nginx writes to its compiled-in paths (or -e); say so rather than read nothing.
            if proxy.errorLogs.isEmpty {
                let compiled = instance.master?.commandLine.errorLog == nil ? await compiledIn() : nil
                if let path = instance.master?.commandLine.errorLog ?? compiled?.effectiveErrorLogPath {
                    proxy.errorLogs = [LogFileDirective(path: path == "stderr" ? path : Self.absolute(path, against: resolvedPrefix), qualifier: "error")]
                }
            }
            if proxy.accessLogs.isEmpty, let compiled = await compiledIn(), let path = compiled.httpLogPath {
                proxy.accessLogs = [LogFileDirective(path: Self.absolute(path, against: compiled.effectivePrefix), qualifier: "combined")]
            }
            if let master = instance.master {
                proxy.generation = NginxGeneration.gather(host: host, masterPID: master.process.pid, processes: processes,
                                                          files: config.files)
            }
            proxy.configTest = await test
            result.proxies.append(proxy)
            result.routes += model.routes
        }
        return result
    }

    /// Runs `nginx -t` the way the running master would read its config.
    private func configTest(config: String, prefix: String?, master: Master?) async -> ConfigTest? {
        guard options.runConfigTest else { return nil }
        let command = AllowedCommand.nginxConfigTest(executable: master?.executable, prefix: prefix, config: config,
                                                     globals: master?.commandLine.globals,
                                                     errorLog: master?.commandLine.errorLog)
        let output = await host.run(command, timeout: options.commandTimeout, outputLimit: options.commandOutputLimit)
        let messages = NginxTestOutput.messages(output.stderr)
        let passed = output.failure == nil ? NginxTestOutput.verdict(exitCode: output.exitCode, messages: messages) : nil
        return ConfigTest(command: output, passed: passed, messages: messages)
    }

    /// A master process: its title is `nginx: master process /usr/sbin/nginx -c …`.
    static func master(_ process: ProcessRecord) -> Master? {
        guard let title = process.cmdline.first, title.hasPrefix("nginx: master process") else { return nil }
        let commandLine = NginxCommandLine.parse(process.cmdline)
        // Only an absolute program path is worth reusing; a bare `nginx` is looked up on PATH anyway.
        let executable = commandLine.executable.flatMap { $0.hasPrefix("/") ? $0 : nil }
        return Master(process: process, commandLine: commandLine, executable: executable)
    }

    static func absolute(_ path: String, against base: String?) -> String {
        if path.hasPrefix("/") { return normalize(path) }
        let base = base ?? "/"
        return normalize(base.hasSuffix("/") ? base + path : base + "/" + path)
    }

    static func normalize(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/") {
            if part == "." || part.isEmpty { continue }
            if part == "..", !parts.isEmpty { parts.removeLast(); continue }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }

    static func samePath(_ lhs: String, _ rhs: String) -> Bool {
        normalize(lhs) == normalize(rhs)
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return "/" }
        return String(path[..<slash])
    }
}
