import Foundation

/// Why an app server (Gunicorn, Uvicorn, uWSGI) failed to boot, read from its own log.
public enum StartupCause: String, Hashable, Codable, Sendable, CaseIterable {
    /// `KeyError: 'NAME'` from `os.environ[...]` (detail: the variable's name).
    case missingEnvVar = "missing-env-var"
    /// Django's `The SECRET_KEY setting must not be empty.`
    case missingSecretKey = "missing-secret-key"
    /// `ModuleNotFoundError` for the module named in `DJANGO_SETTINGS_MODULE` (detail: that module).
    case badSettingsModule = "bad-settings-module"
    /// An import of the app's own code failed (detail: the module).
    case importError = "import-error"
    /// A third-party package is not installed in the virtualenv (detail: the top-level module).
    case missingPackage = "missing-package"
    /// Gunicorn `Failed to find attribute 'app' in 'mod'.`, Uvicorn `Attribute "app" not found` (detail: `mod:app`).
    case missingAttribute = "missing-attribute"
    /// The listen address is taken (detail: `host:port`).
    case portInUse = "port-in-use"
    /// The database refused or could not be opened (detail: `host:port`, or the sqlite message).
    case databaseUnreachable = "database-unreachable"
    /// `no such table` / `relation … does not exist` (detail: the table).
    case migrationsNotApplied = "migrations-not-applied"
    /// uWSGI `*** no app loaded. GAME OVER ***` without a more precise traceback before it.
    case noAppLoaded = "no-app-loaded"
    /// A boot failure none of the above explains (the decisive line says what).
    case other
}

/// One boot failure of an app server, classified from its log.
///
/// Repeated worker boots that fail the same way (Gunicorn boots every worker, and the
/// arbiter may retry) are one failure with `occurrences` counting them.
public struct StartupFailure: Hashable, Codable, Sendable {
    public var cause: StartupCause
    /// The env var name, module, package, `host:port` or table, when the cause has one.
    public var detail: String?
    /// The line that decides the cause (usually a traceback's last line), redacted.
    public var decisiveLine: String
    /// Where the decisive line is: `path:line`, or `journal`.
    public var source: String
    /// When the failure was logged, when the log says.
    public var time: Date?
    /// `gunicorn`, `uvicorn` or `uwsgi`.
    public var program: String
    /// The exit code when the log says (`Worker … exited with code 3`, `Reason: Worker failed to boot.` = 3,
    /// `App failed to load.` = 4, uWSGI GAME OVER = 22).
    public var exitCode: Int?
    /// How many boot attempts failed this way in the window.
    public var occurrences: Int

    public init(cause: StartupCause, detail: String? = nil, decisiveLine: String, source: String, time: Date? = nil,
                program: String, exitCode: Int? = nil, occurrences: Int = 1) {
        self.cause = cause
        self.detail = detail
        self.decisiveLine = Redactor.redact(decisiveLine)
        self.source = source
        self.time = time
        self.program = program
        self.exitCode = exitCode
        self.occurrences = occurrences
    }
}
