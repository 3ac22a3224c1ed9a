import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A small tmpfs mounted in a private mount namespace of the lab, so a test can fill a real
/// filesystem to the last block without touching the machine's disks or its mount table.
///
/// A holder process (`unshare --mount --propagation private`, itself in the lab's network
/// namespace) mounts the tmpfs and sleeps; programs that must see the mount (nginx, gunicorn,
/// `gwdoctor snapshot`) are run through `nsenter -t HOLDER -m`. Outside the namespace the
/// mount point is an empty directory of the lab. When the lab tears down, the holder and
/// everything in the namespace die, and the kernel frees the tmpfs with them.
public struct LabMount: Sendable {
    /// The mount point (a directory of the lab).
    public var path: String
    /// Size of the tmpfs in bytes.
    public var sizeBytes: Int
    /// The process that keeps the mount namespace alive.
    public var holder: LabProcess

    /// `argv` run inside the mount namespace (and so, through the lab, in its network namespace too).
    public func wrap(_ argv: [String]) -> [String] {
        [Spawn.which("nsenter") ?? "nsenter", "-t", String(holder.pid), "-m", "--"] + argv
    }
}

extension Lab {
    /// Mounts a tmpfs of `sizeKiB` KiB (and at most `inodes` inodes, when given) at
    /// `directory/NAME` in a new private mount namespace and waits until the mount is in place.
    public func mountTmpfs(name: String = "full", sizeKiB: Int = 1024, inodes: Int? = nil,
                           timeout: Duration = .seconds(15)) async throws -> LabMount {
        let path = "\(directory)/\(name)"
        mkdir(path, 0o755)
        chmod(path, 0o755)
        guard let unshare = Spawn.which("unshare") else { throw LabError.notSetUp("unshare is not installed") }
        // `exec sleep` so the holder is one process: SIGTERM at teardown ends it.
        let script = """
        mount -t tmpfs -o size=\(sizeKiB)k\(inodes.map { ",nr_inodes=\($0)" } ?? ""),mode=0755 gwdoctor-lab "$1" || exit 1
        echo mounted
        exec sleep 86400
        """
        let holder = try startProcess(name: "mount-\(name)",
                                      [unshare, "--mount", "--propagation", "private", "--", "sh", "-c", script, "sh", path])
        let mounted = try await Poll.until(timeout: timeout) { () -> Bool? in
            if !self.isRunning(holder) {
                throw LabError.processExited(name: holder.description, status: self.exitStatus(of: holder) ?? "exited",
                                             log: self.logTail(holder))
            }
            return Lab.readText(holder.stdoutPath).contains("mounted") ? true : nil
        }
        guard mounted == true else { throw LabError.timedOut("tmpfs at \(path)", details: logTail(holder)) }
        return LabMount(path: path, sizeBytes: sizeKiB * 1024, holder: holder)
    }

    /// Runs a command inside the mount namespace and waits for it.
    public func runInMount(_ mount: LabMount, _ argv: [String], timeout: Duration = .seconds(60)) async throws -> CommandOutput {
        try await runInNamespace(mount.wrap(argv), timeout: timeout)
    }

    /// Fills the tmpfs to its last block with one file (`dd` until ENOSPC), as a runaway log
    /// or upload would. Returns `df` of the mount as seen inside the namespace.
    @discardableResult
    public func fill(_ mount: LabMount, file: String = "filler") async throws -> CommandOutput {
        let target = "\(mount.path)/\(file)"
        // dd stops with "No space left on device" (exit 1): that is the point.
        _ = try await runInMount(mount, ["sh", "-c", "dd if=/dev/zero of=\"$1\" bs=4096 2>&1; true", "sh", target])
        return try await runInMount(mount, ["df", "-k", mount.path])
    }

    /// Uses up the tmpfs's inodes with empty files (`touch` until ENOSPC), as a session or
    /// cache directory of millions of small files would. Returns `df -i` of the mount.
    @discardableResult
    public func fillInodes(_ mount: LabMount, directory name: String = "many") async throws -> CommandOutput {
        let script = #"mkdir -p "$1" && i=0; while touch "$1/f$i" 2>/dev/null; do i=$((i+1)); done; echo "$i files""#
        _ = try await runInMount(mount, ["sh", "-c", script, "sh", "\(mount.path)/\(name)"])
        return try await runInMount(mount, ["df", "-i", mount.path])
    }

    /// Waits until a lab process has ended; `false` when it still runs at the deadline.
    public func waitUntilExited(_ process: LabProcess, timeout: Duration = .seconds(20)) async throws -> Bool {
        try await Poll.until(timeout: timeout, interval: .milliseconds(100)) { self.isRunning(process) ? nil : true } == true
    }

