import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One `[program:NAME]` section of the lab's supervisord.conf.
public struct SupervisedProgram: Sendable {
    public var name: String
    /// The argv of `command=` (quoted for supervisor's shlex split when needed).
    public var command: [String]
    /// `directory=`, when set.
    public var directory: String?
    /// Exactly what `environment=` holds (KEY="value",…). supervisord itself runs with a
    /// bare environment (PATH, HOME, LANG, TZ), so a variable left out here is really
    /// missing in the program, as on a host where it was never configured.
    public var environment: [String: String]
    public var autostart: Bool
    /// `autorestart=` as written (`true`, `false`, `unexpected`).
    public var autorestart: String
    public var startretries: Int
    public var startsecs: Int
    public var stopwaitsecs: Int
    /// Extra `key=value` lines written verbatim at the end of the section.
    public var extraLines: [String]

    public init(name: String, command: [String], directory: String? = nil, environment: [String: String] = [:],
                autostart: Bool = true, autorestart: String = "true", startretries: Int = 3, startsecs: Int = 2,
                stopwaitsecs: Int = 5, extraLines: [String] = []) {
        self.name = name
        self.command = command
        self.directory = directory
        self.environment = environment
        self.autostart = autostart
        self.autorestart = autorestart
        self.startretries = startretries
        self.startsecs = startsecs
        self.stopwaitsecs = stopwaitsecs
        self.extraLines = extraLines
    }
}

/// One line of `supervisorctl status`: `app   FATAL   Exited too quickly (process log may have details)`.
public struct SupervisorProgramStatus: Sendable, CustomStringConvertible {
    public var name: String
    /// `RUNNING`, `STARTING`, `BACKOFF`, `FATAL`, `EXITED`, `STOPPED`, `STOPPING`, `UNKNOWN`.
    public var state: String
    /// The rest of the line (`pid 1234, uptime 0:00:05`, `Exited too quickly …`).
    public var detail: String

    public var description: String { "\(name) \(state) \(detail)" }

    /// Parses the status lines supervisorctl prints (`ERROR (no such process)` lines are skipped).
    public static func parse(_ text: String) -> [SupervisorProgramStatus] {
        text.split(separator: "\n").compactMap { line in
            let words = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
            guard words.count >= 2, words[1].allSatisfy({ $0.isUppercase }) else { return nil }
            let detail = words.count > 2 ? words[2].trimmingCharacters(in: .whitespaces) : ""
            return SupervisorProgramStatus(name: String(words[0]), state: String(words[1]), detail: detail)
        }
    }
}

extension Lab {
    // MARK: Paths

    public var supervisordConfigPath: String { "\(directory)/supervisord.conf" }
    public var supervisorSocketPath: String { "\(runDirectory)/supervisor.sock" }
    public var supervisordLog: String { "\(logsDirectory)/supervisord.log" }
    public var supervisordPIDFile: String { "\(runDirectory)/supervisord.pid" }
    /// `stdout_logfile=` of program `name`.
    public func programStdoutLog(_ name: String) -> String { "\(logsDirectory)/\(name).out.log" }
    /// `stderr_logfile=` of program `name` (gunicorn's error log: it writes to stderr by default).
    public func programStderrLog(_ name: String) -> String { "\(logsDirectory)/\(name).err.log" }

    /// The running supervisord, if the lab started one.
    public var supervisord: LabProcess? { processes(named: "supervisord").last }

    // MARK: Programs

