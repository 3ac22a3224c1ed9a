import DoctorFacts
import DoctorHost
import DoctorParsers
import Foundation

/// Reads the migrations the database has applied (`django_migrations`), by running the app's
/// own `manage.py shell -c` with gwdoctor's fixed reader script
/// (`MigrationRecorderOutput.readerScript`, an `AllowedCommand`), with a release's interpreter,
/// the service's working directory and the service's environment.
///
/// Why this way: the table is the only complete record (`manage.py showmigrations` lists only
/// the migrations its own release has files for, so an old release cannot see what it lacks,
/// and a broken new one may not start at all); going through Django's connection reads it on
/// any backend (SQLite, Postgres, MySQL) with the app's own credentials, which gwdoctor never
/// sees, and the script prints only labels, names and the backend's vendor word.
///
/// The environment's values are read from the service definition (supervisor `environment=`,
/// continued over indented lines, with `%(ENV_X)s` expanded from supervisord's own environ;
/// systemd `Environment=` / `EnvironmentFile=`) and from the app server's config (uWSGI ini
/// `env =`, gunicorn.conf.py `raw_env`), handed to the command through its environment
/// only, and never printed (`CommandEnvironment` shows names). `PYTHONDONTWRITEBYTECODE=1`
/// keeps the run from writing `__pycache__` into the release.
struct MigrationReader: Sendable {
    let host: any DoctorHost.Host
    let layout: ReleaseLayout
    /// The services running from the root (their definitions give interpreter, directory, environment).
    let services: [ManagedService]

    static let timeout: Duration = .seconds(45)
    static let outputLimit = 4 * 1024 * 1024

    /// Tries each release in order (the target first: it is the code that must run next; then
    /// the current one); the first that reads the table wins.
    /// Also returns the argv that read the table (the reader script shown as `<gwdoctor migration reader>`).
    func read(releases: [(id: String, path: String)]) async
        -> (result: Result<MigrationRecorderOutput, SchemaReadFailure>, source: String?, argv: [String]) {
        if host.isSnapshot {
            return (.failure(SchemaReadFailure("a snapshot cannot run manage.py")), nil, [])
        }
        var failures: [String] = []
        var argv: [String] = []
        for release in releases {
            let (result, used) = await read(release: release.id, path: release.path)
            if let used { argv = Array(used.dropLast()) + ["<gwdoctor migration reader>"] }
            switch result {
            case let .success((output, source)):
                return (.success(output), source, argv)
            case let .failure(failure):
                failures.append("with release \(release.id): \(failure.reason)")
            }
        }
        return (.failure(SchemaReadFailure(failures.isEmpty ? "no release to run manage.py from" : failures.joined(separator: "; "))), nil, argv)
    }

    private func read(release id: String, path: String) async -> (Result<(MigrationRecorderOutput, String), SchemaReadFailure>, [String]?) {
        guard let service = services.first(where: { $0.definition != nil }) ?? services.first else {
            return (.failure(SchemaReadFailure("no service definition gives the interpreter and environment")), nil)
        }
        guard let interpreter = interpreter(of: service, release: path) else {
            return (.failure(SchemaReadFailure("no Python interpreter found for \(service.manager) \(service.name) in release \(id)")), nil)
        }
        guard let manage = managePy(release: path) else {
            return (.failure(SchemaReadFailure("release \(id) has no manage.py")), nil)
        }
        let directory = service.definition?.workingDirectory.map { rebase($0.path, to: path) } ?? (manage as NSString).deletingLastPathComponent
        var environment: CommandEnvironment
        switch self.environment(of: service) {
        case let .success(read): environment = read
        case let .failure(failure): return (.failure(failure), nil)
        }
        // What the app server itself sets, over what its manager gave it (it runs later, in the app's process).
        environment.merge(appServerEnvironment(of: service, release: path))
        guard let command = AllowedCommand.djangoAppliedMigrations(interpreter: interpreter, manage: manage, workingDirectory: directory,
                                                                    environment: environment) else {
            return (.failure(SchemaReadFailure("\(interpreter) or \(manage) is not a plain absolute path")), nil)
        }
        let result = await host.run(command, timeout: Self.timeout, outputLimit: Self.outputLimit)
        let source = "django_migrations through \(manage) shell with release \(id)'s settings (\(service.manager) \(service.name)'s environment: "
            + (environment.names.isEmpty ? "none" : environment.names.joined(separator: ", ")) + ")"
        guard result.succeeded, let output = MigrationRecorderOutput.parse(result.stdout) else {
            let why = result.failure ?? "exit \(result.exitCode.map(String.init) ?? "?")"
            let last = result.stderr.split(separator: "\n").last.map { Redactor.redact(String($0)) } ?? ""
            return (.failure(SchemaReadFailure("\(command.argv.prefix(3).joined(separator: " ")) …: \(why)" + (last.isEmpty ? "" : ": \(last)"))), command.argv)
        }
        return (.success((output, source + (output.vendor.map { ", database \($0)" } ?? ""))), command.argv)
    }

