import DoctorChecks
import DoctorFacts
import DoctorHost
import Foundation
import Testing

/// The one shared test behind every check's fixtures (DESIGN.md, "A check"): each
/// snapshot under Fixtures/snapshots was captured by `gwdoctor snapshot` from a real lab
/// scenario, replayed here through `SnapshotHost` and the real gatherer. A new check needs
/// fixtures and a line in expectations.json, not new test code.
@Suite struct CheckFixtureTests {
    struct Expectation: Decodable {
        var fires: [String]
        var silent: [String]
    }

    struct Case: CustomTestStringConvertible, Sendable {
        var check: String
        var snapshot: String
        var shouldFire: Bool
        var testDescription: String { "\(check) \(shouldFire ? "fires on" : "is silent on") \(snapshot)" }
    }

    static let fixtures = Bundle.module.resourceURL!.appendingPathComponent("Fixtures")

    static func expectations() throws -> [String: Expectation] {
        let data = try Data(contentsOf: fixtures.appendingPathComponent("expectations.json"))
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        let checks = object.filter { !$0.key.hasPrefix("_") }
        let trimmed = try JSONSerialization.data(withJSONObject: checks)
        return try JSONDecoder().decode([String: Expectation].self, from: trimmed)
    }

    static let cases: [Case] = {
        guard let expectations = try? expectations() else { return [] }
        return expectations.sorted { $0.key < $1.key }.flatMap { check, expectation in
            expectation.fires.map { Case(check: check, snapshot: $0, shouldFire: true) }
                + expectation.silent.map { Case(check: check, snapshot: $0, shouldFire: false) }
        }
    }()

    @Test func everyCheckHasFixturesThatFireAndStaySilent() throws {
        let expectations = try Self.expectations()
        for check in CheckCatalog.all {
            let expectation = expectations[check.id]
            #expect((expectation?.fires.count ?? 0) >= 1, "\(check.id) has no snapshot where it must fire")
            #expect((expectation?.silent.count ?? 0) >= 1, "\(check.id) has no snapshot where it must stay silent")
        }
        for id in expectations.keys {
            #expect(CheckCatalog.check(id: id) != nil, "expectations.json names unknown check \(id)")
        }
    }

    @Test(arguments: cases)
    func checkOnSnapshot(_ testCase: Case) async throws {
        let directory = Self.fixtures.appendingPathComponent("snapshots/\(testCase.snapshot)").path
        let host = try SnapshotHost(directory: directory)
        let scope = SnapshotScope.read(from: directory)
        var options = GatherOptions(nginxConfig: scope?.nginxConfig, nginxPrefix: scope?.nginxPrefix, probe: true,
                                    sinceSeconds: scope?.sinceSeconds ?? 900)
        options.composeFiles = scope?.composeFiles ?? []
        options.caddyfile = scope?.caddyfile
        let facts = await FactGatherer(host: host, options: options).gather()
        let check = try #require(CheckCatalog.check(id: testCase.check))
        let findings = check.run(facts)
        if testCase.shouldFire {
            #expect(!findings.isEmpty, "\(testCase.check) did not fire on \(testCase.snapshot)")
            #expect(findings.allSatisfy { $0.check == testCase.check && !$0.evidence.isEmpty })
        } else {
            #expect(findings.isEmpty, "\(testCase.check) fired on \(testCase.snapshot): \(findings.map(\.summary))")
        }
    }
}
