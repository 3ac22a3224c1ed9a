import DoctorFacts

/// What an app server's command line says about where it listens, before any config
/// file it names has been read.
///
/// A gatherer reads the files it names (`configFile`, `defaultConfigFile`, `iniFiles`)
/// with `GunicornConfigFile` / `UWSGIIniFile` and folds them in with
/// `applying(configBinds:timeoutSeconds:)`, which knows each program's precedence.
public struct ParsedAppServer: Hashable, Sendable {
    /// `gunicorn`, `uvicorn`, `uwsgi`, `daphne`, `hypercorn` or `node` (the names of `AppServer.kind`).
    public var kind: String
    /// Addresses from the command line, else the program's defaults (see `bindsAreDefault`);
    /// empty when unknown: a config file names them, or the title was rewritten.
    public var binds: [AppServerBind]
    /// `binds` are the program's built-in defaults (source `default`), not anything written:
    /// a config file the program reads may still replace them.
    public var bindsAreDefault: Bool
    /// `--timeout` (gunicorn), `--harakiri` (uWSGI), `--http-timeout` (daphne), when given.
    public var timeoutSeconds: Int?
    /// `-c/--config` (gunicorn, hypercorn), absolute when the directory it resolves against is known.
    public var configFile: String?
    /// gunicorn without `-c` reads `gunicorn.conf.py` from the directory it was started in, when that file exists.
    public var defaultConfigFile: String?
    /// uWSGI `--ini` files (and a bare `app.ini` argument), in the order uWSGI reads them.
    public var iniFiles: [UWSGIIniReference]
    /// Relative `-c`/`--ini` paths whose start directory is unknown (a `--chdir` hides it and no
    /// service says where the server was started): what they set is unknown, and they are not read.
    public var unresolvedConfigFiles: [String] = []
    /// The directory relative socket paths were resolved against (`--chdir`, else the process's).
    public var directory: String?
    /// The process rewrote its argv (setproctitle: `gunicorn: master [app.wsgi]`), so its options are unknown.
    public var titleRewritten: Bool
    /// Things a reader of the evidence should know (`--http` runs uWSGI's HTTP router, a bind that cannot work, …).
    public var notes: [String]
    /// Workers, threads, worker class and timeouts the command line sets (source `command line`).
    public var limits = AppServerLimits()
    /// What config files set (`path:line`); a later file's value over an earlier one's.
    public var configLimits = AppServerLimits()

    public init(kind: String, binds: [AppServerBind] = [], bindsAreDefault: Bool = false, timeoutSeconds: Int? = nil,
                configFile: String? = nil, defaultConfigFile: String? = nil, iniFiles: [UWSGIIniReference] = [],
                directory: String? = nil, titleRewritten: Bool = false, notes: [String] = []) {
        self.kind = kind
        self.binds = binds
        self.bindsAreDefault = bindsAreDefault
        self.timeoutSeconds = timeoutSeconds
        self.configFile = configFile
        self.defaultConfigFile = defaultConfigFile
        self.iniFiles = iniFiles
        self.directory = directory
        self.titleRewritten = titleRewritten
        self.notes = notes
    }

    /// The limits that hold: the command line's, else a config file's, else the program's
    /// defaults (`AppServerDefaults.limits`).
    public var effectiveLimits: AppServerLimits {
        var result = limits.filled(from: configLimits).filled(from: AppServerDefaults.limits(kind: kind))
        // The defaults' notes only hold while the default does.
        if result.workers?.isDefault == false { result.notes.removeAll { $0.contains("WEB_CONCURRENCY") } }
        if result.timeout != nil { result.notes.removeAll { $0.contains("unless `harakiri` is set") } }
        // gunicorn switches the default sync class to gthread when --threads is above 1 (gunicorn/config.py).
        if kind == "gunicorn", result.workerClass?.isDefault == true, (result.threads?.intValue ?? 1) > 1 {
            result.workerClass = AppServerSetting("gthread", source: AppServerSetting.defaultSource)
        }
        if kind == "gunicorn", let workerClass = result.workerClass, !result.timeoutEndsSlowRequests {
            result.notes.append("with the `\(workerClass.value)` worker class gunicorn's --timeout is only a heartbeat: it never ends a slow request")
        }
        return result
    }

