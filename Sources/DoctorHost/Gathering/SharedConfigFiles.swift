import DoctorFacts
import DoctorParsers
import Foundation

/// App-server config files (`gunicorn.conf.py`, uWSGI ini files), each read from the host
/// and parsed at most once per diagnosis, however many gatherers need it: the app-server
/// gatherer for binds and limits, the named-log and bare-process gatherers for the log
/// files it names. Like `SharedAccounts`, it only reads when asked.
///
/// A failed read is remembered too (as its `HostError`): each gatherer still decides
/// whether that failure is worth an `Unavailable` fact, as it did when it read on its own.
final class SharedConfigFiles: @unchecked Sendable {
    /// What one gunicorn config file says, read against one run directory.
    struct Gunicorn: Sendable {
        var binds: [AppServerBind]
        var timeoutSeconds: Int?
        var limits: AppServerLimits
        var logFiles: [AppServerLogFile]
    }

    /// What one section of one uWSGI ini file says, read against one run directory.
    struct UWSGI: Sendable {
        var binds: [AppServerBind]
        var timeoutSeconds: Int?
        var limits: AppServerLimits
        var logFiles: [AppServerLogFile]
    }

    static let maxBytes = 1 << 20

    private let host: any Host
    private let lock = NSLock()
    // Guarded by `lock`.
    private var texts: [String: Result<String, HostError>] = [:]
    private var gunicornReadings: [GunicornKey: Gunicorn] = [:]
    private var uwsgiReadings: [UWSGIKey: UWSGI] = [:]

    private struct GunicornKey: Hashable {
        var path: String
        var directory: String?
    }

    private struct UWSGIKey: Hashable {
        var path: String
        var section: String
        var directory: String?
        var placeholders: [String: String]
    }

    init(host: any Host) {
        self.host = host
    }

    /// The file's text (masked for snapshots as `dialect`), read on the first call only.
    func text(_ path: String, dialect: InlineEnvironmentDialect) -> Result<String, HostError> {
        lock.withLock { unlockedText(path, dialect: dialect) }
    }

    /// A gunicorn config file's binds, timeout, limits and log files; `directory` is where
    /// gunicorn runs (its `--chdir`), for relative `unix:` and log paths.
    func gunicorn(_ path: String, directory: String?) -> Result<Gunicorn, HostError> {
        lock.withLock {
            let key = GunicornKey(path: path, directory: directory)
            if let reading = gunicornReadings[key] { return .success(reading) }
            switch unlockedText(path, dialect: .gunicornConfig) {
            case let .failure(error):
                return .failure(error)
            case let .success(text):
                let binds = GunicornConfigFile.binds(text, file: path, workingDirectory: directory)
                let reading = Gunicorn(binds: binds.binds, timeoutSeconds: binds.timeoutSeconds,
                                       limits: GunicornConfigFile.limits(text, file: path),
                                       logFiles: AppServerLogFiles.fromGunicornConfig(text, file: path, workingDirectory: directory))
                gunicornReadings[key] = reading
                return .success(reading)
            }
        }
    }

    /// One section of a uWSGI ini file: its sockets, harakiri, limits and log files.
    func uwsgi(_ path: String, section: String, directory: String?,
               placeholders: [String: String]) -> Result<UWSGI, HostError> {
        lock.withLock {
            let key = UWSGIKey(path: path, section: section, directory: directory, placeholders: placeholders)
            if let reading = uwsgiReadings[key] { return .success(reading) }
            switch unlockedText(path, dialect: .uwsgiIni) {
            case let .failure(error):
                return .failure(error)
            case let .success(text):
                let binds = UWSGIIniFile.binds(text, file: path, section: section, workingDirectory: directory,
                                               placeholders: placeholders)
                let reading = UWSGI(binds: binds.binds, timeoutSeconds: binds.timeoutSeconds,
                                    limits: UWSGIIniFile.limits(text, file: path, section: section, placeholders: placeholders),
                                    logFiles: AppServerLogFiles.fromUWSGIIni(text, file: path, section: section,
                                                                             workingDirectory: directory))
                uwsgiReadings[key] = reading
                return .success(reading)
            }
        }
    }

    private func unlockedText(_ path: String, dialect: InlineEnvironmentDialect) -> Result<String, HostError> {
        if let known = texts[path] { return known }
        let result: Result<String, HostError>
        do {
            result = .success(String(decoding: try host.readFile(path, maxBytes: Self.maxBytes), as: UTF8.self))
            host.maskInlineEnvironment(path, dialect: dialect)
        } catch {
            result = .failure(error)
        }
        texts[path] = result
        return result
    }
}
