import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One test's private world: a temp directory and a network namespace with its own
/// loopback, in which real nginx, Gunicorn, Uvicorn and Django run.
///
/// A *holder* process (`unshare -n`) keeps the namespace alive; every lab process is
/// started with `nsenter -t HOLDER -n`, so each test has `127.0.0.1:8000` to itself,
/// whatever runs in parallel and whatever the machine's own nginx does. Only the network
/// is private: the process table is the machine's (gwdoctor must pick the right
/// master by `--nginx-conf`, as on a real multi-site host).
///
/// Always pair `start` with `tearDown` (or use `withLab`): it stops every process the
/// lab started, sweeps anything left in the namespace, and removes the directory
/// (kept when `GWDOCTOR_LAB_KEEP=1`). If the test process dies, the holder notices its
/// pipe closing and kills everything in the namespace itself.
public final class Lab: @unchecked Sendable {
    public let name: String
    /// The lab's directory, mode 0755 so the nginx worker user can traverse it.
    public let directory: String
    /// The checkout (found from this file's path, or `GWDOCTOR_ROOT`).
    public let repositoryRoot: String
    /// The process that keeps the network namespace alive.
    public let holderPID: pid_t
    /// `net:[…]` of the lab's namespace.
    public let networkNamespace: String

    private let holderPipe: Int32
    private let lock = NSLock()
    private var tracked: [LabProcess] = []
    private var children: Set<pid_t> = []
    private var commandCount = 0
    private var isTornDown = false

    // MARK: Paths

    public var logsDirectory: String { "\(directory)/logs" }
    /// Sockets and pid files.
    public var runDirectory: String { "\(directory)/run" }
    public var tmpDirectory: String { "\(directory)/tmp" }
    public var dataDirectory: String { "\(directory)/data" }
    public var venv: String { "\(repositoryRoot)/.lab-venv" }
    /// The Django project (`manage.py` lives here).
    public var labsite: String { "\(repositoryRoot)/Lab/labsite" }
    public var python: String { "\(venv)/bin/python" }

    /// The `SECRET_KEY` the lab gives Django (not a secret: it exists only in tests).
    public static let djangoSecretKey = "gwdoctor-lab-insecure-key-0123456789abcdefghijklmnopqrstuvwxyz"

    /// PATH inside the lab: the venv first, then the system directories.
    public var labPath: String { "\(venv)/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" }

    // MARK: Start

    private init(name: String, directory: String, repositoryRoot: String, holderPID: pid_t,
                 networkNamespace: String, holderPipe: Int32) {
        self.name = name
        self.directory = directory
        self.repositoryRoot = repositoryRoot
        self.holderPID = holderPID
        self.networkNamespace = networkNamespace
        self.holderPipe = holderPipe
        children.insert(holderPID)
    }

    /// The checkout root: `GWDOCTOR_ROOT`, else three levels up from this source file.
    public static func repositoryRoot(filePath: String = #filePath) -> String {
        if let root = ProcessInfo.processInfo.environment["GWDOCTOR_ROOT"], !root.isEmpty { return root }
        var url = URL(fileURLWithPath: filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() } // Lab.swift, DoctorLab, Sources
        return url.path
    }

    /// Creates the directory and the network namespace. `directory` pins the lab's
    /// path (for captured examples, whose paths should not be random); it is emptied first.
    public static func start(name: String, directory fixedDirectory: String? = nil) async throws -> Lab {
        let root = repositoryRoot()
        for program in ["unshare", "nsenter", "ip", "sh"] where Spawn.which(program) == nil {
            throw LabError.notSetUp("\(program) is not installed")
        }
        guard FileManager.default.isExecutableFile(atPath: "\(root)/.lab-venv/bin/python") else {
            throw LabError.notSetUp("\(root)/.lab-venv is missing")
        }

        let safeName = String(name.map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "-" }.prefix(24))
        let directory: String
        if let fixedDirectory {
            try? FileManager.default.removeItem(atPath: fixedDirectory)
            do {
                try FileManager.default.createDirectory(atPath: fixedDirectory, withIntermediateDirectories: true)
            } catch {
                throw LabError.io("cannot create \(fixedDirectory): \(error)")
            }
            directory = fixedDirectory
        } else {
            var template = Array("/tmp/gwdoctor-lab-\(safeName)-XXXXXX".utf8CString)
            guard let made = mkdtemp(&template) else {
                throw LabError.io("mkdtemp failed: \(String(cString: strerror(errno)))")
            }
            directory = String(cString: made)
        }
        // mkdtemp makes 0700; the nginx workers (www-data) must traverse to the sockets.
        chmod(directory, 0o755)
        for sub in ["logs", "run", "tmp", "data", "cmd"] {
            let path = "\(directory)/\(sub)"
            mkdir(path, 0o755)
            chmod(path, 0o755)
        }