    /// The service's Python: the `#!` interpreter of its executable, or the executable itself
    /// when it is Python; a path through `ROOT/current` or the current release is taken in `release`.
    private func interpreter(of service: ManagedService, release: String) -> String? {
        var candidates: [String] = []
        if let path = service.definition?.interpreter?.path { candidates.append(path) }
        if let path = service.definition?.executable?.path, Self.isPython(path) { candidates.append(path) }
        if let first = service.command.first, first.hasPrefix("/"), Self.isPython(first) { candidates.append(first) }
        for candidate in candidates {
            let path = rebase(candidate, to: release)
            if (try? host.status(path, followLinks: true).kind) == .regular { return path }
        }
        return nil
    }

    private func managePy(release: String) -> String? {
        var candidates: [String] = []
        if let contents = layout.currentContents, let manage = contents.required.first(where: { $0.what == "manage.py" }),
           manage.path.hasPrefix(contents.path + "/") {
            candidates.append(release + manage.path.dropFirst(contents.path.count))
        }
        candidates.append(release + "/manage.py")
        return candidates.first { (try? host.status($0, followLinks: true).kind) == .regular }
    }

    /// `ROOT/current/x` or `ROOT/releases/<any>/x` → `release/x`; other paths unchanged.
    func rebase(_ path: String, to release: String) -> String {
        let current = layout.root + "/current"
        if path == current { return release }
        if path.hasPrefix(current + "/") { return release + path.dropFirst(current.count) }
        let releases = layout.releasesDirectory + "/"
        if path.hasPrefix(releases) {
            let tail = path.dropFirst(releases.count)
            if let slash = tail.firstIndex(of: "/") { return release + tail[slash...] }
            return release
        }
        return path
    }

    /// The variables the service manager gives the app, with values (see the type's comment).
    private func environment(of service: ManagedService) -> Result<CommandEnvironment, SchemaReadFailure> {
        var environment = CommandEnvironment()
        func text(_ path: String) -> String? {
            (try? host.readFile(path, maxBytes: 1 << 20)).map { String(decoding: $0, as: UTF8.self) }
        }
        switch service.manager {
        case "supervisor":
            guard let file = service.source.map(Self.stripLine), let config = text(file),
                  let values = MigrationCommandEnvironmentParser.supervisorProgram(
                      service.name, configText: config, file: file,
                      supervisordEnvironment: config.contains("%(ENV_") ? supervisordEnvironment(of: service) : [:]) else {
                return .failure(SchemaReadFailure("the [program:\(service.name)] section could not be read for its environment"))
            }
            environment.merge(values)
        case "systemd":
            var files: [String] = []
            for location in (service.definition?.environment ?? []).map(\.location) {
                let file = Self.stripLine(location)
                if !files.contains(file) { files.append(file) }
            }
            for file in files {
                guard let unit = text(file) else { return .failure(SchemaReadFailure("\(file) could not be read for its Environment= lines")) }
                environment.merge(MigrationCommandEnvironmentParser.systemdUnit(unit))
            }
            // systemd: EnvironmentFile= assignments override Environment= ones.
            for file in service.definition?.environmentFiles ?? [] {
                guard let contents = text(file.file.path) else {
                    if file.file.optional { continue }
                    return .failure(SchemaReadFailure("\(file.file.path) could not be read"))
                }
                environment.merge(MigrationCommandEnvironmentParser.envFile(contents))
            }
        default:
            break
        }
        return .success(environment)
    }

