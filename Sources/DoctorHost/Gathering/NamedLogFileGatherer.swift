import DoctorFacts
import DoctorParsers
import Foundation

/// Completes managed services (supervisord programs, systemd units) with the log files
/// their own command names.
///
/// A manager captures the app server's stdout/stderr (supervisord's `stderr_logfile`, the
/// journal), but `gunicorn --error-logfile /var/log/app/gunicorn.log` sends its log, boot
/// tracebacks included, to that file: the manager's capture then holds only gunicorn's
/// one-line echo of the exception (`'DJANGO_SECRET_KEY'`), which names no cause. The files
/// the command line (or its `gunicorn.conf.py`) names are read here in the same window and
/// their failures added to the service, so the cause is found wherever the server wrote it.
struct NamedLogFileGatherer: Sendable {
    let host: any Host
    let windowStart: Date
    /// Config files read once per diagnosis; `nil` reads them here (a gatherer used alone).
    var configs: SharedConfigFiles? = nil

    func complete(_ services: [ManagedService]) -> (services: [ManagedService], unavailable: [Unavailable]) {
        var unavailable: [Unavailable] = []
        let files = configs ?? SharedConfigFiles(host: host)
        let completed = services.map { service -> ManagedService in
            guard service.manager != "none", !service.command.isEmpty else { return service }
            let directory = service.definition?.workingDirectory?.path
            let logs = namedErrorLogs(service.command, workingDirectory: directory, files: files, unavailable: &unavailable)
                .filter { !service.logFiles.contains($0) }
            guard !logs.isEmpty else { return service }
            var service = service
            let parsed = AppServerCommandLine.parse(service.command, startDirectory: directory)
            for log in logs {
                do throws(HostError) {
                    let window = try LogWindowReader(host: host).read(log, since: windowStart)
                    service.startupFailures += AppServerLog.classify(
                        lines: window.lines, source: log, firstLineNumber: window.firstLineNumber, program: parsed?.kind,
                        appPackages: SupervisorGatherer.appPackages(service.command),
                        settingsModule: service.definition?.settingsModule?.module)
                    // Its worker kills too: with --error-logfile, WORKER TIMEOUT and SIGKILL lines are only here.
                    service.kills += WorkerKillLog.parse(lines: window.lines, source: log, firstLineNumber: window.firstLineNumber)
                    service.logFiles.append(log)
                } catch {
                    switch error {
                    case .notFound, .notRecorded: continue // not written yet, or not in this snapshot
                    default: unavailable.append(Unavailable(what: "\(service.manager) \(service.name) log \(log)", reason: error.description))
                    }
                }
            }
            service.startupFailures.sort { ($0.time ?? .distantPast) < ($1.time ?? .distantPast) }
            service.kills.sort { ($0.time ?? .distantPast) < ($1.time ?? .distantPast) }
            return service
        }
        return (completed, unavailable)
    }

    /// Absolute paths of the error logs `argv` names, and failing that its gunicorn.conf.py.
    private func namedErrorLogs(_ argv: [String], workingDirectory: String?, files: SharedConfigFiles,
                                unavailable: inout [Unavailable]) -> [String] {
        var named = AppServerLogFiles.fromCommandLine(argv, workingDirectory: workingDirectory)
        if !named.contains(where: { $0.role == .error }), let parsed = AppServerCommandLine.parse(argv, startDirectory: workingDirectory),
           parsed.kind == "gunicorn", let config = parsed.configFile ?? existing(parsed.defaultConfigFile) {
            switch files.gunicorn(config, directory: parsed.directory) {
            case let .success(reading):
                named += reading.logFiles
            case let .failure(error):
                if case .notRecorded = error {} else {
                    unavailable.append(Unavailable(what: "gunicorn config \(config)", reason: error.description))
                }
            }
        }
        if !named.contains(where: { $0.role == .error }), let parsed = AppServerCommandLine.parse(argv, startDirectory: workingDirectory),
           parsed.kind == "uwsgi" {
            for ini in parsed.iniFiles {
                guard case let .success(reading) = files.uwsgi(ini.path, section: ini.section, directory: parsed.directory,
                                                               placeholders: parsed.iniPlaceholders) else { continue }
                named += reading.logFiles
            }
        }
        var logs: [String] = []
        for file in named where file.role == .error && file.path.hasPrefix("/") && !logs.contains(file.path) {
            logs.append(file.path)
        }
        return logs
    }

    private func existing(_ path: String?) -> String? {
        guard let path, (try? host.status(path, followLinks: true)) != nil else { return nil }
        return path
    }
}