        // The holder: takes a pipe as stdin; when the write end closes (teardown, or the
        // test process died), it kills everything left in its namespace and exits.
        let script = """
        ip link set lo up || exit 1
        echo ready
        cat >/dev/null
        me=$(readlink /proc/self/ns/net)
        for d in /proc/[0-9]*; do
          p=${d#/proc/}
          [ "$p" = "$$" ] && continue
          [ "$(readlink "$d/ns/net" 2>/dev/null)" = "$me" ] && kill -9 "$p" 2>/dev/null
        done
        # Reached only when the test process died without a teardown.
        if [ "$LAB_KEEP" != 1 ]; then
          case "$LAB_DIR" in /tmp/gwdoctor-*) sleep 1; rm -rf -- "$LAB_DIR" ;; esac
        fi
        exit 0
        """
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else {
            throw LabError.io("pipe failed: \(String(cString: strerror(errno)))")
        }
        // Only the holder may hold the read end; our write end must not leak into
        // other children, or the holder would miss the test process's death.
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        let holderOut = "\(directory)/logs/holder.stdout", holderErr = "\(directory)/logs/holder.stderr"
        let holderPID: pid_t
        do {
            holderPID = try Spawn.spawn(
                executable: Spawn.which("unshare")!, arguments: ["-n", "--", "sh", "-c", script],
                environment: ["PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8",
                              "LAB_DIR": directory,
                              "LAB_KEEP": ProcessInfo.processInfo.environment["GWDOCTOR_LAB_KEEP"] ?? ""],
                input: .fileDescriptor(fds[0]), stdoutPath: holderOut, stderrPath: holderErr)
        } catch {
            close(fds[0]); close(fds[1])
            throw error
        }
        close(fds[0])

