import DoctorFacts
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Builders for the planner tests: small, explicit facts (the planner is pure, so built
/// facts test its rules; the lab scenarios test the same rules on a real stack).
enum Build {
    static let config = "/etc/supervisor/supervisord.conf"

    static func route(_ endpoint: Endpoint, server: String = "app.test", location: String = "/") -> Route {
        Route(proxy: .nginx, listen: ["80"], serverNames: [server], location: location, directive: "proxy_pass",
              target: .endpoint(scheme: "http", endpoint), source: DoctorFacts.SourceLocation(file: "/etc/nginx/sites-enabled/app", line: 12))
    }

    static func service(_ name: String = "app", manager: String = "supervisor", state: String?, bind: Endpoint?,
                        command: [String] = ["/srv/app/venv/bin/gunicorn", "app.wsgi"], config: String? = Build.config) -> ManagedService {
        var service = ManagedService(manager: manager, name: name, state: state, command: command,
                                     binds: bind.map { [AppServerBind(endpoint: $0, raw: "\($0)", source: "command line")] } ?? [])
        service.managerConfig = manager == "supervisor" ? config : nil
        return service
    }

    static func finding(_ check: String, layer: Layer = .upstream, severity: Severity = .critical, route: String? = "app.test /",
                        fix: [String] = ["do the thing"], cause: String? = nil) -> Finding {
        Finding(check: check, layer: layer, severity: severity, summary: "\(check) summary", route: route, fix: fix, cause: cause)
    }

    static func verdict(_ finding: Finding) -> Verdict {
        Verdict(layer: finding.layer, check: finding.check, summary: finding.summary, fix: finding.fix, cause: finding.cause)
    }

    /// A unix socket this process listens on (a stand-in admin endpoint); closed by the caller.
    static func unixListener(at path: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        #expect(fd >= 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.enumerated() where index < raw.count - 1 { raw[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        #expect(bound == 0 && Glibc.listen(fd, 4) == 0, "errno \(errno)")
        return fd
    }

    /// A fresh private directory under the system temp dir.
    static func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "gwdoctor-remedy-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
