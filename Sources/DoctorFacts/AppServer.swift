/// An application server found in the process table: one master and its workers,
/// and every address it binds.
public struct AppServer: Hashable, Codable, Sendable {
    /// Which program (`gunicorn`, `uvicorn`, `uwsgi`, `daphne`, `hypercorn`, `node`).
    public var kind: String
    public var masterPID: Int
    public var workerPIDs: [Int]
    public var user: String?
    public var uid: Int?
    public var workingDirectory: String?
    /// Addresses from the command line or a config file it names; may be empty when unknown.
    public var binds: [AppServerBind]
    /// The command line, redacted.
    public var cmdline: [String]
    /// Worker timeout in seconds when given (`--timeout`, uWSGI `harakiri`).
    public var timeoutSeconds: Int?
    /// Workers, threads, worker class and timeouts, each with where it was read (command
    /// line, config file line, or the program's default).
    public var limits: AppServerLimits

    public init(kind: String, masterPID: Int, workerPIDs: [Int] = [], user: String? = nil, uid: Int? = nil,
                workingDirectory: String? = nil, binds: [AppServerBind] = [], cmdline: [String] = [],
                timeoutSeconds: Int? = nil, limits: AppServerLimits = AppServerLimits()) {
        self.kind = kind
        self.masterPID = masterPID
        self.workerPIDs = workerPIDs
        self.user = user
        self.uid = uid
        self.workingDirectory = workingDirectory
        self.binds = binds
        self.cmdline = cmdline
        self.timeoutSeconds = timeoutSeconds
        self.limits = limits
    }

    /// `gunicorn pid 412 (www-data)`.
    public var label: String {
        if let user { return "\(kind) pid \(masterPID) (\(user))" }
        return "\(kind) pid \(masterPID)"
    }

    /// Every endpoint it binds (binds by inherited fd have none).
    public var endpoints: [Endpoint] { binds.compactMap(\.endpoint) }
}

/// One bind of an app server.
public struct AppServerBind: Hashable, Codable, Sendable {
    /// The address, when it names one (not for `--fd 3`).
    public var endpoint: Endpoint?
    /// As written (`127.0.0.1:8000`, `unix:/run/app.sock`, `fd://3`).
    public var raw: String
    /// Where it was found: `command line`, or `path:line` of a config file.
    public var source: String
    /// The uWSGI socket protocol (`uwsgi`, `http`), when that matters for the proxy's pass directive.
    public var protocolName: String?

    public init(endpoint: Endpoint?, raw: String, source: String, protocolName: String? = nil) {
        self.endpoint = endpoint
        self.raw = raw
        self.source = source
        self.protocolName = protocolName
    }
}
