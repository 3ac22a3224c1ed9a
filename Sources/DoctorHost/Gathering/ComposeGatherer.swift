import DoctorFacts
import DoctorParsers
import Foundation

/// Finds Docker Compose projects and reads them: their files statically (no engine needed),
/// the nginx configs their proxy services bind-mount from the host, and, when a Docker engine
/// answers, their containers' state.
///
/// Where projects come from, in order: `--compose-file`; the engine's
/// `com.docker.compose.project.config_files` / `working_dir` labels; compose files in the
/// directories of the proxy's config files and up to two parents (a deploy directory holding
/// `nginx/app.conf` and `docker-compose.yml`); and the conventional places `/srv/*`, `/opt/*`,
/// `/home/*/*`, one listing each, bounded. The engine is asked only when there is a reason (a
/// project was found, or a Docker daemon runs): a host with neither gets no extra fact.
///
/// A project's `.env` (in its working directory) is read only when one of its compose files refers
/// to a variable, for interpolation (`ComposeVariables`); a recording masks every value in it but
/// those the ports, mounts and bind options used (`ComposeFile.keptVariables`).
struct ComposeGatherer: Sendable {
    let host: any Host
    let options: GatherOptions
    let processes: [ProcessRecord]
    let proxies: [ProxyInstance]
    let routes: [Route]

    struct Result {
        var projects: [ComposeProject] = []
        var unavailable: [Unavailable] = []
    }

    /// A set of files making one project, and how it was found.
    private struct Candidate {
        var files: [String]
        var workingDirectory: String
        var discoveredBy: String
        var engineProject: String?
    }

    /// Listings of the conventional places stop here (a shared host can have thousands of homes).
    static let maxListedDirectories = 300
    static let maxConfigFilesPerMount = 32
    /// `docker` gets less than the general command deadline: a hung daemon must not hold the diagnosis.
    static let engineTimeout = Duration.seconds(5)
    static let composeOverrideNames = ["compose.override.yaml", "compose.override.yml",
                                       "docker-compose.override.yml", "docker-compose.override.yaml"]

    func gather() async -> Result {
        var result = Result()
        var candidates: [Candidate] = []
        var seenFiles = Set<String>()
        func add(_ candidate: Candidate) {
            guard let first = candidate.files.first, seenFiles.insert(NginxGatherer.normalize(first)).inserted else { return }
            candidates.append(candidate)
        }
        for path in options.composeFiles {
            let absolute = NginxGatherer.absolute(path, against: FileManager.default.currentDirectoryPath)
            if (try? host.status(absolute, followLinks: true))?.kind == .directory {
                let files = composeFiles(in: absolute)
                if files.isEmpty {
                    result.unavailable.append(Unavailable(what: "compose file in \(absolute)",
                                                          reason: "none of \(ComposeFile.defaultNames.joined(separator: ", ")) is there"))
                }
                if !files.isEmpty { add(Candidate(files: files, workingDirectory: absolute, discoveredBy: "--compose-file")) }
            } else {
                let directory = NginxGatherer.directory(of: absolute)
                // Like `docker compose -f a.yml -f b.yml`: files of one directory are one project, merged in order.
                if let index = candidates.firstIndex(where: { $0.discoveredBy == "--compose-file" && $0.workingDirectory == directory }),
                   !candidates[index].files.contains(absolute) {
                    candidates[index].files.append(absolute)
                } else {
                    add(Candidate(files: [absolute], workingDirectory: directory, discoveredBy: "--compose-file"))
                }
            }
        }

        // The engine first when a daemon runs: its labels name the files of every project it runs.
        var engine: EngineAnswer?
        if daemonRuns {
            engine = await askEngine()
            for (project, entries) in engine?.byProject ?? [] {
                guard let files = entries.first?.configFiles, !files.isEmpty else { continue }
                let directory = entries.first?.workingDirectory ?? NginxGatherer.directory(of: files[0])
                add(Candidate(files: files, workingDirectory: directory, discoveredBy: "engine labels of project \(project)",
                              engineProject: project))
            }
        }

        var searched: [String] = []
        if options.composeFiles.isEmpty {
            for directory in directoriesNearProxy() {
                searched.append(directory)
                let files = composeFiles(in: directory)
                if !files.isEmpty { add(Candidate(files: files, workingDirectory: directory, discoveredBy: "next to the proxy config, in \(directory)")) }
            }
            for directory in conventionalDirectories(searched: &searched) {
                let files = composeFiles(in: directory)
                if !files.isEmpty { add(Candidate(files: files, workingDirectory: directory, discoveredBy: "conventional place \(directory)")) }
            }
        }

        for candidate in candidates {
            let (project, unavailable) = read(candidate)
            result.projects.append(project)
            result.unavailable += unavailable
        }
        guard !result.projects.isEmpty || daemonRuns else { return result }
        if result.projects.isEmpty {
            result.unavailable.append(Unavailable(what: "docker compose files",
                                                  reason: "a Docker daemon runs but no compose file was found; searched \(searched.joined(separator: ", ")) (pass --compose-file)"))
            return result
        }
        if engine == nil { engine = await askEngine() }
        guard var engine else { return result }
        if let failure = engine.failure {
            result.unavailable.append(Unavailable(what: "docker engine", reason: failure))
            return result
        }
        // The services' app servers are known now, for the log reader.
        let programs = Dictionary(result.projects.flatMap { $0.services.compactMap { service in service.appServer.map { (service.name, $0) } } },
                                  uniquingKeysWith: { first, _ in first })
        await readLogs(&engine, programs: programs)
        for index in result.projects.indices {
            let project = result.projects[index]
            let label = candidates[index].engineProject
            let entries = engine.entries.filter { entry in
                entry.project == (label ?? project.name)
                    || entry.configFiles.contains { file in project.files.contains { NginxGatherer.samePath($0, file) } }
            }
            result.projects[index].containers = entries.map(\.container)
        }
        result.unavailable += engine.logFailures
        return result
    }

