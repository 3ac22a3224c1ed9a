import Foundation

/// What the gate scenarios need beyond the rollback's helpers: a release that cannot boot
/// because it reads an environment variable nobody configured (the most common failed deploy:
/// new code, old environment), and `gwdoctor gate` itself with its state directory in the lab.
extension Lab {
    /// The variable release `id`'s settings require after `requireEnvironmentVariable`.
    public static let gateMissingVariable = "GWDOCTOR_LAB_GATE_SETTING"

    /// Makes release `id`'s `file` (its settings by default) read
    /// `os.environ[GWDOCTOR_LAB_GATE_SETTING]` at import: `KeyError` at boot under a supervisord
    /// whose `environment=` does not set it. In `labsite/wsgi.py` only the app server trips on
    /// it; `manage.py migrate` still runs (a deploy that migrates, then fails to boot).
    public func requireEnvironmentVariable(_ tree: LabReleaseTree, release id: String, in file: String = "labsite/settings.py") throws {
        let settings = tree.release(id) + "/" + file
        guard let handle = FileHandle(forWritingAtPath: settings) else { throw LabError.io("cannot open \(settings)") }
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("\nimport os\nGATE_SETTING = os.environ[\"\(Lab.gateMissingVariable)\"]  # lab: needs a variable nobody set\n".utf8))
    }

    /// `gwdoctor gate --nginx-conf <lab nginx.conf> --state-dir LABDIR/state --release DIR EXTRA…`.
    public func gate(release directory: String, _ extra: [String] = [], timeout: Duration = .seconds(240)) async throws -> DoctorRun {
        try await runDoctor(["gate", "--nginx-conf", nginxConfigPath, "--state-dir", rollbackStateDirectory, "--release", directory] + extra,
                            timeout: timeout)
    }
}
