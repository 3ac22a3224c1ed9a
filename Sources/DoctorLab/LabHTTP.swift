import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// What an HTTP GET made from inside the namespace got back.
public struct HTTPResult: Sendable, CustomStringConvertible {
    /// The status code, when a status line came back.
    public var status: Int?
    public var statusLine: String?
    /// Header names lowercased; repeated headers joined with ", ".
    public var headers: [String: String]
    /// The body (de-chunked), cut at 1 MB.
    public var body: String
    /// The errno of a failed connect/send/receive (111 refused, 2 no such file, 13 denied).
    public var errno: Int32?
    /// The failure in words (`Connection refused`, `timed out`).
    public var error: String?

    public var isRefused: Bool { errno == ECONNREFUSED }

    public var description: String {
        if let status { return "HTTP \(status) \(headers["server"].map { "server=\($0) " } ?? "")body=\(body.prefix(200).debugDescription)" }
        return "failed: \(error ?? "?") (errno \(errno.map(String.init) ?? "none"))"
    }
}

/// The probe: stdlib Python, run inside the namespace. One overall deadline; a
/// refused or missing socket fails at once (no retries).
private let probeScript = #"""
import json, socket, sys, time
kind, address, path, host, timeout = sys.argv[1:6]
deadline = time.monotonic() + float(timeout)
def left():
    return max(0.05, deadline - time.monotonic())
def out(obj):
    sys.stdout.write(json.dumps(obj)); sys.stdout.flush(); sys.exit(0)
try:
    if kind == "unix":
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); target = address
    else:
        h, p = address.rsplit(":", 1); h = h.strip("[]")
        s = socket.socket(socket.AF_INET6 if ":" in h else socket.AF_INET, socket.SOCK_STREAM); target = (h, int(p))
    s.settimeout(left())
    s.connect(target)
    if path == "":
        s.close(); out({"connected": True})
    s.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: gwdoctor-lab\r\nConnection: close\r\n\r\n" % (path, host)).encode())
    data = b""
    while len(data) < 1_100_000:
        s.settimeout(left())
        chunk = s.recv(65536)
        if not chunk: break
        data += chunk
    s.close()
except OSError as e:
    err = e.errno if e.errno is not None else (110 if isinstance(e, socket.timeout) else 0)
    out({"errno": err, "error": e.strerror or str(e) or type(e).__name__})
head, _, body = data.partition(b"\r\n\r\n")
lines = head.decode("latin-1").split("\r\n")
result = {"statusLine": lines[0] if lines else "", "headers": {}}
if lines and lines[0].startswith("HTTP/") and len(lines[0].split()) >= 2 and lines[0].split()[1].isdigit():
    result["status"] = int(lines[0].split()[1])
for line in lines[1:]:
    if ":" in line:
        k, v = line.split(":", 1); k = k.strip().lower(); v = v.strip()
        result["headers"][k] = result["headers"][k] + ", " + v if k in result["headers"] else v
if "chunked" in result["headers"].get("transfer-encoding", "").lower():
    plain, rest = b"", body
    while rest:
        size_line, _, rest = rest.partition(b"\r\n")
        try: size = int(size_line.split(b";")[0], 16)
        except ValueError: break
        if size == 0: break
        plain += rest[:size]; rest = rest[size + 2:]
    body = plain
result["body"] = body[:1_000_000].decode("utf-8", "replace")
out(result)
"""#

private struct ProbeJSON: Decodable {
    var status: Int?
    var statusLine: String?
    var headers: [String: String]?
    var body: String?
    var errno: Int32?
    var error: String?
    var connected: Bool?
}

extension Lab {
    private func probe(_ target: Bind, path: String, host: String, timeout: Duration) async throws -> ProbeJSON {
        let (kind, address): (String, String) = switch target {
        case let .tcp(host, port): ("tcp", host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)")
        case let .unix(path): ("unix", path)
        }
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        let output = try await runInNamespace([python, "-c", probeScript, kind, address, path, host, String(seconds)],
                                              timeout: timeout + .seconds(10))
        guard output.exitCode == 0, let decoded = try? JSONDecoder().decode(ProbeJSON.self, from: Data(output.stdout.utf8)) else {
            throw LabError.io("HTTP probe failed: \(output)")
        }
        return decoded
    }

    /// One `GET path` to `target` from inside the namespace (`Connection: close`).
    public func httpGet(_ target: Bind, path: String = "/", host: String = "lab.test",
                        timeout: Duration = .seconds(10)) async throws -> HTTPResult {
        let result = try await probe(target, path: path.isEmpty ? "/" : path, host: host, timeout: timeout)
        return HTTPResult(status: result.status, statusLine: result.statusLine, headers: result.headers ?? [:],
                          body: result.body ?? "", errno: result.errno, error: result.error)
    }

    /// Whether something accepts connections on `target` (connect, then close).
    /// Returns the errno of the failure, or `nil` on success.
    public func connectError(_ target: Bind, timeout: Duration = .seconds(5)) async throws -> Int32? {
        let result = try await probe(target, path: "", host: "", timeout: timeout)
        return result.connected == true ? nil : (result.errno ?? -1)
    }

    /// Polls until something accepts connections on `target`. When `process` is given
    /// and it ends meanwhile, fails at once with its log.
    public func waitUntilListening(_ target: Bind, timeout: Duration = .seconds(20), process: LabProcess? = nil) async throws {
        var lastError: Int32?
        let listening = try await Poll.until(timeout: timeout, interval: .milliseconds(100)) { () -> Bool? in
            try self.ensureRunning(process)
            lastError = try await self.connectError(target)
            return lastError == nil ? true : nil
        }
        guard listening == true else {
            throw LabError.timedOut("nothing listens on \(target) after \(timeout) (last errno \(lastError.map(String.init) ?? "?"))",
                                    details: process.map { logTail($0) } ?? logs())
        }
    }

    /// Polls until `GET path` on `target` answers 200 (a worker booted and Django works).
    public func waitUntilHealthy(_ target: Bind, path: String = "/health/", timeout: Duration = .seconds(40),
                                 process: LabProcess? = nil) async throws {
        try await waitUntilListening(target, timeout: timeout, process: process)
        var last: HTTPResult?
        let healthy = try await Poll.until(timeout: timeout, interval: .milliseconds(100)) { () -> Bool? in
            try self.ensureRunning(process)
            last = try await self.httpGet(target, path: path, timeout: .seconds(10))
            return last?.status == 200 ? true : nil
        }
        guard healthy == true else {
            throw LabError.timedOut("GET \(path) on \(target) never answered 200 (last: \(last?.description ?? "none"))",
                                    details: process.map { logTail($0) } ?? logs())
        }
    }

    private func ensureRunning(_ process: LabProcess?) throws {
        guard let process, !isRunning(process) else { return }
        throw LabError.processExited(name: process.description, status: exitStatus(of: process) ?? "exited",
                                     log: logTail(process))
    }
}
