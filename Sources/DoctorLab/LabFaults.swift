import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// What a burst of concurrent requests got back.
public struct BurstResult: Sendable, CustomStringConvertible {
    /// One result per request, in the order they were started (body and headers are not kept).
    public var results: [HTTPResult]
    /// How long the whole burst took, in seconds.
    public var elapsedSeconds: Double

    /// `["200": 3, "502": 21, "errno 110": 0]`: statuses, or the errno of requests that got none.
    public var counts: [String: Int] {
        var counts: [String: Int] = [:]
        for result in results {
            let key = result.status.map(String.init) ?? "errno \(result.errno.map(String.init) ?? "?")"
            counts[key, default: 0] += 1
        }
        return counts
    }

    /// How many requests got `status`.
    public func count(status: Int) -> Int { results.filter { $0.status == status }.count }

    public var description: String {
        let parts = counts.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
        return "\(results.count) requests in \(String(format: "%.1f", elapsedSeconds)) s (\(parts.joined(separator: ", ")))"
    }
}

/// The burst client: stdlib Python threads, all released together by a barrier, one
/// overall deadline (a request still running at the deadline counts as timed out).
private let burstScript = #"""
import json, socket, sys, threading, time
kind, address, path, host, count, timeout = sys.argv[1:7]
count = int(count); deadline = time.monotonic() + float(timeout)
results = [None] * count
gate = threading.Barrier(count)
def left():
    return max(0.05, deadline - time.monotonic())
def one(i):
    try:
        gate.wait(timeout=5)
    except threading.BrokenBarrierError:
        pass
    try:
        if kind == "unix":
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); target = address
        else:
            h, p = address.rsplit(":", 1); h = h.strip("[]")
            s = socket.socket(socket.AF_INET6 if ":" in h else socket.AF_INET, socket.SOCK_STREAM); target = (h, int(p))
        s.settimeout(left())
        s.connect(target)
        s.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: gwdoctor-lab-burst\r\nConnection: close\r\n\r\n" % (path, host)).encode())
        data = b""
        while len(data) < 1_000_000:
            s.settimeout(left())
            chunk = s.recv(65536)
            if not chunk: break
            data += chunk
        s.close()
        line = data.split(b"\r\n", 1)[0].decode("latin-1")
        words = line.split()
        status = int(words[1]) if len(words) >= 2 and words[0].startswith("HTTP/") and words[1].isdigit() else None
        results[i] = {"status": status, "statusLine": line}
    except OSError as e:
        err = e.errno if e.errno is not None else (110 if isinstance(e, socket.timeout) else 0)
        results[i] = {"errno": err, "error": e.strerror or str(e) or type(e).__name__}
threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(count)]
for t in threads: t.start()
for t in threads: t.join(left() + 1)
out = [r if r is not None else {"errno": 110, "error": "still running at the deadline"} for r in results]
sys.stdout.write(json.dumps(out)); sys.stdout.flush()
"""#

private struct BurstJSON: Decodable {
    var status: Int?
    var statusLine: String?
    var errno: Int32?
    var error: String?
}

extension Lab {
    // MARK: Traffic

    /// `count` GETs one after the other (each with its own deadline): the real traffic
    /// that makes nginx write its error-log lines before a diagnosis reads them.
    public func generateTraffic(_ target: Bind, path: String = "/health/", count: Int = 3, host: String = "lab.test",
                                timeout: Duration = .seconds(10)) async throws -> [HTTPResult] {
        var results: [HTTPResult] = []
        for _ in 0..<max(0, count) {
            results.append(try await httpGet(target, path: path, host: host, timeout: timeout))
        }
        return results
    }

    /// `count` concurrent GETs to `target` from one client process inside the namespace,
    /// released together; the whole burst ends by `timeout` (bounded in count and time,
    /// loopback only).
    public func httpBurst(_ target: Bind, path: String, count: Int, host: String = "lab.test",
                          timeout: Duration = .seconds(30)) async throws -> BurstResult {
        precondition(count > 0 && count <= 200, "a burst is between 1 and 200 requests")
        let (kind, address): (String, String) = switch target {
        case let .tcp(host, port): ("tcp", host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)")
        case let .unix(path): ("unix", path)
        }
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        let clock = ContinuousClock()
        let started = clock.now
        let output = try await runInNamespace([python, "-c", burstScript, kind, address, path, host, String(count), String(seconds)],
                                              timeout: timeout + .seconds(15))
        let elapsed = started.duration(to: clock.now)
        guard output.exitCode == 0, let decoded = try? JSONDecoder().decode([BurstJSON].self, from: Data(output.stdout.utf8)) else {
            throw LabError.io("HTTP burst failed: \(output)")
        }
        let results = decoded.map {
            HTTPResult(status: $0.status, statusLine: $0.statusLine, headers: [:], body: "", errno: $0.errno, error: $0.error)
        }
        return BurstResult(results: results,
                           elapsedSeconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }

    // MARK: nginx's error log

    /// The lines of nginx's error log that contain every one of `needles`.
    public func errorLogLines(containingAll needles: [String]) -> [String] {
        Lab.readText(nginxErrorLog).split(separator: "\n").map(String.init).filter { line in
            needles.allSatisfy { line.contains($0) }
        }
    }

    /// Polls nginx's error log (bounded) until a line contains every one of `needles`;
    /// returns that line, or `nil` at the deadline.
    public func waitForErrorLog(containingAll needles: [String], timeout: Duration = .seconds(5)) async throws -> String? {
        try await Poll.until(timeout: timeout) { self.errorLogLines(containingAll: needles).first }
    }

    // MARK: Faults on processes

    /// `kill -9` of the whole process group (a gunicorn master and its workers, as an
    /// OOM killer or `systemctl kill -s KILL` would), waiting until every process is gone.
    /// Nothing gets to clean up: a unix socket file stays behind.
    public func killGroup(_ process: LabProcess, timeout: Duration = .seconds(10)) async throws {
        guard try await stop(process, signal: SIGKILL, group: true, timeout: timeout) else {
            throw LabError.timedOut("\(process) survived SIGKILL to its group", details: logTail(process))
        }
    }

    // MARK: Files

    /// `st_mode & 0o7777` of `path` (not following a final symlink), or `nil` when it does not exist.
    public func fileMode(_ path: String) -> mode_t? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return info.st_mode & 0o7777
    }

    /// Whether `path` is a unix socket file (`lstat`).
    public func isSocketFile(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFSOCK
    }

    /// Whether anything exists at `path` (`lstat`).
    public func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// The owner uid of `path` (`lstat`).
    public func ownerUID(_ path: String) -> uid_t? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return info.st_uid
    }

    /// Creates a directory (and its parents) with exactly `mode`, owned by the test user (root).
    public func makeDirectory(_ path: String, mode: mode_t) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw LabError.io("cannot create \(path): \(error)")
        }
        guard chmod(path, mode) == 0 else {
            throw LabError.io("chmod \(String(mode, radix: 8)) \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// `chmod MODE PATH`.
    public func changeMode(_ path: String, to mode: mode_t) throws {
        guard chmod(path, mode) == 0 else {
            throw LabError.io("chmod \(String(mode, radix: 8)) \(path): \(String(cString: strerror(errno)))")
        }
    }
}

// MARK: Outside any lab

extension Lab {
    /// Runs a command outside any namespace (for replaying committed snapshots, which
    /// needs no live stack), waiting at most `timeout`; on the deadline its process group
    /// is killed and `LabError.timedOut` is thrown.
    public static func runCommand(_ argv: [String], environment: [String: String]? = nil,
                                  timeout: Duration = .seconds(60)) async throws -> CommandOutput {
        guard let executable = argv.first.flatMap({ Spawn.which($0) }) else {
            throw LabError.notSetUp("\(argv.first ?? "(nothing)") is not installed")
        }
        var template = Array("/tmp/gwdoctor-cmd-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw LabError.io("mkdtemp failed: \(String(cString: strerror(errno)))")
        }
        let scratch = String(cString: made)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let stdoutPath = "\(scratch)/stdout", stderrPath = "\(scratch)/stderr"
        let environment = environment ?? [
            "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "HOME": scratch, "LANG": "C.UTF-8", "NO_COLOR": "1",
        ]
        let pid = try Spawn.spawn(executable: executable, arguments: Array(argv.dropFirst()), environment: environment,
                                  stdoutPath: stdoutPath, stderrPath: stderrPath)
        let exit = try await Poll.until(timeout: timeout, interval: .milliseconds(10)) { Spawn.reap(pid) }
        guard let exit else {
            Spawn.signalGroup(pid, SIGKILL)
            _ = try await Poll.until(timeout: .seconds(5), interval: .milliseconds(10)) { Spawn.reap(pid) }
            throw LabError.timedOut("\(argv.joined(separator: " ")) after \(timeout)",
                                    details: readText(stdoutPath) + readText(stderrPath))
        }
        return CommandOutput(argv: argv, exitCode: exit.code, stdout: readText(stdoutPath), stderr: readText(stderrPath))
    }

    /// `gwdoctor ARGUMENTS` outside any namespace (a snapshot replay reads only the
    /// snapshot directory).
    public static func runDoctorOffline(_ arguments: [String], timeout: Duration = .seconds(120)) async throws -> DoctorRun {
        let doctor = try doctorExecutable()
        return DoctorRun(output: try await runCommand([doctor] + arguments, timeout: timeout))
    }

    /// Where the committed example `name` lives (`Examples/<name>` in the checkout).
    public static func examplePath(_ name: String) -> String { "\(repositoryRoot())/Examples/\(name)" }
}