        let ownNamespace = Spawn.networkNamespace(of: getpid())
        let ready = try await Poll.until(timeout: .seconds(15)) { () -> Bool? in
            if let exit = Spawn.reap(holderPID) {
                throw LabError.processExited(name: "namespace holder", status: exit.description,
                                             log: Lab.readText(holderErr))
            }
            return Lab.readText(holderOut).contains("ready") ? true : nil
        }
        guard ready == true, let namespace = Spawn.networkNamespace(of: holderPID), namespace != ownNamespace else {
            close(fds[1])
            Spawn.signalGroup(holderPID, SIGKILL)
            _ = try? await Poll.until(timeout: .seconds(5)) { Spawn.reap(holderPID) }
            throw LabError.timedOut("network namespace holder for lab \(name)", details: Lab.readText(holderErr))
        }
        return Lab(name: name, directory: directory, repositoryRoot: root, holderPID: holderPID,
                   networkNamespace: namespace, holderPipe: fds[1])
    }

    // MARK: Processes

    /// The environment lab processes get: deliberate, not inherited from the test run.
    /// `overrides` adds or replaces variables; a `nil` value removes one
    /// (`["DJANGO_SECRET_KEY": nil]` is the "missing env var" boot crash).
    public func environment(_ overrides: [String: String?] = [:]) -> [String: String] {
        var environment = appEnvironment.merging([
            "PATH": labPath,
            "HOME": directory,
            "LANG": "C.UTF-8",
            "TZ": "UTC",
            "PYTHONDONTWRITEBYTECODE": "1",
        ]) { app, _ in app }
        for (key, value) in overrides {
            environment[key] = value
        }
        return environment
    }

    /// What the lab site needs to boot (settings module, secret key, data directory,
    /// unbuffered output), shared by directly started servers and supervised programs.
    var appEnvironment: [String: String] {
        [
            "DJANGO_SETTINGS_MODULE": "labsite.settings",
            "DJANGO_SECRET_KEY": Lab.djangoSecretKey,
            "LAB_DATA_DIR": dataDirectory,
            "PYTHONUNBUFFERED": "1",
        ]
    }

    private func nsenterArguments(_ argv: [String], workingDirectory: String?) -> [String] {
        var arguments = ["-t", String(holderPID), "-n"]
        if let workingDirectory { arguments.append("--wd=\(workingDirectory)") }
        return arguments + ["--"] + argv
    }

    private func checkUsable() throws(LabError) {
        if lock.withLock({ isTornDown }) { throw .usage("lab \(name) is already torn down") }
    }

    /// Starts a long-running process in the namespace, in its own process group, with
    /// stdout and stderr in `logs/NAME.stdout` / `logs/NAME.stderr`. It is tracked and
    /// stopped by `tearDown`.
    @discardableResult
    public func startProcess(name: String, _ argv: [String], environment: [String: String]? = nil,
                             workingDirectory: String? = nil, logPath: String? = nil,
                             pidFile: String? = nil) throws -> LabProcess {
        try checkUsable()
        guard let nsenter = Spawn.which("nsenter") else { throw LabError.notSetUp("nsenter is not installed") }
        let stdoutPath = "\(logsDirectory)/\(name).stdout", stderrPath = "\(logsDirectory)/\(name).stderr"
        let pid = try Spawn.spawn(executable: nsenter, arguments: nsenterArguments(argv, workingDirectory: workingDirectory),
                                  environment: environment ?? self.environment(),
                                  stdoutPath: stdoutPath, stderrPath: stderrPath)
        let process = LabProcess(name: name, pid: pid, argv: argv, stdoutPath: stdoutPath, stderrPath: stderrPath,
                                 logPath: logPath, pidFile: pidFile, isChild: true)
        lock.withLock {
            tracked.append(process)
            _ = children.insert(pid)
        }
        return process
    }

    /// Tracks a process the lab did not spawn directly (a daemonized nginx master).
    /// Its start time is recorded so that a recycled pid is never signalled.
    func adopt(_ process: LabProcess) {
        let started = Spawn.startTime(of: process.pid)
        lock.withLock {
            tracked.append(process)
            adoptedStartTimes[process.pid] = started
        }
    }

    private var adoptedStartTimes: [pid_t: UInt64] = [:]

    /// Whether `pid` is still the process the lab started or adopted: an unreaped child
    /// cannot have been recycled; an adopted one must still have its start time.
    private func isSameProcess(_ pid: pid_t, child: Bool) -> Bool {
        if child { return lock.withLock { children.contains(pid) } }
        guard let recorded = lock.withLock({ adoptedStartTimes[pid] }) else { return false }
        return Spawn.startTime(of: pid) == recorded
    }

    /// Signals a lab process, or its whole group, only while that cannot hit a stranger:
    /// the leader is still ours, or it is gone and members of its group remain (the
    /// kernel does not reuse a pid that is still some group's id).
    func signalSafely(_ process: LabProcess, _ signal: Int32, group: Bool) {
        let leaderIsOurs = isSameProcess(process.pid, child: process.isChild)
        if group {
            let leaderGone = !leaderIsOurs && !FileManager.default.fileExists(atPath: "/proc/\(process.pid)")
            if leaderIsOurs || (leaderGone && Spawn.groupAlive(process.pgid)) {
                Spawn.signalGroup(process.pgid, signal)
            }
        } else if leaderIsOurs {
            Spawn.signal(process.pid, signal)
        }
    }

    func forget(_ process: LabProcess) {
        lock.withLock { tracked.removeAll { $0.pid == process.pid } }
    }

    /// The tracked processes named `name`, most recent last.
    public func processes(named name: String) -> [LabProcess] {
        lock.withLock { tracked.filter { $0.name == name } }
    }

    /// Whether a lab process still runs; reaps it when it is our child and has ended.
    public func isRunning(_ process: LabProcess) -> Bool {
        if process.isChild {
            let stillChild = lock.withLock { children.contains(process.pid) }
            guard stillChild else { return false }
            if let exit = Spawn.reap(process.pid) {
                recordExit(process.pid, exit)
                return false
            }
            return true
        }
        return Spawn.isAlive(process.pid)
    }

    private var exits: [pid_t: Spawn.Exit] = [:]

    private func recordExit(_ pid: pid_t, _ exit: Spawn.Exit) {
        lock.withLock {
            _ = children.remove(pid)
            exits[pid] = exit
        }
    }

    /// How a lab process ended, if it did (children only).
    public func exitStatus(of process: LabProcess) -> String? {
        _ = isRunning(process)
        return lock.withLock { exits[process.pid]?.description }
    }

    /// Sends `signal` to the process (or its whole group) and waits, up to `timeout`,
    /// until it is gone. Returns whether it ended in time.
    @discardableResult
    public func stop(_ process: LabProcess, signal: Int32 = SIGTERM, group: Bool = true,
                     timeout: Duration = .seconds(10)) async throws -> Bool {
        signalSafely(process, signal, group: group)
        let gone = try await Poll.until(timeout: timeout) { () -> Bool? in
            self.isRunning(process) || (group && Spawn.groupAlive(process.pgid)) ? nil : true
        }
        if gone == true { forget(process) }
        return gone == true
    }

    // MARK: Commands

    /// Runs one command in the namespace and waits for it, at most `timeout`; on the
    /// deadline its process group is killed and `LabError.timedOut` is thrown with
    /// whatever it printed.
    public func runInNamespace(_ argv: [String], environment: [String: String]? = nil,
                               workingDirectory: String? = nil,
                               timeout: Duration = .seconds(60)) async throws -> CommandOutput {
        try checkUsable()
        guard let nsenter = Spawn.which("nsenter") else { throw LabError.notSetUp("nsenter is not installed") }
        let number = lock.withLock {
            commandCount += 1
            return commandCount
        }
        let stdoutPath = "\(directory)/cmd/\(number).stdout", stderrPath = "\(directory)/cmd/\(number).stderr"
        let pid = try Spawn.spawn(executable: nsenter, arguments: nsenterArguments(argv, workingDirectory: workingDirectory),
                                  environment: environment ?? self.environment(),
                                  stdoutPath: stdoutPath, stderrPath: stderrPath)
        lock.withLock { _ = children.insert(pid) }
        let exit = try await Poll.until(timeout: timeout, interval: .milliseconds(10)) { Spawn.reap(pid) }
        guard let exit else {
            // Still our unreaped child, so its pid (and group id) cannot be recycled.
            Spawn.signalGroup(pid, SIGTERM)
            if (try? await Poll.until(timeout: .seconds(2), { Spawn.reap(pid) })) == nil {
                Spawn.signalGroup(pid, SIGKILL)
                _ = try? await Poll.until(timeout: .seconds(5)) { Spawn.reap(pid) }
            }
            lock.withLock { _ = children.remove(pid) }
            throw LabError.timedOut("\(argv.joined(separator: " ")) (after \(timeout))",
                                    details: "stdout:\n\(Lab.readText(stdoutPath))\nstderr:\n\(Lab.readText(stderrPath))")
        }
        lock.withLock { _ = children.remove(pid) }
        return CommandOutput(argv: argv, exitCode: exit.code, stdout: Lab.readText(stdoutPath),
                             stderr: Lab.readText(stderrPath))
    }

    // MARK: Files

    /// Writes a file (creating its directory), mode 0644.
    public func write(_ text: String, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
        chmod(path, 0o644)
    }

    static func readText(_ path: String) -> String {
        guard let data = FileManager.default.contents(atPath: path) else { return "" }
        return String(decoding: data, as: UTF8.self)
    }

    /// The last `lines` lines of a file ("" when it does not exist).
    public func tail(_ path: String, lines: Int = 40) -> String {
        Lab.readText(path).split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }

    /// The 1-based line of the first line of `path` containing `needle`.
    public func lineNumber(of needle: String, in path: String) -> Int? {
        let lines = Lab.readText(path).split(separator: "\n", omittingEmptySubsequences: false)
        return lines.firstIndex { $0.contains(needle) }.map { $0 + 1 }
    }

    /// The 1-based line of the first line of `path` that is `line` once trimmed.
    public func lineNumber(ofLine line: String, in path: String) -> Int? {
        let lines = Lab.readText(path).split(separator: "\n", omittingEmptySubsequences: false)
        return lines.firstIndex { $0.trimmingCharacters(in: .whitespaces) == line }.map { $0 + 1 }
    }

    /// Every log of the lab (tails), for attaching to a failing expectation.
    public func logs(lines: Int = 30) -> String {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: logsDirectory).sorted()) ?? []
        return names.map { name -> String in
            let text = tail("\(logsDirectory)/\(name)", lines: lines)
            return "--- \(name)\n\(text)"
        }.joined(separator: "\n")
    }

    func logTail(_ process: LabProcess, lines: Int = 60) -> String {
        var parts: [String] = []
        for path in [process.logPath, process.stderrPath, process.stdoutPath].compactMap({ $0 }) {
            let text = tail(path, lines: lines)
            if !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { parts.append("--- \(path)\n\(text)") }
        }
        return parts.joined(separator: "\n")
    }

    // MARK: Teardown

    /// Stops every process of the lab and removes its directory. Safe to call more than
    /// once. Bounded: SIGTERM and up to 8 s, then SIGKILL for everything in the
    /// namespace and up to 5 s more.
    public func tearDown() {
        let processes: [LabProcess]? = lock.withLock {
            if isTornDown { return nil }
            isTornDown = true
            return tracked
        }
        guard let processes else { return }

        // 1. Politely: each tracked process group (never a recycled pid).
        for process in processes {
            signalSafely(process, SIGTERM, group: true)
            signalSafely(process, SIGTERM, group: false)
        }
        _ = Poll.untilBlocking(timeout: .seconds(8)) {
            self.reapChildren(except: [self.holderPID])
            return processes.allSatisfy { !self.isSameProcess($0.pid, child: $0.isChild) && !Spawn.groupAlive($0.pgid) }
        }

        // 2. Everything still in the namespace (strays, workers, the holder itself).
        let killAll = {
            for pid in Spawn.pids(inNetworkNamespace: self.networkNamespace) { Spawn.signal(pid, SIGKILL) }
            if self.isSameProcess(self.holderPID, child: true) { Spawn.signalGroup(self.holderPID, SIGKILL) }
        }
        killAll()
        close(holderPipe)
        let clean = Poll.untilBlocking(timeout: .seconds(5)) {
            self.reapChildren(except: [])
            return Spawn.pids(inNetworkNamespace: self.networkNamespace).isEmpty && !Spawn.isAlive(self.holderPID)
        }
        if !clean { killAll() }
        reapChildren(except: [])

        if ProcessInfo.processInfo.environment["GWDOCTOR_LAB_KEEP"] == "1" {
            FileHandle.standardError.write(Data("lab \(name) kept at \(directory)\n".utf8))
        } else {
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    /// `tearDown` without blocking a thread of the concurrency pool: the bounded waits
    /// run on a thread of their own. `withLab` uses this.
    public func tearDownAsync() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let thread = Thread {
                self.tearDown()
                continuation.resume()
            }
            thread.name = "lab teardown \(name)"
            thread.start()
        }
    }

    private func reapChildren(except: Set<pid_t>) {
        let pending = lock.withLock { children.subtracting(except) }
        for pid in pending {
            if let exit = Spawn.reap(pid) { recordExit(pid, exit) }
        }
    }

    /// Pids of every process currently in the lab's namespace.
    public func pidsInNamespace() -> [pid_t] {
        Spawn.pids(inNetworkNamespace: networkNamespace)
    }
}