    /// The last ini file named: the site's own in Debian's layout
    /// (`--ini /usr/share/uwsgi/conf/default.ini --ini /etc/uwsgi/apps-enabled/app.ini`).
    public var iniFile: String? { iniFiles.last?.path }

    /// `%(name)` values uWSGI gets from outside its ini files, to pass to `UWSGIIniFile.binds`
    /// for every ini of this server: Debian's init script derives them from the site's ini
    /// (the last one), and its template (the first) names the socket with them.
    public var iniPlaceholders: [String: String] {
        iniFile.map(UWSGIIniFile.debianPlaceholders(forConfig:)) ?? [:]
    }

    /// This command line with what a config file said folded in, the way the program does it.
    ///
    /// gunicorn and hypercorn: binds on the command line win; otherwise the file's binds
    /// replace the defaults, and a file without binds leaves the defaults. uWSGI: sockets
    /// from the command line and its ini files are all bound. A timeout on the command
    /// line wins over the file's.
    public func applying(configBinds: [AppServerBind], timeoutSeconds configTimeout: Int?,
                         limits fileLimits: AppServerLimits = AppServerLimits()) -> ParsedAppServer {
        var result = self
        result.configLimits = fileLimits.filled(from: configLimits)
        if kind == "uwsgi" {
            result.binds += configBinds
        } else if binds.isEmpty || bindsAreDefault {
            if !configBinds.isEmpty {
                result.binds = configBinds
                result.bindsAreDefault = false
            } else if binds.isEmpty, let defaults = AppServerDefaults.binds(kind: kind) {
                result.binds = defaults
                result.bindsAreDefault = true
            }
        }
        if result.timeoutSeconds == nil { result.timeoutSeconds = configTimeout }
        return result
    }
}

/// An ini file a uWSGI command line loads, and the section it reads (`--ini app.ini:prod`).
public struct UWSGIIniReference: Hashable, Sendable {
    /// Absolute when the directory uWSGI was started in is known.
    public var path: String
    /// `uwsgi` unless the argument named another.
    public var section: String

    public init(path: String, section: String = "uwsgi") {
        self.path = path
        self.section = section
    }
}

/// Where each program listens, and how many requests it runs for how long, when nothing says otherwise.
enum AppServerDefaults {
    /// Each program's documented defaults (gunicorn 23/27 config.py, uWSGI 2.0, uvicorn 0.3x).
    static func limits(kind: String) -> AppServerLimits {
        func value(_ text: String) -> AppServerSetting { AppServerSetting(text, source: AppServerSetting.defaultSource) }
        switch kind {
        case "gunicorn":
            return AppServerLimits(timeout: value("30"), gracefulTimeout: value("30"), workers: value("1"), threads: value("1"),
                                   workerClass: value("sync"), workerConnections: value("1000"),
                                   notes: ["gunicorn's default worker count is $WEB_CONCURRENCY when that is set in its environment, else 1"],
                                   keepAlive: value("2"), requestLineLimit: value("4094"), requestFieldSizeLimit: value("8190"))
        case "uwsgi":
            return AppServerLimits(workers: value("1"), threads: value("1"), workerClass: value("prefork"),
                                   notes: ["uWSGI has no request timeout unless `harakiri` is set"], bufferSize: value("4096"))
        case "uvicorn":
            return AppServerLimits(workers: value("1"), workerClass: value("asyncio"),
                                   notes: ["uvicorn's default worker count is $WEB_CONCURRENCY when that is set in its environment, else 1",
                                           "uvicorn has no request timeout: a slow request runs until it ends or the proxy gives up (only --limit-concurrency bounds the load, with 503s)"],
                                   keepAlive: value("5"))
        default:
            return AppServerLimits()
        }
    }

    static let source = "default"

    /// gunicorn, uvicorn, daphne and hypercorn all default to 127.0.0.1:8000 (gunicorn
    /// uses `0.0.0.0:$PORT` when `PORT` is in its environment, which argv does not show).
    static func binds(kind: String) -> [AppServerBind]? {
        switch kind {
        case "gunicorn", "uvicorn", "daphne", "hypercorn":
            return [AppServerBind(endpoint: .tcp(host: "127.0.0.1", port: 8000), raw: "127.0.0.1:8000", source: source)]
        default:
            return nil
        }
    }
}
