import DoctorLab
import Foundation
import Testing

/// The committed `Examples/<name>` snapshots (captured from lab scenarios with
/// `GWDOCTOR_CAPTURE_EXAMPLES=1`) replayed offline: `gwdoctor diagnose --root
/// Examples/<name> --format json` must give the verdict the live scenario gave. Runs on
/// every test run, reading what is committed; no live stack needed.
extension LabTests {
    @Suite("Example replays")
    struct ExampleReplays {
        struct Example: Sendable, CustomTestStringConvertible {
            var name: String
            var status: String
            var layer: String
            var check: String?
            /// The live scenario that captures it.
            var scenario: String
            var testDescription: String { "Examples/\(name) → \(status), \(layer), \(check ?? "no check")" }
        }

        static let examples: [Example] = [
            Example(name: "healthy-tcp", status: "ok", layer: "none", check: nil,
                    scenario: "DiagnoseScenarioTests healthyTCP"),
            Example(name: "nginx-stopped", status: "critical", layer: "proxy", check: "proxy-down",
                    scenario: "DiagnoseScenarioTests nginxStopped"),
            Example(name: "gunicorn-stopped", status: "critical", layer: "upstream", check: "target-not-listening",
                    scenario: "ConnectivityScenarioTests gunicornStoppedTCP"),
            Example(name: "target-mismatch-port", status: "critical", layer: "route", check: "target-mismatch",
                    scenario: "ConnectivityScenarioTests wrongPort"),
            Example(name: "socket-permission", status: "critical", layer: "socket", check: "socket-permission",
                    scenario: "ConnectivityScenarioTests socketModeDenied"),
            Example(name: "socket-stale", status: "critical", layer: "socket", check: "socket-stale",
                    scenario: "ConnectivityScenarioTests staleSocket"),
            Example(name: "database-unreachable", status: "critical", layer: "startup", check: "app-startup-crash",
                    scenario: "StartupMoreScenarioTests databaseUnreachable"),
            Example(name: "caddy-upstream-stopped", status: "critical", layer: "upstream", check: "target-not-listening",
                    scenario: "CaddyScenarioTests upstreamStopped"),
        ]

        @Test("every committed example has a replay expectation, and every expectation an example")
        func examplesAreCovered() throws {
            let root = "\(Lab.repositoryRoot())/Examples"
            let committed = try FileManager.default.contentsOfDirectory(atPath: root).filter { name in
                var isDirectory: ObjCBool = false
                return FileManager.default.fileExists(atPath: "\(root)/\(name)", isDirectory: &isDirectory) && isDirectory.boolValue
            }
            #expect(Set(committed) == Set(Self.examples.map(\.name)),
                    "Examples/ holds \(committed.sorted()); expectations name \(Self.examples.map(\.name).sorted())")
        }

        @Test(arguments: examples)
        func replay(_ example: Example) async throws {
            let path = Lab.examplePath(example.name)
            #expect(FileManager.default.fileExists(atPath: "\(path)/meta.json"),
                    "\(path) is not a snapshot: capture it with GWDOCTOR_CAPTURE_EXAMPLES=1 (\(example.scenario))")
            let run = try await Lab.runDoctorOffline(["diagnose", "--root", path, "--format", "json"])
            let report = try #require(try? run.decode(ReportJSON.self), "no JSON report:\n\(run)")
            #expect(run.exitCode == exitCode(forStatus: report.status), "exit code must follow the status:\n\(run)")
            expectVerdict(run, report, status: example.status, layer: example.layer, check: example.check)
        }
    }
}
