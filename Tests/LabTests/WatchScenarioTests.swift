import DoctorLab
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `gwdoctor watch --auto-fix` against a real stack: nginx → Gunicorn run by a real supervisord
/// (`autorestart=false`, so only watch can bring it back), watch itself running in the lab's
/// namespace in the background. Gunicorn is killed with SIGKILL; everything is proved from
/// outside gwdoctor: the incident files on disk, real requests through nginx, `/metrics` fetched
/// with Python's urllib and parsed by a strict Prometheus reader, the audit log, and watch's exit
/// status after SIGTERM.
extension LabTests {
    @Suite("Watch scenarios")
    struct WatchScenario {
        private let interval = 1.0
        /// `--probe-timeout` given to watch (the default, 1.5 s).
        private let probeDeadline = 1.5

        @Test("kill -9 gunicorn: watch detects it within one interval, writes the incident, --auto-fix restarts it, /metrics shows it; SIGTERM exits 0")
        func killedGunicornAutoFixed() async throws {
            try await withScenarioLab("watch-kill") { lab in
                let bind = Bind.tcp(8000)
                var program = lab.gunicornProgram(name: "app", bind: bind, workers: 1)
                program.autorestart = "false" // the killed program stays down: only watch's fix can restart it
                try await lab.startSupervisord(programs: [program])
                try await lab.waitForProgramState("app", states: ["RUNNING"])
                try await lab.waitUntilHealthy(bind)
                let site = NginxSite(upstream: bind)
                try lab.writeNginxConfig(site)
                _ = try await lab.startNginx()

                let state = "\(lab.directory)/state"
                let incidents = "\(state)/incidents"
                let port = 9187
                let metricsURL = "http://127.0.0.1:\(port)/metrics"
                let watch = try lab.startWatch(["--interval", "1s", "--auto-fix", "--listen", "127.0.0.1:\(port)",
                                                "--state-dir", state, "--verify-timeout", "20s"])

                // Healthy first: a few rounds, every probe up, no incident.
                let healthy = try await Self.until(timeout: .seconds(30), interval: .milliseconds(200)) { () async -> [PrometheusSample]? in
                    guard let scrape = try? await lab.fetch(metricsURL), scrape.status == 200,
                          let samples = try? PrometheusText.parse(scrape.body),
                          (Self.value(samples, "gwdoctor_checks_total") ?? 0) >= 2 else { return nil }
                    return samples
                }
                let before = try #require(healthy, "watch never served metrics:\n\(lab.tail(watch.stderrPath))")
                let route = try #require(before.first { $0.name == "gwdoctor_route_up" }?.labels["route"], "no route in metrics")
                #expect(Self.value(before, "gwdoctor_route_up", ["route": route]) == 1, "\(before)")
                #expect(Self.value(before, "gwdoctor_probe_success", ["route": route, "via": "direct"]) == 1)
                #expect(Self.value(before, "gwdoctor_probe_success", ["route": route, "via": "proxy"]) == 1)
                #expect(Self.value(before, "gwdoctor_incidents_total") == 0)
                #expect(((try? FileManager.default.contentsOfDirectory(atPath: incidents)) ?? []).isEmpty, "no incident while healthy")
                let healthz = try await lab.fetch("http://127.0.0.1:\(port)/healthz")
                #expect(healthz.status == 200 && healthz.body == "ok\n", "\(healthz)")

                // kill -9 of the gunicorn master and its worker.
                let master = try #require(try await lab.programPID("app"))
                let killedAt = Date()
                for pid in processTree(master) { kill(pid_t(pid), SIGKILL) }

                // The incident: both files, the JSON naming the verdict, detected within one interval (+ the probe deadline).
                let incidentJSON = try await Self.until(timeout: .seconds(60), interval: .milliseconds(100)) { () -> String? in
                    let names = (try? FileManager.default.contentsOfDirectory(atPath: incidents)) ?? []
                    return names.first { $0.hasSuffix(".json") }.map { "\(incidents)/\($0)" }
                }
                let jsonPath = try #require(incidentJSON, "no incident report written:\n\(lab.tail(watch.stderrPath))")
                let incident = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: jsonPath))) as? [String: Any])
                let report = try #require(incident["report"] as? [String: Any])
                let verdict = try #require(report["verdict"] as? [String: Any])
                #expect(report["status"] as? String == "critical", "\(report)")
                #expect(verdict["layer"] as? String == "upstream", "\(verdict)")
                #expect(verdict["check"] as? String == "target-not-listening", "\(verdict)")
                let detectedAt = try #require(incident["detected_at_unix"] as? Double)
                let detection = detectedAt - killedAt.timeIntervalSince1970
                #expect(detection >= 0 && detection <= interval + probeDeadline,
                        "detected \(detection) s after the kill; the bound is one interval + the probe deadline")
                #expect((incident["failing_routes"] as? [String])?.first?.contains("refused") == true, "\(incident)")
                #expect(lab.fileMode(incidents).map { $0 & 0o777 } == 0o700)
                #expect(lab.fileMode(jsonPath).map { $0 & 0o777 } == 0o600)
                let markdownPath = String(jsonPath.dropLast(5)) + ".md"
                #expect(lab.fileMode(markdownPath).map { $0 & 0o777 } == 0o600)
                #expect(Self.text(markdownPath).contains("target-not-listening"))

                // --auto-fix: the site answers 200 through nginx again, within a bound.
                let recovered = try await Self.until(timeout: .seconds(60), interval: .milliseconds(100)) { () async -> Date? in
                    guard let result = try? await lab.httpGet(site.listen, path: "/health/", host: "lab.test", timeout: .seconds(2)),
                          result.status == 200 else { return nil }
                    return Date()
                }
                let recoveredAt = try #require(recovered, "the site never answered 200 again:\n\(lab.tail(watch.stderrPath))\n\(lab.logs())")
                let recovery = recoveredAt.timeIntervalSince(killedAt)
                #expect(recovery <= 30, "recovered \(recovery) s after the kill")
                                print("watch-scenario: detection \(String(format: "%.2f", detection)) s, recovery (200 through nginx) \(String(format: "%.2f", recovery)) s after kill -9")

                // /metrics, scraped: the route is back at 1 and the restart is counted.
                let after = try await Self.until(timeout: .seconds(30), interval: .milliseconds(200)) { () async -> [PrometheusSample]? in
                    guard let scrape = try? await lab.fetch(metricsURL), let samples = try? PrometheusText.parse(scrape.body),
                          Self.value(samples, "gwdoctor_route_up", ["route": route]) == 1,
                          (Self.value(samples, "gwdoctor_recoveries_total") ?? 0) >= 1,
                          // The fix run ends after its own verification, a moment after the site answers.
                          samples.contains(where: { $0.name == "gwdoctor_actions_total" }) else { return nil }
                    return samples
                }
                let samples = try #require(after, "metrics never showed the recovery:\n\(lab.tail(watch.stderrPath))")
                #expect(Self.value(samples, "gwdoctor_probe_success", ["route": route, "via": "direct"]) == 1)
                #expect(Self.value(samples, "gwdoctor_probe_success", ["route": route, "via": "proxy"]) == 1)
                #expect(Self.value(samples, "gwdoctor_probe_status_code", ["route": route, "via": "proxy"]) == 200)
                #expect(Self.value(samples, "gwdoctor_incidents_total") == 1)
                #expect(Self.value(samples, "gwdoctor_actions_total", ["kind": "restart-service", "outcome": "succeeded"]) == 1, "\(samples)")
                #expect(Self.value(samples, "gwdoctor_failing") == 0)
                // Its own cost, read from /proc when scraped. It ran an incident diagnosis and a fix
                // and gave their pages back since (ResidentPageRelease): a debug build still fits in 100 MB.
                let resident = try #require(Self.value(samples, "process_resident_memory_bytes"), "\(samples)")
                #expect(resident > 1_048_576 && resident < 104_857_600, "process_resident_memory_bytes \(resident)")
                #expect((Self.value(samples, "process_cpu_seconds_total") ?? 0) > 0)

                // The audit log has the restart, as fix --apply writes it.
                let audit = Self.text("\(state)/audit.jsonl")
                #expect(audit.contains("\"step\":\"restart-service\"") && audit.contains("\"outcome\":\"succeeded\""), "\(audit)")
                #expect(audit.contains("\"command\":\"watch\""), "watch's own restarts are audited as watch's: \(audit)")
                #expect(try await lab.programStatus("app")?.state == "RUNNING")

                // SIGTERM: the round is finished, the listener closed, exit 0.
                let ended = try await lab.stopWatch(watch)
                let log = Self.text(watch.stderrPath)
                #expect(ended == "exited with code 0", "watch after SIGTERM: \(ended ?? "still running")\n\(log)")
                // One line each for failing, incident and recovery on stderr, and the stop.
                #expect(log.contains("site failing") && log.contains("incident: critical upstream/target-not-listening")
                        && log.contains("auto-fix: restart-service succeeded") && log.contains("site recovered")
                        && log.contains("SIGTERM"), "\(log)")
                let closed = try? await lab.fetch(metricsURL)
                #expect(closed == nil, "the listener must be closed after exit")
            }
        }

        /// Polls `condition` until it gives a value or `timeout` passes.
        private static func until<T>(timeout: Duration, interval: Duration, _ condition: () async throws -> T?) async throws -> T? {
            let deadline = ContinuousClock.now.advanced(by: timeout)
            while true {
                if let value = try await condition() { return value }
                if ContinuousClock.now >= deadline { return nil }
                try await Task.sleep(for: interval)
            }
        }

        private static func text(_ path: String) -> String {
            (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        }

        private static func value(_ samples: [PrometheusSample], _ name: String, _ labels: [String: String] = [:]) -> Double? {
            samples.first { sample in sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value } }?.value
        }
    }
}
