import DoctorLab
import Foundation
import Testing

/// Every lab test lives under this suite: `.serialized` because each one runs real
/// nginx and app servers and the machines have two cores; the time limit turns a hang
/// into a failure (every wait inside the lab has its own, shorter deadline).
@Suite("Lab", .serialized, .timeLimit(.minutes(5)))
struct LabTests {}

/// The usual healthy stack: Gunicorn (2 sync workers unless told) on `bind`, nginx on
/// 127.0.0.1:8080 in front.
@discardableResult
func startHealthyStack(_ lab: Lab, bind: Bind, workers: Int = 2,
                       gunicornArgs: [String] = []) async throws -> (gunicorn: LabProcess, nginx: LabProcess, site: NginxSite) {
    let gunicorn = try await lab.startGunicorn(bind: bind, workers: workers, extraArgs: gunicornArgs)
    let site = NginxSite(upstream: bind)
    try lab.writeNginxConfig(site)
    let nginx = try await lab.startNginx()
    return (gunicorn, nginx, site)
}

/// The `file:line` nginx names in `nginx -t` output (`… in /path/nginx.conf:33`).
func nginxErrorLocation(_ output: String) -> String? {
    guard let range = output.range(of: #"in (/[^\s:]+):(\d+)"#, options: .regularExpression) else { return nil }
    return String(output[range].dropFirst(3))
}

/// Pids of `pid` and its direct children (a gunicorn master and its workers).
func processTree(_ pid: pid_t) -> Set<Int> {
    var pids: Set<Int> = [Int(pid)]
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    for entry in entries {
        guard let child = Int(entry),
              let stat = try? String(contentsOfFile: "/proc/\(child)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { continue }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        if fields.count > 1, Int(fields[1]) == Int(pid) { pids.insert(child) }
    }
    return pids
}