    // MARK: Discovery

    /// A Docker daemon (or its port proxy) in the process table.
    private var daemonRuns: Bool {
        processes.contains { process in
            let program = process.cmdline.first.map { Self.basename($0) } ?? process.comm
            return ["dockerd", "docker-proxy", "containerd-shim-runc-v2"].contains(program) || process.comm == "dockerd"
        }
    }

    /// The compose file Compose itself would pick in a directory (and its override file).
    private func composeFiles(in directory: String) -> [String] {
        guard let entries = try? host.list(directory) else { return [] }
        guard let main = ComposeFile.defaultNames.first(where: entries.contains) else { return [] }
        let base = directory == "/" ? "" : directory
        var files = [base + "/" + main]
        if let override = Self.composeOverrideNames.first(where: entries.contains) { files.append(base + "/" + override) }
        return files
    }

    /// Directories of the proxy's config files, and their parents up to two levels.
    private func directoriesNearProxy() -> [String] {
        var files = proxies.map(\.configPath) + routes.map(\.source.file)
        files += proxies.flatMap { $0.diagnostics.compactMap { $0.location?.file } }
        var result: [String] = []
        for file in files {
            var directory = NginxGatherer.directory(of: file)
            for _ in 0..<3 {
                if directory != "/", !result.contains(directory) { result.append(directory) }
                if directory == "/" { break }
                directory = NginxGatherer.directory(of: directory)
            }
        }
        return result
    }

    /// `/srv/*`, `/opt/*` and `/home/*/*`: where projects are cloned by hand.
    private func conventionalDirectories(searched: inout [String]) -> [String] {
        var result: [String] = []
        var listed = 0
        func children(_ directory: String) -> [String] {
            guard listed < Self.maxListedDirectories, let entries = try? host.list(directory) else { return [] }
            listed += 1
            return entries.filter { !$0.hasPrefix(".") }.prefix(100).map { directory + "/" + $0 }
        }
        for root in ["/srv", "/opt"] {
            searched.append("\(root)/*")
            result += children(root)
        }
        searched.append("/home/*/*")
        for home in children("/home") {
            result += children(home)
        }
        return Array(result.prefix(Self.maxListedDirectories))
    }

    // MARK: Reading a project