    /// The environment of the supervisord that runs `service`, for `%(ENV_X)s` in its config
    /// (supervisord expands them from its own environment): the parent of the program's
    /// process, else the supervisord started with the config gwdoctor read its status through,
    /// else the only supervisord. Empty when none is found or its environ cannot be read.
    private func supervisordEnvironment(of service: ManagedService) -> [String: String] {
        guard let processes = try? host.processes() else { return [:] }
        let supervisords = processes.filter { process in
            process.comm.hasPrefix("supervisord") || process.cmdline.prefix(2).contains { ($0 as NSString).lastPathComponent.hasPrefix("supervisord") }
        }
        let parent = service.pid.flatMap { pid in processes.first { $0.pid == pid } }.flatMap { child in supervisords.first { $0.pid == child.ppid } }
        let byConfig = service.managerConfig.flatMap { config in
            supervisords.first { process in
                let words = process.cmdline
                return words.indices.contains { index in
                    (words[index] == "-c" || words[index] == "--configuration") && index + 1 < words.count && words[index + 1] == config
                        || words[index] == "--configuration=" + config
                }
            }
        }
        guard let supervisord = parent ?? byConfig ?? (supervisords.count == 1 ? supervisords.first : nil),
              let bytes = try? host.readFile("/proc/\(supervisord.pid)/environ", maxBytes: 1 << 20) else { return [:] }
        return MigrationCommandEnvironmentParser.processEnvironment(bytes)
    }

    /// What the app server's own config sets in the app's environment: uWSGI ini `env =`
    /// lines, gunicorn.conf.py `raw_env`. The files are the ones its command names (or
    /// gunicorn's default `./gunicorn.conf.py`), taken in `release` when they lie under `current`.
    private func appServerEnvironment(of service: ManagedService, release: String) -> CommandEnvironment {
        let directory = service.definition?.workingDirectory?.path
        guard let server = AppServerCommandLine.parse(service.command, startDirectory: directory) else { return CommandEnvironment() }
        var environment = CommandEnvironment()
        func text(_ path: String) -> String? {
            (try? host.readFile(path, maxBytes: 1 << 20)).map { String(decoding: $0, as: UTF8.self) }
        }
        if server.kind == "uwsgi" {
            for ini in server.iniFiles {
                let path = rebase(ini.path, to: release)
                guard let config = text(path) else { continue }
                environment.merge(MigrationCommandEnvironmentParser.uwsgiIni(config, file: path, section: ini.section,
                                                                             placeholders: server.iniPlaceholders))
            }
        } else if server.kind == "gunicorn", let file = server.configFile ?? server.defaultConfigFile, let config = text(rebase(file, to: release)) {
            environment.merge(MigrationCommandEnvironmentParser.gunicornConfig(config))
        }
        return environment
    }

    /// `/etc/supervisor/conf.d/app.conf:12` → `/etc/supervisor/conf.d/app.conf`.
    static func stripLine(_ location: String) -> String {
        guard let colon = location.lastIndex(of: ":"), location[location.index(after: colon)...].allSatisfy(\.isNumber),
              colon != location.index(before: location.endIndex) else { return location }
        return String(location[..<colon])
    }

    static func isPython(_ path: String) -> Bool {
        let name = (path as NSString).lastPathComponent
        for prefix in ["python", "pypy"] where name.hasPrefix(prefix) {
            return name.dropFirst(prefix.count).allSatisfy { $0.isNumber || $0 == "." }
        }
        return false
    }
}
