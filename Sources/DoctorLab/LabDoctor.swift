import Foundation

/// What one `gwdoctor` run in the lab printed.
public struct DoctorRun: Sendable, CustomStringConvertible {
    public var output: CommandOutput
    public var exitCode: Int32 { output.exitCode }
    public var stdout: String { output.stdout }
    public var stderr: String { output.stderr }

    /// stdout parsed as a JSON object (for `--format json`).
    public func json() throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any] else {
            throw LabError.io("gwdoctor stdout is not a JSON object:\n\(self)")
        }
        return object
    }

    /// stdout decoded as `T`.
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(stdout.utf8))
    }

    public var description: String { output.description }
}

extension Lab {
    /// Where the built `gwdoctor` is: `GWDOCTOR_BIN`, else next to the running test
    /// binary (same scratch path as `swift test`), else `.build/debug/gwdoctor`.
    public static func doctorExecutable() throws(LabError) -> String {
        var candidates: [String] = []
        if let explicit = ProcessInfo.processInfo.environment["GWDOCTOR_BIN"], !explicit.isEmpty {
            candidates.append(explicit)
        }
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            candidates.append(URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("gwdoctor").path)
        }
        candidates.append(Bundle.main.bundleURL.appendingPathComponent("gwdoctor").path)
        candidates.append("\(repositoryRoot())/.build/debug/gwdoctor")
        var seen = Set<String>()
        candidates = candidates.filter { seen.insert($0).inserted }
        for candidate in candidates {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue,
               FileManager.default.isExecutableFile(atPath: candidate) {
                return candidate
            }
        }
        throw .doctorNotBuilt(searched: candidates)
    }

    /// The environment every `gwdoctor` run gets: root's tools on the test run's PATH (so it
    /// finds nginx the way an operator's shell would), the lab as HOME, no colour.
    var doctorEnvironment: [String: String] {
        let inherited = ProcessInfo.processInfo.environment["PATH"] ?? ""
        return [
            "PATH": inherited.isEmpty ? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" : inherited + ":/usr/sbin:/sbin",
            "HOME": directory,
            "LANG": "C.UTF-8",
            "NO_COLOR": "1",
        ]
    }

    /// Runs the built `gwdoctor` with `arguments` inside the namespace, as root, with the
    /// test run's PATH (so it finds nginx the way an operator's shell would) and no colour.
    /// `workingDirectory`: where it runs (default: the test's own directory).
    public func runDoctor(_ arguments: [String], workingDirectory: String? = nil,
                          timeout: Duration = .seconds(120)) async throws -> DoctorRun {
        let doctor = try Lab.doctorExecutable()
        let output = try await runInNamespace([doctor] + arguments, environment: doctorEnvironment,
                                              workingDirectory: workingDirectory, timeout: timeout)
        return DoctorRun(output: output)
    }

    /// `gwdoctor diagnose --nginx-conf <lab nginx.conf> --format json`.
    public func diagnose(_ extra: [String] = [], timeout: Duration = .seconds(120)) async throws -> DoctorRun {
        try await runDoctor(["diagnose", "--nginx-conf", nginxConfigPath, "--format", "json"] + extra, timeout: timeout)
    }

    /// `gwdoctor routes --nginx-conf <lab nginx.conf> --format json`.
    public func routes(_ extra: [String] = [], timeout: Duration = .seconds(120)) async throws -> DoctorRun {
        try await runDoctor(["routes", "--nginx-conf", nginxConfigPath, "--format", "json"] + extra, timeout: timeout)
    }

    /// Whether examples should be captured in this run (`GWDOCTOR_CAPTURE_EXAMPLES=1`).
    public static var capturesExamples: Bool {
        ProcessInfo.processInfo.environment["GWDOCTOR_CAPTURE_EXAMPLES"] == "1"
    }

    /// The stable lab directory for the example `name`, so captured snapshots carry
    /// the same paths on every capture (`/tmp/gwdoctor-example-NAME`).
    public static func exampleDirectory(_ name: String) -> String { "/tmp/gwdoctor-example-\(name)" }

    /// Runs `gwdoctor snapshot Examples/<name> --nginx-conf <lab nginx.conf>` in the
    /// namespace, replacing any earlier capture of that example.
    public func captureExample(_ name: String, extra: [String] = [], timeout: Duration = .seconds(180)) async throws -> DoctorRun {
        try await captureSnapshot(to: "\(repositoryRoot)/Examples/\(name)", extra: extra, timeout: timeout)
    }

    /// Whether check fixtures should be captured in this run (`GWDOCTOR_CAPTURE_FIXTURES=1`).
    public static var capturesFixtures: Bool {
        ProcessInfo.processInfo.environment["GWDOCTOR_CAPTURE_FIXTURES"] == "1"
    }

    /// Where check fixture snapshots live (replayed by `CheckFixtureTests`).
    public static func fixtureDestination(_ name: String, repositoryRoot: String = Lab.repositoryRoot()) -> String {
        "\(repositoryRoot)/Tests/DoctorChecksTests/Fixtures/snapshots/\(name)"
    }

    /// Runs `gwdoctor snapshot DESTINATION --nginx-conf <lab nginx.conf>` in the
    /// namespace, replacing any earlier capture there.
    public func captureSnapshot(to destination: String, extra: [String] = [], timeout: Duration = .seconds(180)) async throws -> DoctorRun {
        try? FileManager.default.removeItem(atPath: destination)
        return try await runDoctor(["snapshot", destination, "--nginx-conf", nginxConfigPath] + extra, timeout: timeout)
    }
}