    private func read(_ candidate: Candidate) -> (ComposeProject, [Unavailable]) {
        var unavailable: [Unavailable] = []
        var files: [ComposeFile] = []
        var diagnostics: [ConfigDiagnostic] = []
        var contents: [(path: String, bytes: [UInt8])] = []
        for path in candidate.files {
            do {
                contents.append((path, try host.readFile(path, maxBytes: ComposeFile.maxBytes)))
            } catch {
                unavailable.append(Unavailable(what: "compose file \(path)", reason: error.description))
                diagnostics.append(ConfigDiagnostic(kind: .unreadable, message: error.description, location: SourceLocation(file: path, line: 0)))
            }
        }
        // `.env` only when a file refers to a variable: it commonly holds secrets, and is read for nothing else.
        let variables = contents.contains { $0.bytes.contains(UInt8(ascii: "$")) }
            ? readEnvFile(directory: candidate.workingDirectory, unavailable: &unavailable) : .none
        var kept = Set<String>()
        for (path, bytes) in contents {
            let file = ComposeFile.parse(bytes, path: path, projectDirectory: candidate.workingDirectory, variables: variables)
            if !file.environmentValueLines.isEmpty { host.maskValues(path, onLines: file.environmentValueLines) }
            kept.formUnion(file.keptVariables)
            files.append(file)
            diagnostics += file.diagnostics
        }
        if case let .file(envFile) = variables {
            // A recording keeps only the values the diagnosis used for ports and paths.
            let masked = envFile.valueLines.subtracting(envFile.lines(of: kept))
            if !masked.isEmpty { host.maskValues(envFile.path, onLines: masked) }
        }
        for diagnostic in diagnostics where [.syntax, .binary, .tooLarge].contains(diagnostic.kind) && diagnostic.location?.line == 0 {
            unavailable.append(Unavailable(what: "compose file \(diagnostic.location?.file ?? "?")", reason: diagnostic.message))
        }
        let merged = ComposeFile.merge(files)
        let name = files.lazy.compactMap(\.name).first ?? Self.projectName(directory: candidate.workingDirectory)
        var project = ComposeProject(name: candidate.engineProject ?? name, files: candidate.files,
                                     workingDirectory: candidate.workingDirectory, discoveredBy: candidate.discoveredBy,
                                     services: merged.services, networks: merged.networks, volumes: merged.volumes,
                                     diagnostics: diagnostics)
        project.proxyConfigs = proxyConfigs(project.services)
        return (project, unavailable)
    }

    /// The project's `.env` (Compose reads it from the project directory), for interpolation.
    /// No file is normal (defaults apply); one that cannot be read leaves every variable unknown.
    private func readEnvFile(directory: String, unavailable: inout [Unavailable]) -> ComposeVariables {
        let path = (directory == "/" ? "" : directory) + "/.env"
        do {
            let bytes = try host.readFile(path, maxBytes: Self.maxEnvFileBytes)
            guard !bytes.contains(0) else {
                unavailable.append(Unavailable(what: "compose .env file \(path)", reason: "binary data: variables in the compose files are not resolved"))
                return .unreadable("binary data")
            }
            return .file(ComposeEnvFile.parse(bytes, path: path))
        } catch {
            if case .notFound = error { return .none }
            if case let .io(_, errno, _) = error, errno == ENOENT || errno == ENOTDIR { return .none }
            unavailable.append(Unavailable(what: "compose .env file \(path)", reason: "\(error.description): variables in the compose files are not resolved"))
            return .unreadable(error.description)
        }
    }

    static let maxEnvFileBytes = 1 << 20

    /// The nginx configs services mount from the host (`./nginx.conf:/etc/nginx/conf.d/default.conf`),
    /// parsed from the host side.
    private func proxyConfigs(_ services: [ComposeService]) -> [ComposeProxyConfig] {
        var result: [ComposeProxyConfig] = []
        for service in services {
            for mount in service.volumes where mount.type == "bind" && ComposeNginxConfig.isConfigPath(mount.target) {
                guard let source = mount.source, source.hasPrefix("/") else { continue }
                guard let status = try? host.status(source, followLinks: true) else { continue }
                var pairs: [(host: String, container: String)] = []
                if status.kind == .directory {
                    let entries = (try? host.list(source)) ?? []
                    for entry in entries where entry.hasSuffix(".conf") || entry.hasSuffix(".conf.template") {
                        pairs.append((source + "/" + entry, mount.target + "/" + entry))
                        if pairs.count >= Self.maxConfigFilesPerMount { break }
                    }
                } else if status.kind == .regular, !mount.target.hasSuffix("mime.types") {
                    pairs.append((source, mount.target))
                }
                for pair in pairs {
                    let loaded = ComposeNginxConfig.load(hostPath: pair.host, reader: host, maxFileBytes: NginxGatherer.maxConfigFileBytes)
                    result.append(ComposeProxyConfig(service: service.name, hostPath: pair.host, containerPath: pair.container,
                                                     routes: loaded.routes, diagnostics: loaded.diagnostics))
                }
            }
        }
        return result
    }

    static func basename(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }

