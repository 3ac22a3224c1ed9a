import DoctorChecks
import DoctorFacts
import DoctorHost
import Foundation
import Testing

/// `ServiceDefinitionResolver` through `SnapshotHost` and the real gatherers, on snapshots
/// captured from a real supervisord lab and from real systemd 252 (see Fixtures/README.md):
/// the definition facts themselves, not only whether a check fires.
@Suite struct ServiceDefinitionReplayTests {
    private func facts(_ snapshot: String) async throws -> Facts {
        let directory = CheckFixtureTests.fixtures.appendingPathComponent("snapshots/\(snapshot)").path
        let host = try SnapshotHost(directory: directory)
        let scope = SnapshotScope.read(from: directory)
        let options = GatherOptions(nginxConfig: scope?.nginxConfig, nginxPrefix: scope?.nginxPrefix, probe: true,
                                    sinceSeconds: scope?.sinceSeconds ?? 900)
        return await FactGatherer(host: host, options: options).gather()
    }

    @Test func supervisorProgramWithAnEmptySecretKey() async throws {
        let facts = try await facts("service-secret-key-empty")
        let service = try #require(facts.services.first { $0.manager == "supervisor" && $0.name == "app" })
        let definition = try #require(service.definition)
        let config = "/tmp/gwdoctor-example-service-secret-key-empty/supervisord.conf"
        #expect(definition.executable?.kind == .regular)
        #expect(definition.executable?.location == "\(config):20")
        #expect(definition.interpreter?.kind == .regular, "the lab venv's gunicorn script names its python")
        #expect(definition.workingDirectory?.kind == .directory)
        let secret = try #require(definition.environment.first { $0.name == "DJANGO_SECRET_KEY" })
        #expect(secret.isEmpty && secret.location == "\(config):22")
        #expect(definition.environment.first { $0.name == "LAB_DATA_DIR" }?.isEmpty == false)
        #expect(definition.settingsModule?.module == "labsite.settings")
        #expect(definition.settingsModule?.foundFile == "/work/main/Lab/labsite/labsite/settings.py")
        #expect(definition.secretKeySetting?.source == .environment)
        #expect(definition.secretKeySetting?.variable == "DJANGO_SECRET_KEY")
        #expect(definition.restart?.value == "true")
        #expect(definition.restart?.location == "\(config):24")
        #expect(!definition.djangoMarkers.isEmpty)
    }

    @Test func systemdUnitWithItsRuntimeDirectoryAndEnvironmentFile() async throws {
        let facts = try await facts("systemd-runtime-directory")
        let service = try #require(facts.services.first { $0.manager == "systemd" && $0.name == "myapp.service" })
        let definition = try #require(service.definition)
        #expect(definition.runtimeDirectories == ["/run/myapp"])
        #expect(definition.socketDirectories == [ServicePath(path: "/run/myapp", kind: .directory)])
        let file = try #require(definition.environmentFiles.first)
        #expect(file.file.path == "/srv/app/env" && file.file.kind == .regular)
        #expect(file.keys?.map(\.name) == ["DJANGO_SECRET_KEY", "DJANGO_SETTINGS_MODULE"])
        #expect(file.keys?.allSatisfy { !$0.isEmpty } == true, "the redacted copy keeps the value non-empty")
        #expect(definition.settingsModule?.location == "/srv/app/env:2")
        #expect(definition.settingsModule?.exists == true)
        #expect(RuntimeDirectoryMissingCheck().run(facts).isEmpty)
    }

    @Test func systemdUnitAfterABootWithoutItsSocketDirectory() async throws {
        let facts = try await facts("systemd-runtime-directory-missing")
        let definition = try #require(facts.services.first { $0.name == "myapp.service" }?.definition)
        #expect(definition.runtimeDirectories.isEmpty)
        #expect(definition.socketDirectories == [ServicePath(path: "/run/myapp", kind: .missing)])
        let diagnosis = VerdictRanker.diagnose(facts)
        #expect(diagnosis.status == .critical)
        #expect(diagnosis.verdict.check == "runtime-directory-missing")
        #expect(diagnosis.verdict.fix.first?.contains("RuntimeDirectory=myapp") == true)
    }
}
