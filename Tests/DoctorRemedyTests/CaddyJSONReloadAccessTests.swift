import DoctorFacts
import DoctorHost
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The reload decision (`CaddyReloadAccess`) for a Caddy running a JSON config, on this
/// machine for real (a JSON file in a temporary directory, a real unix listener as the admin
/// endpoint): `admin.disabled` refuses, `admin.listen` held by the pid allows `caddy reload`
/// without `--adapter` (Caddy 2.6 has no `json` adapter), a missing log file is found.
@Suite("Caddy fix: reload access for a JSON config")
struct CaddyJSONReloadAccessTests {
    private func write(_ admin: String, log: String? = nil) throws -> (directory: String, path: String) {
        let directory = try Build.temporaryDirectory()
        let path = directory + "/caddy.json"
        let logging = log.map { #""logging": {"logs": {"default": {"writer": {"output": "file", "filename": "\#($0)"}}}},"# } ?? ""
        let text = """
        {
          "admin": \(admin),
          \(logging)
          "apps": {"http": {"servers": {"srv0": {"listen": [":8080"], "routes": [
            {"handle": [{"handler": "reverse_proxy", "upstreams": [{"dial": "127.0.0.1:8000"}]}]}
          ]}}}}
        }
        """
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return (directory, path)
    }

    @Test("admin.disabled: no automatic reload; the reason names the JSON line and pointer")
    func adminDisabled() throws {
        let (directory, path) = try write(#"{"disabled": true}"#)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let access = CaddyReloadAccess.decide(host: LiveHost(), config: path, adapter: "json", executable: nil, pid: Int(getpid()))
        guard case let .none(why) = access else {
            Issue.record("admin disabled must not reload: \(access)")
            return
        }
        #expect(why.contains("admin.disabled") && why.contains("\(path):2 (/admin)"), "\(why)")
    }

    @Test("admin.listen on a unix socket this process holds: caddy reload --config caddy.json --address, no --adapter")
    func adminSocketTiedToThePid() throws {
        let directory = try Build.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let socketPath = directory + "/admin.sock"
        let (other, path) = try write(#"{"listen": "unix/\#(socketPath)"}"#)
        defer { try? FileManager.default.removeItem(atPath: other) }
        let unheld = CaddyReloadAccess.decide(host: LiveHost(), config: path, adapter: "json", executable: nil, pid: Int(getpid()))
        guard case .none = unheld else {
            Issue.record("no listener, no reload: \(unheld)")
            return
        }
        let fd = try Build.unixListener(at: socketPath)
        defer { close(fd) }
        let held = CaddyReloadAccess.decide(host: LiveHost(), config: path, adapter: "json", executable: "/usr/bin/caddy", pid: Int(getpid()))
        guard case let .adminAPI(address, command) = held else {
            Issue.record("a listener held by the pid must allow the reload: \(held)")
            return
        }
        #expect(address == "unix/\(socketPath)")
        #expect(command.argv == ["/usr/bin/caddy", "reload", "--config", path, "--address", "unix/\(socketPath)"])
    }

    @Test("a log file the JSON config names that is missing is found; a YAML adapter is not read")
    func missingLogFileAndOtherAdapters() throws {
        let (directory, _) = try write("{}")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let log = directory + "/logs/caddy.log"
        let (second, path) = try write("{}", log: log)
        defer { try? FileManager.default.removeItem(atPath: second) }
        #expect(CaddyReloadAccess.missingLogFile(host: LiveHost(), config: path, adapter: "json") == log)
        try FileManager.default.createDirectory(atPath: directory + "/logs", withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: log, contents: Data()))
        #expect(CaddyReloadAccess.missingLogFile(host: LiveHost(), config: path, adapter: "json") == nil)
        guard case let .none(why) = CaddyReloadAccess.decide(host: LiveHost(), config: path, adapter: "yaml", executable: nil, pid: 1) else {
            Issue.record("a yaml config is not read")
            return
        }
        #expect(why.contains("yaml adapter"), "\(why)")
    }
}