    /// Compose's default project name: the directory's base name, lowercased, with characters
    /// other than `a-z0-9_-` removed.
    static func projectName(directory: String) -> String {
        let base = Self.basename(directory).lowercased()
        let kept = base.filter { ($0.isLetter && $0.isASCII) || $0.isNumber || $0 == "_" || $0 == "-" }
        return kept.isEmpty ? "default" : kept
    }

    // MARK: Engine

    private struct EngineAnswer {
        var entries: [DockerInspect.Entry] = []
        var failure: String?
        var logFailures: [Unavailable] = []
        var byProject: [(String, [DockerInspect.Entry])] {
            var order: [String] = []
            var groups: [String: [DockerInspect.Entry]] = [:]
            for entry in entries {
                if groups[entry.project] == nil { order.append(entry.project) }
                groups[entry.project, default: []].append(entry)
            }
            return order.map { ($0, groups[$0] ?? []) }
        }
    }

    /// `docker ps` then `docker inspect`, each with a deadline; a client that cannot reach
    /// a daemon (none runs, no permission on the socket) is a failure, not an empty answer.
    private func askEngine() async -> EngineAnswer {
        let timeout = min(options.commandTimeout, Self.engineTimeout)
        let listing = await host.run(.dockerComposeContainers, timeout: timeout, outputLimit: options.commandOutputLimit)
        if let failure = Self.failure(listing) { return EngineAnswer(failure: failure) }
        let ids = DockerInspect.containerIDs(listing.stdout)
        var answer = EngineAnswer()
        for start in stride(from: 0, to: ids.count, by: 100) {
            guard let command = AllowedCommand.dockerInspect(ids: Array(ids[start..<min(start + 100, ids.count)])) else { continue }
            let inspected = await host.run(command, timeout: timeout, outputLimit: 4 << 20)
            if let failure = Self.failure(inspected) { return EngineAnswer(failure: failure) }
            guard let entries = DockerInspect.parse(inspected.stdout) else {
                return EngineAnswer(failure: "docker inspect printed no JSON array\(inspected.truncated ? " (output cut at its limit)" : "")")
            }
            answer.entries += entries
        }
        return answer
    }

    /// `docker logs` of the containers in trouble, a few at most: they hold the boot traceback.
    private func readLogs(_ answer: inout EngineAnswer, programs serviceProgram: [String: String]) async {
        let timeout = min(options.commandTimeout, Self.engineTimeout)
        var asked = 0
        for index in answer.entries.indices where asked < Self.maxLogReads && Self.inTrouble(answer.entries[index].container) {
            guard let command = AllowedCommand.dockerLogs(id: answer.entries[index].container.id, tail: 200) else { continue }
            asked += 1
            let logs = await host.run(command, timeout: timeout, outputLimit: options.commandOutputLimit)
            if let failure = Self.failure(logs) {
                answer.logFailures.append(Unavailable(what: "docker logs \(answer.entries[index].container.name)", reason: failure))
                continue
            }
            // Gunicorn and uvicorn log to stderr, print() to stdout: both, oldest first as far as two pipes allow.
            let lines = (logs.stdout + (logs.stdout.isEmpty || logs.stdout.hasSuffix("\n") ? "" : "\n") + logs.stderr)
                .split(separator: "\n", omittingEmptySubsequences: true).suffix(200)
            let name = answer.entries[index].container.name
            answer.entries[index].container.bootFailures = AppServerLog.classify(
                lines: Array(lines), source: "docker logs \(name)", firstLineNumber: nil,
                program: serviceProgram[answer.entries[index].container.service])
            answer.entries[index].container.logTail = lines.suffix(20).map { Redactor.redact(String($0)) }
        }
    }

    static let maxLogReads = 5

    /// Down, restarting or unhealthy: worth reading the logs of.
    static func inTrouble(_ container: ComposeContainer) -> Bool {
        container.state == "restarting" || container.oomKilled || container.health == "unhealthy"
            || ((container.state == "exited" || container.state == "dead") && (container.exitCode ?? 0) != 0)
    }

    private static func failure(_ result: CommandResult) -> String? {
        if let failure = result.failure { return "\(result.argv.joined(separator: " ")): \(failure)" }
        guard result.exitCode == 0 else {
            let message = result.stderr.split(whereSeparator: \.isNewline).first.map(String.init) ?? "no message"
            return "\(result.argv.joined(separator: " ")) exited \(result.exitCode.map(String.init) ?? "?"): \(message)"
        }
        return nil
    }
}