/// A process the lab started.
public struct LabProcess: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var pid: pid_t
    /// Process group: the lab starts everything in its own session, and nginx's
    /// daemonized master makes its own; either way the group id is the pid.
    public var pgid: pid_t { pid }
    public var argv: [String]
    public var stdoutPath: String
    public var stderrPath: String
    /// The program's own log file (gunicorn `--error-logfile`, nginx `error_log`).
    public var logPath: String?
    public var pidFile: String?
    /// Spawned by the lab (and so reaped by it) rather than adopted.
    public var isChild: Bool

    public var description: String { "\(name) (pid \(pid))" }
}

/// What a command run in the namespace printed.
public struct CommandOutput: Sendable, CustomStringConvertible {
    public var argv: [String]
    /// Exit code; 128+N when killed by signal N; -1 when unknown.
    public var exitCode: Int32
    public var stdout: String
    public var stderr: String

    public var description: String {
        "$ \(argv.joined(separator: " "))\nexit \(exitCode)\nstdout:\n\(stdout)\nstderr:\n\(stderr)"
    }
}

/// Starts a lab, runs `body`, and tears the lab down whether `body` returns or throws.
public func withLab<T>(_ name: String, directory: String? = nil,
                       _ body: (Lab) async throws -> T) async throws -> T {
    let lab = try await Lab.start(name: name, directory: directory)
    do {
        let result = try await body(lab)
        await lab.tearDownAsync()
        return result
    } catch {
        await lab.tearDownAsync()
        throw error
    }
}