    /// Starts nginx inside the mount namespace (daemonized, as `startNginx` does) and waits
    /// until it listens on `listen`.
    @discardableResult
    public func startNginx(in mount: LabMount, listen: Bind = .tcp(8080), timeout: Duration = .seconds(20)) async throws -> LabProcess {
        guard let nginx = Spawn.which("nginx") else { throw LabError.notSetUp("nginx is not installed") }
        try? FileManager.default.removeItem(atPath: nginxPIDFile)
        let start = try await runInMount(mount, [nginx] + nginxFlags, timeout: timeout)
        guard start.exitCode == 0 else {
            throw LabError.nginx("failed to start in the mount namespace (exit \(start.exitCode)):\n\(start.stderr)\(tail(nginxErrorLog, lines: 10))")
        }
        let master = try await Poll.until(timeout: timeout) { () -> pid_t? in
            guard let text = try? String(contentsOfFile: self.nginxPIDFile, encoding: .utf8),
                  let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)), Spawn.isAlive(pid) else { return nil }
            return pid
        }
        guard let master else { throw LabError.timedOut("nginx pid file \(nginxPIDFile)", details: tail(nginxErrorLog)) }
        let process = LabProcess(name: "nginx", pid: master, argv: [nginx] + nginxFlags,
                                 stdoutPath: "\(directory)/cmd/nginx.stdout", stderrPath: nginxErrorLog,
                                 logPath: nginxErrorLog, pidFile: nginxPIDFile, isChild: false)
        adopt(process)
        try await waitUntilListening(listen, timeout: timeout, process: process)
        return process
    }

    /// Starts Gunicorn inside the mount namespace. Its socket may live on the tmpfs, where
    /// only processes of the namespace can see it: `waitForSocket` waits (inside the
    /// namespace) until a unix socket exists, and `via` (nginx, in the namespace too) until
    /// it answers `/health/` with 200.
    @discardableResult
    public func startGunicorn(in mount: LabMount, bind: Bind, workers: Int = 2, extraArgs: [String] = [],
                              waitForSocket: Bool = true, via proxy: Bind? = nil,
                              timeout: Duration = .seconds(40)) async throws -> LabProcess {
        let gunicorn = "\(venv)/bin/gunicorn"
        guard FileManager.default.isExecutableFile(atPath: gunicorn) else { throw LabError.notSetUp("\(gunicorn) is missing") }
        let logPath = "\(logsDirectory)/gunicorn.log", pidFile = "\(runDirectory)/gunicorn.pid"
        let argv = [gunicorn, "--chdir", labsite, "--bind", bind.gunicornArgument, "--workers", String(workers),
                    "--no-control-socket", "--error-logfile", logPath, "--pid", pidFile]
            + extraArgs + ["labsite.wsgi:application"]
        let process = try startProcess(name: "gunicorn", mount.wrap(argv), logPath: logPath, pidFile: pidFile)
        if waitForSocket, case let .unix(path) = bind {
            // Until the socket exists, a request through nginx would log ENOENT: a fault of its own.
            let made = try await Poll.until(timeout: timeout, interval: .milliseconds(100)) { () -> Bool? in
                guard self.isRunning(process) else {
                    throw LabError.processExited(name: process.description, status: self.exitStatus(of: process) ?? "exited",
                                                 log: self.logTail(process))
                }
                return try await self.runInMount(mount, ["test", "-S", path], timeout: .seconds(5)).exitCode == 0 ? true : nil
            }
            guard made == true else { throw LabError.timedOut("socket \(path) inside the mount namespace", details: logTail(process)) }
        }
        if let proxy { try await waitUntilHealthy(proxy, timeout: timeout, process: process) }
        return process
    }

    /// `gwdoctor ARGUMENTS` run inside the mount namespace, so statvfs sees the tmpfs;
    /// otherwise as `runDoctor` (root, the test run's PATH, no colour).
    public func runDoctor(in mount: LabMount, _ arguments: [String], timeout: Duration = .seconds(120)) async throws -> DoctorRun {
        let doctor = try Lab.doctorExecutable()
        let output = try await runInNamespace(mount.wrap([doctor] + arguments), environment: doctorEnvironment, timeout: timeout)
        return DoctorRun(output: output)
    }

    /// `gwdoctor diagnose --nginx-conf <lab nginx.conf> --format json` inside the mount namespace.
    public func diagnose(in mount: LabMount, _ extra: [String] = []) async throws -> DoctorRun {
        try await runDoctor(in: mount, ["diagnose", "--nginx-conf", nginxConfigPath, "--format", "json"] + extra)
    }

    /// `gwdoctor snapshot DESTINATION --nginx-conf <lab nginx.conf>` inside the mount namespace,
    /// replacing any earlier capture there.
    public func captureSnapshot(in mount: LabMount, to destination: String) async throws -> DoctorRun {
        try? FileManager.default.removeItem(atPath: destination)
        return try await runDoctor(in: mount, ["snapshot", destination, "--nginx-conf", nginxConfigPath], timeout: .seconds(180))
    }
}