    /// Gunicorn from the venv as a supervised program: `command=gunicorn --chdir labsite
    /// --bind BIND --workers N --no-control-socket APP` (error log on stderr, the default),
    /// `directory=labsite`, and `environment=` with DJANGO_SETTINGS_MODULE,
    /// DJANGO_SECRET_KEY, LAB_DATA_DIR and PYTHONUNBUFFERED; `environment` overrides them
    /// (`nil` removes one: `["DJANGO_SECRET_KEY": nil]`).
    public func gunicornProgram(name: String = "app", bind: Bind, workers: Int = 2,
                                app: String = "labsite.wsgi:application", extraArgs: [String] = [],
                                environment overrides: [String: String?] = [:],
                                startsecs: Int = 2, startretries: Int = 3) -> SupervisedProgram {
        let environment = programEnvironment(overrides)
        let command = ["\(venv)/bin/gunicorn", "--chdir", labsite, "--bind", bind.gunicornArgument,
                       "--workers", String(workers), "--no-control-socket"] + extraArgs + [app]
        return SupervisedProgram(name: name, command: command, directory: labsite, environment: environment,
                                 startretries: startretries, startsecs: startsecs)
    }

    /// The `environment=` every lab app-server program gets: DJANGO_SETTINGS_MODULE,
    /// DJANGO_SECRET_KEY, LAB_DATA_DIR and PYTHONUNBUFFERED, with `overrides` applied
    /// (`nil` removes one: `["DJANGO_SECRET_KEY": nil]` is the missing-env-var crash).
    func programEnvironment(_ overrides: [String: String?]) -> [String: String] {
        var environment = appEnvironment
        for (key, value) in overrides { environment[key] = value }
        return environment
    }

    /// Uvicorn from the venv as a supervised program: `command=uvicorn --app-dir labsite
    /// --host H --port P APP` (or `--uds PATH`), `directory=labsite`, the same
    /// `environment=` as `gunicornProgram` (`environment` overrides it, `nil` removes).
    /// Uvicorn logs to stderr (there is no log-file option), so its boot traceback lands in
    /// the program's stderr_logfile.
    public func uvicornProgram(name: String = "app", bind: Bind, app: String = "labsite.asgi:application",
                               extraArgs: [String] = [], environment overrides: [String: String?] = [:],
                               startsecs: Int = 2, startretries: Int = 3) -> SupervisedProgram {
        let environment = programEnvironment(overrides)
        var command = ["\(venv)/bin/uvicorn", "--app-dir", labsite]
        switch bind {
        case let .tcp(host, port): command += ["--host", host, "--port", String(port)]
        case let .unix(path): command += ["--uds", path]
        }
        command += extraArgs + [app]
        return SupervisedProgram(name: name, command: command, directory: labsite, environment: environment,
                                 startretries: startretries, startsecs: startsecs)
    }

    /// The complete supervisord.conf for `programs`: socket, log, pid file and every
    /// program log under the lab directory, so nothing touches /etc/supervisor or the
    /// system's supervisord.
    public func supervisordConfig(_ programs: [SupervisedProgram]) -> String {
        var text = """
        ; gwdoctor lab \(name): written by DoctorLab (LabSupervisor.swift)
        [unix_http_server]
        file=\(supervisorEscape(supervisorSocketPath))
        chmod=0700

        [supervisord]
        nodaemon=true
        logfile=\(supervisorEscape(supervisordLog))
        pidfile=\(supervisorEscape(supervisordPIDFile))
        childlogdir=\(supervisorEscape(logsDirectory))
        loglevel=info

        [rpcinterface:supervisor]
        supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

        [supervisorctl]
        serverurl=unix://\(supervisorEscape(supervisorSocketPath))

        """
        for program in programs {
            text += "\n[program:\(program.name)]\n"
            text += "command=\(program.command.map { supervisorEscape(shellQuote($0)) }.joined(separator: " "))\n"
            if let directory = program.directory { text += "directory=\(supervisorEscape(directory))\n" }
            if !program.environment.isEmpty {
                let pairs = program.environment.sorted { $0.key < $1.key }.map { key, value in
                    let quoted = value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                    return "\(key)=\"\(supervisorEscape(quoted))\""
                }
                text += "environment=\(pairs.joined(separator: ","))\n"
            }
            text += """
            autostart=\(program.autostart)
            autorestart=\(program.autorestart)
            startretries=\(program.startretries)
            startsecs=\(program.startsecs)
            stopwaitsecs=\(program.stopwaitsecs)
            stopasgroup=true
            killasgroup=true
            stdout_logfile=\(supervisorEscape(programStdoutLog(program.name)))
            stderr_logfile=\(supervisorEscape(programStderrLog(program.name)))

            """
            for line in program.extraLines { text += line + "\n" }
        }
        return text
    }

