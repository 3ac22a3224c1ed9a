import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The lab's Caddy started from a native JSON config (`caddy run --config caddy.json`, no
/// adapter: JSON is Caddy's own format), as API-driven and generated deployments run it.
///
/// The JSON is written by hand, pretty-printed like a person (or a config generator) would,
/// and says what `caddyfile(site)` says: admin off, automatic HTTPS off, the site bound to
/// `listenAddress:listenPort` for `serverName`, the default logger and the site's access
/// logger as JSON files in the lab, `reverse_proxy` with the site's upstreams and transport
/// timeouts (`transportDirectives` of the form `NAME DURATION`).
extension Lab {
    public var caddyJSONPath: String { "\(directory)/caddy.json" }

    /// A complete JSON config for `site`; `adminListen` enables the admin endpoint there (else it is off).
    public func caddyJSON(_ site: LabCaddySite, adminListen: String? = nil) -> String {
        func quoted(_ text: String) -> String {
            "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        let upstreams = site.upstreams.map { "{\"dial\": \(quoted($0.caddyUpstream))}" }.joined(separator: ", ")
        var transport = ["\"protocol\": \"http\""]
        for directive in site.transportDirectives {
            let words = directive.split(separator: " ").map(String.init)
            if words.count == 2 { transport.append("\(quoted(words[0])): \(quoted(words[1]))") }
        }
        return """
        {
          "admin": {
            \(adminListen.map { "\"listen\": \(quoted($0))" } ?? "\"disabled\": true")
          },
          "storage": {
            "module": "file_system",
            "root": \(quoted("\(caddyHome)/data"))
          },
          "logging": {
            "logs": {
              "default": {
                "writer": {
                  "output": "file",
                  "filename": \(quoted(caddyLog))
                },
                "encoder": {
                  "format": "json"
                },
                "exclude": ["http.log.access.log0"]
              },
              "log0": {
                "writer": {
                  "output": "file",
                  "filename": \(quoted(caddyAccessLog))
                },
                "encoder": {
                  "format": "json"
                },
                "include": ["http.log.access.log0"]
              }
            }
          },
          "apps": {
            "http": {
              "http_port": \(site.listenPort),
              "servers": {
                "lab": {
                  "listen": [\(quoted("\(site.listenAddress):\(site.listenPort)"))],
                  "automatic_https": {
                    "disable": true
                  },
                  "logs": {
                    "logger_names": {
                      \(quoted(site.serverName)): "log0"
                    }
                  },
                  "routes": [
                    {
                      "match": [
                        {
                          "host": [\(quoted(site.serverName))]
                        }
                      ],
                      "handle": [
                        {
                          "handler": "reverse_proxy",
                          "upstreams": [\(upstreams)],
                          "transport": {\(transport.joined(separator: ", "))}
                        }
                      ],
                      "terminal": true
                    }
                  ]
                }
              }
            }
          }
        }

        """
    }

    /// Writes `caddyJSON(site)` and returns its path.
    @discardableResult
    public func writeCaddyJSON(_ site: LabCaddySite) throws -> String {
        try write(caddyJSON(site), to: caddyJSONPath)
        return caddyJSONPath
    }

    /// Starts real Caddy on `caddy.json` as `startCaddy` does on the Caddyfile (the `caddy`
    /// user, in the namespace): `caddy run --config caddy.json`, no `--adapter`.
    @discardableResult
    public func startCaddyJSON(_ site: LabCaddySite, timeout: Duration = .seconds(20)) async throws -> LabProcess {
        let process = try startCaddyProcess(["run", "--config", caddyJSONPath])
        try await waitUntilListening(site.listen, timeout: timeout, process: process)
        return process
    }

    /// Caddy as API-driven deployments start it: `caddy run` with no config file (in a working
    /// directory without a Caddyfile), its admin endpoint on `localhost:2019` inside the
    /// namespace, then `site`'s JSON pushed through that endpoint (`caddy reload --config
    /// caddy.json --address localhost:2019`, which POSTs it to `/load`). Nothing on disk says
    /// what it runs: caddy.json is removed once loaded.
    @discardableResult
    public func startCaddyThroughAdminAPI(_ site: LabCaddySite, timeout: Duration = .seconds(20)) async throws -> LabProcess {
        let process = try startCaddyProcess(["run"], workingDirectory: caddyHome)
        let (caddy, environment) = try caddyInvocation()
        try await waitUntilListening(.tcp(host: "127.0.0.1", port: 2019), timeout: timeout, process: process)
        try write(caddyJSON(site, adminListen: "localhost:2019"), to: caddyJSONPath)
        let load = try await runInNamespace(caddy + ["reload", "--config", caddyJSONPath, "--address", "localhost:2019"],
                                            environment: environment, timeout: .seconds(30))
        guard load.exitCode == 0 else { throw LabError.usage("caddy reload through the admin API failed: \(load)") }
        try? FileManager.default.removeItem(atPath: caddyJSONPath)
        try await waitUntilListening(site.listen, timeout: timeout, process: process)
        return process
    }

    /// `gwdoctor diagnose --caddyfile <lab caddy.json> --format json`.
    public func diagnoseCaddyJSON(_ extra: [String] = [], timeout: Duration = .seconds(120)) async throws -> DoctorRun {
        try await runDoctor(["diagnose", "--caddyfile", caddyJSONPath, "--format", "json"] + extra, timeout: timeout)
    }

    /// `gwdoctor snapshot DESTINATION --caddyfile <lab caddy.json>` in the namespace, replacing any earlier capture.
    public func captureCaddyJSONSnapshot(to destination: String, extra: [String] = [], timeout: Duration = .seconds(180)) async throws -> DoctorRun {
        try? FileManager.default.removeItem(atPath: destination)
        return try await runDoctor(["snapshot", destination, "--caddyfile", caddyJSONPath] + extra, timeout: timeout)
    }
}
