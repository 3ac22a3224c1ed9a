import DoctorFacts
import Foundation

/// Where an app server listens (and so where a proxy points).
public enum Bind: Sendable, Hashable, CustomStringConvertible {
    case tcp(host: String, port: Int)
    case unix(path: String)

    /// `127.0.0.1:PORT`.
    public static func tcp(_ port: Int) -> Bind { .tcp(host: "127.0.0.1", port: port) }

    /// As gunicorn's `--bind` takes it.
    public var gunicornArgument: String {
        switch self {
        case let .tcp(host, port): host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        case let .unix(path): "unix:\(path)"
        }
    }

    /// As nginx's `proxy_pass` takes it.
    public var nginxProxyPassTarget: String {
        switch self {
        case .tcp: "http://\(gunicornArgument)"
        case let .unix(path): "http://unix:\(path)"
        }
    }

    /// As an nginx `upstream { server …; }` line takes it.
    public var nginxServerAddress: String { gunicornArgument }

    /// The fact-model endpoint, for comparing with gwdoctor's output.
    public var endpoint: Endpoint {
        switch self {
        case let .tcp(host, port): .tcp(host: host, port: port)
        case let .unix(path): .unix(path: path)
        }
    }

    public var description: String { gunicornArgument }
}

extension Lab {
    /// A socket path in the lab's run directory.
    public func socketPath(_ name: String = "gunicorn.sock") -> String { "\(runDirectory)/\(name)" }

    /// Starts Gunicorn from the venv serving `labsite.wsgi:application`, and waits until
    /// it listens and `/health/` answers 200 from a booted worker (set `waitUntilHealthy`
    /// to false for faults where it must not boot).
    ///
    /// `environment` overrides the lab environment (`nil` values remove a variable).
    @discardableResult
    public func startGunicorn(name: String = "gunicorn", bind: Bind, workers: Int = 2,
                              extraArgs: [String] = [], environment overrides: [String: String?] = [:],
                              waitUntilHealthy: Bool = true, timeout: Duration = .seconds(40)) async throws -> LabProcess {
        let gunicorn = "\(venv)/bin/gunicorn"
        guard FileManager.default.isExecutableFile(atPath: gunicorn) else { throw LabError.notSetUp("\(gunicorn) is missing") }
        let logPath = "\(logsDirectory)/\(name).log", pidFile = "\(runDirectory)/\(name).pid"
        let argv = [gunicorn,
                    "--chdir", labsite,
                    "--bind", bind.gunicornArgument,
                    "--workers", String(workers),
                    "--no-control-socket",
                    "--error-logfile", logPath,
                    "--pid", pidFile]
            + extraArgs + ["labsite.wsgi:application"]
        let process = try startProcess(name: name, argv, environment: environment(overrides),
                                       logPath: logPath, pidFile: pidFile)
        if waitUntilHealthy {
            try await self.waitUntilHealthy(bind, timeout: timeout, process: process)
        }
        return process
    }

    /// Starts Uvicorn from the venv serving `labsite.asgi:application` (TCP or `--uds`),
    /// and waits until `/health/` answers 200.
    @discardableResult
    public func startUvicorn(name: String = "uvicorn", bind: Bind, workers: Int? = nil,
                             extraArgs: [String] = [], environment overrides: [String: String?] = [:],
                             waitUntilHealthy: Bool = true, timeout: Duration = .seconds(40)) async throws -> LabProcess {
        let uvicorn = "\(venv)/bin/uvicorn"
        guard FileManager.default.isExecutableFile(atPath: uvicorn) else { throw LabError.notSetUp("\(uvicorn) is missing") }
        var argv = [uvicorn, "--app-dir", labsite]
        switch bind {
        case let .tcp(host, port): argv += ["--host", host, "--port", String(port)]
        case let .unix(path): argv += ["--uds", path]
        }
        if let workers { argv += ["--workers", String(workers)] }
        argv += extraArgs + ["labsite.asgi:application"]
        let process = try startProcess(name: name, argv, environment: environment(overrides),
                                       logPath: "\(logsDirectory)/\(name).stderr")
        if waitUntilHealthy {
            try await self.waitUntilHealthy(bind, timeout: timeout, process: process)
        }
        return process
    }
}

extension Lab {
    /// `gwdoctor ARGUMENTS` in the namespace, in its own private mount namespace where
    /// `target`'s parent is an empty tmpfs and `target` is the lab's `source` directory
    /// (e.g. `/var/log/gunicorn`): the host layout of a server that logs there, for a
    /// gatherer that looks in conventional places, without touching the host's
    /// directories (the mounts live and die with that one gwdoctor process).
    ///
    /// `hiding` is where the tmpfs goes when `target`'s parent does not exist (an existing
    /// ancestor such as `/var/spool` for `/var/spool/cron/crontabs`).
    public func runDoctor(mounting source: String, at target: String, hiding: String? = nil, _ arguments: [String],
                          timeout: Duration = .seconds(120)) async throws -> DoctorRun {
        let doctor = try Lab.doctorExecutable()
        let parent = hiding ?? (target as NSString).deletingLastPathComponent
        let script = #"set -e; mount -t tmpfs gwdoctor-lab "$1"; mkdir -p "$2"; mount --bind "$0" "$2"; shift 2; exec "$@""#
        let output = try await runInNamespace(["unshare", "--mount", "--propagation", "private", "sh", "-c", script,
                                               source, parent, target, doctor] + arguments,
                                              environment: doctorEnvironment, timeout: timeout)
        return DoctorRun(output: output)
    }
}