    /// Writes `DIR/supervisord.conf` and starts `supervisord -c DIR/supervisord.conf -n` in
    /// the namespace as a lab process (in the foreground, so `tearDown` stops it and
    /// supervisord stops its programs; the namespace sweep catches any left). Waits until
    /// `supervisorctl pid` answers through the lab's socket; it does not wait for the
    /// programs (see `waitForProgramState`).
    @discardableResult
    public func startSupervisord(programs: [SupervisedProgram], timeout: Duration = .seconds(20)) async throws -> LabProcess {
        guard let supervisord = Spawn.which("supervisord") else { throw LabError.notSetUp("supervisord is not installed (Debian package supervisor)") }
        if let running = self.supervisord, isRunning(running) {
            throw LabError.usage("supervisord already runs in lab \(name) (pid \(running.pid))")
        }
        try write(supervisordConfig(programs), to: supervisordConfigPath)
        // A bare environment: programs get only what `environment=` gives them.
        let environment = ["PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                           "HOME": directory, "LANG": "C.UTF-8", "TZ": "UTC"]
        let process = try startProcess(name: "supervisord", [supervisord, "-c", supervisordConfigPath, "-n"],
                                       environment: environment, workingDirectory: directory,
                                       logPath: supervisordLog, pidFile: supervisordPIDFile)
        var last: CommandOutput?
        let ready = try await Poll.until(timeout: timeout, interval: .milliseconds(100)) { () -> Bool? in
            guard self.isRunning(process) else {
                throw LabError.processExited(name: process.description, status: self.exitStatus(of: process) ?? "exited",
                                             log: self.logTail(process))
            }
            guard self.isSocketFile(self.supervisorSocketPath) else { return nil }
            last = try await self.supervisorctl(["pid"], timeout: .seconds(10))
            return last?.exitCode == 0 && Int32(last!.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) == process.pid ? true : nil
        }
        guard ready == true else {
            throw LabError.timedOut("supervisord (\(supervisorSocketPath)) never answered `supervisorctl pid` (last: \(last?.description ?? "none"))",
                                    details: logTail(process))
        }
        return process
    }

    /// `supervisorctl -c DIR/supervisord.conf ARGS` in the namespace (the lab's socket only;
    /// the exit code is supervisorctl's: 3 when a program is not running).
    public func supervisorctl(_ arguments: [String], timeout: Duration = .seconds(30)) async throws -> CommandOutput {
        guard let supervisorctl = Spawn.which("supervisorctl") else { throw LabError.notSetUp("supervisorctl is not installed") }
        let environment = ["PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                           "HOME": directory, "LANG": "C.UTF-8"]
        return try await runInNamespace([supervisorctl, "-c", supervisordConfigPath] + arguments,
                                        environment: environment, timeout: timeout)
    }

    /// `supervisorctl status NAME`, parsed (`nil` when supervisorctl names no such program).
    public func programStatus(_ name: String) async throws -> SupervisorProgramStatus? {
        let output = try await supervisorctl(["status", name], timeout: .seconds(10))
        return SupervisorProgramStatus.parse(output.stdout).first { $0.name == name }
    }

    /// Polls `supervisorctl status NAME` (bounded) until the program is in one of `states`
    /// (`["RUNNING"]`, `["FATAL", "BACKOFF"]`); returns that status, or throws with every
    /// state seen and the log tails at the deadline.
    @discardableResult
    public func waitForProgramState(_ name: String, states: Set<String>, timeout: Duration = .seconds(40)) async throws -> SupervisorProgramStatus {
        var seen: [String] = []
        let status = try await Poll.until(timeout: timeout, interval: .milliseconds(200)) { () -> SupervisorProgramStatus? in
            if let running = self.supervisord, !self.isRunning(running) {
                throw LabError.processExited(name: running.description, status: self.exitStatus(of: running) ?? "exited",
                                             log: self.logTail(running))
            }
            guard let status = try await self.programStatus(name) else { return nil }
            if seen.last != status.state { seen.append(status.state) }
            return states.contains(status.state) ? status : nil
        }
        guard let status else {
            throw LabError.timedOut("program \(name) never reached \(states.sorted()) (states seen: \(seen.joined(separator: " → ")))",
                                    details: logs())
        }
        return status
    }

    /// `supervisorctl pid NAME`: the program's pid while it runs.
    public func programPID(_ name: String) async throws -> pid_t? {
        let output = try await supervisorctl(["pid", name], timeout: .seconds(10))
        guard let pid = pid_t(output.stdout.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0 else { return nil }
        return pid
    }

    /// Stops supervisord (`SIGTERM`: it stops its programs first) and waits until it and
    /// every process it started are gone from the namespace.
    public func stopSupervisord(timeout: Duration = .seconds(15)) async throws {
        guard let process = supervisord else { throw LabError.usage("no supervisord runs in lab \(name)") }
        guard try await stop(process, signal: SIGTERM, group: true, timeout: timeout) else {
            throw LabError.timedOut("supervisord \(process.pid) did not stop on SIGTERM", details: logTail(process))
        }
    }

    /// Polls a log file (bounded) until a line contains every one of `needles`.
    public func waitForLogLine(_ path: String, containingAll needles: [String], timeout: Duration = .seconds(15)) async throws -> String? {
        try await Poll.until(timeout: timeout, interval: .milliseconds(100)) { () -> String? in
            Lab.readText(path).split(separator: "\n").map(String.init).first { line in needles.allSatisfy { line.contains($0) } }
        }
    }

    // MARK: A squatter on a port

    /// A small Python listener on `bind` (TCP) that accepts every connection, reads the
    /// request head (at most 2 s, 64 kB) and closes without a byte of answer: the "port
    /// already in use" fault (the app server cannot bind; nginx connects to the squatter
    /// and logs `upstream prematurely closed connection while reading response header`,
    /// a 502). Reading first makes the close a FIN, not a reset. Waits until it listens.
    @discardableResult
    public func startPortSquatter(name: String = "squatter", bind: Bind, timeout: Duration = .seconds(15)) async throws -> LabProcess {
        guard case let .tcp(host, port) = bind else { throw LabError.usage("a port squatter needs a TCP address") }
        let script = """
        import socket, sys, threading
        host, port = sys.argv[1], int(sys.argv[2])
        s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
        s.bind((host, port)); s.listen(64)
        print("listening", flush=True)
        def serve(c):
            try:
                c.settimeout(2)
                data = b""
                while b"\\r\\n\\r\\n" not in data and len(data) < 65536:
                    chunk = c.recv(4096)
                    if not chunk: break
                    data += chunk
            except OSError:
                pass
            finally:
                c.close()
        while True:
            c, _ = s.accept()
            threading.Thread(target=serve, args=(c,), daemon=True).start()
        """
        let process = try startProcess(name: name, [python, "-c", script, host, String(port)],
                                       environment: ["PATH": labPath, "LANG": "C.UTF-8", "HOME": directory])
        try await waitUntilListening(bind, timeout: timeout, process: process)
        return process
    }

    // MARK: Quoting

    /// supervisor expands `%(name)s` in values: a literal `%` is `%%`.
    private func supervisorEscape(_ value: String) -> String {
        value.replacingOccurrences(of: "%", with: "%%")
    }

    /// Quotes one word for supervisor's `shlex.split` of `command=` when it needs it.
    private func shellQuote(_ word: String) -> String {
        let safe = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=,@+[]")
        if !word.isEmpty, word.unicodeScalars.allSatisfy({ safe.contains($0) }) { return word }
        return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
