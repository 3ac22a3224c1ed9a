import DoctorLab
import Foundation
import Testing

/// Shared by the diagnosis scenario suites.

/// Runs `gwdoctor diagnose --nginx-conf … --format json` and decodes it, checking the
/// exit code matches the status on the way.
func diagnoseReport(_ lab: Lab, sourceLocation: SourceLocation = #_sourceLocation) async throws -> (run: DoctorRun, report: ReportJSON) {
    let run = try await lab.diagnose()
    let report = try #require(try? run.decode(ReportJSON.self), "gwdoctor diagnose did not print a JSON report:\n\(run)",
                              sourceLocation: sourceLocation)
    #expect(report.version == 1, sourceLocation: sourceLocation)
    #expect(run.exitCode == exitCode(forStatus: report.status), "exit code must follow the status:\n\(run)",
            sourceLocation: sourceLocation)
    return (run, report)
}

/// Checks the verdict's status, layer and check exactly.
func expectVerdict(_ run: DoctorRun, _ report: ReportJSON, status: String, layer: String, check: String?,
                   sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(report.status == status, "status: expected \(status), got \(report.status)\n\(run)", sourceLocation: sourceLocation)
    #expect(report.verdict.layer == layer, "layer: expected \(layer), got \(report.verdict.layer)\n\(run)", sourceLocation: sourceLocation)
    #expect(report.verdict.check == check, "check: expected \(check ?? "nil"), got \(report.verdict.check ?? "nil")\n\(run)",
            sourceLocation: sourceLocation)
}

/// A stable lab directory while capturing, so snapshots carry the same paths every time.
func scenarioDirectory(_ name: String) -> String? {
    Lab.capturesExamples || Lab.capturesFixtures ? Lab.exampleDirectory(name) : nil
}

/// Captures the check fixture `name` when `GWDOCTOR_CAPTURE_FIXTURES=1`, and
/// `Examples/<example>` when `GWDOCTOR_CAPTURE_EXAMPLES=1` and the scenario is an example
/// (`example: true` uses `name`), and checks each capture worked.
func captureIfAsked(_ lab: Lab, _ name: String, example: Bool = false, exampleName: String? = nil,
                    sourceLocation: SourceLocation = #_sourceLocation) async throws {
    var destinations: [String] = []
    if Lab.capturesExamples, let example = exampleName ?? (example ? name : nil) {
        destinations.append("\(lab.repositoryRoot)/Examples/\(example)")
    }
    if Lab.capturesFixtures { destinations.append(Lab.fixtureDestination(name, repositoryRoot: lab.repositoryRoot)) }
    for destination in destinations {
        let run = try await lab.captureSnapshot(to: destination)
        #expect(run.exitCode == 0, "snapshot of \(name) failed:\n\(run)", sourceLocation: sourceLocation)
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: destination)) ?? []
        #expect(!entries.isEmpty, "\(destination) is empty", sourceLocation: sourceLocation)
    }
}

/// `withLab`, then proof that the teardown left nothing: no process in the lab's
/// namespace, the holder gone.
func withScenarioLab(_ name: String, directory: String? = nil, sourceLocation: SourceLocation = #_sourceLocation,
                     _ body: (Lab) async throws -> Void) async throws {
    nonisolated(unsafe) var used: Lab?
    try await withLab(name, directory: directory) { lab in
        used = lab
        try await body(lab)
    }
    if let lab = used {
        #expect(lab.pidsInNamespace().isEmpty, "lab \(name) left processes: \(lab.pidsInNamespace())", sourceLocation: sourceLocation)
        #expect(!isAliveNotZombie(lab.holderPID), "lab \(name) left its holder \(lab.holderPID)", sourceLocation: sourceLocation)
    }
}

extension ReportJSON {
    /// The verdict's and every finding's fix lines.
    var allFixText: String {
        ((verdict.fix ?? []) + findings.flatMap(\.fix)).joined(separator: "\n")
    }

    /// The verdict's evidence, text and source.
    var verdictEvidenceText: String {
        (verdict.evidence ?? []).map(\.all).joined(separator: "\n")
    }

    func finding(_ check: String) -> FindingJSON? { findings.first { $0.check == check } }
}
