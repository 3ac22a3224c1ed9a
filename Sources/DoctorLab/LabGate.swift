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

    /// `LABDIR/manage-py-runs.log`: one line per run of an instrumented release's `manage.py`
    /// (see `recordManagePyRuns`).
    public var managePyRunLog: String { "\(directory)/manage-py-runs.log" }

    /// Makes release `id`'s real `manage.py` append its subcommand (`shell`, `migrate`) to
    /// `managePyRunLog` before Django starts. Nothing in the lab runs `manage.py shell` but
    /// gwdoctor's migration reader (`manage.py shell -c <reader>`), so the `shell` lines count
    /// how often gwdoctor ran it — each run costs a Django start (seconds on a real project).
    public func recordManagePyRuns(_ tree: LabReleaseTree, release id: String) throws {
        let path = tree.release(id) + "/manage.py"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let hook = "def main():\n    with open(\(pythonString(managePyRunLog)), \"a\") as log:  # lab: count the runs\n"
            + "        log.write((sys.argv[1] if len(sys.argv) > 1 else \"\") + \"\\n\")\n"
        guard text.contains("def main():\n") else { throw LabError.io("\(path) has no main() to instrument") }
        try text.replacingOccurrences(of: "def main():\n", with: hook).write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// How many times an instrumented `manage.py` ran `subcommand` so far.
    public func managePyRuns(_ subcommand: String) -> Int {
        ((try? String(contentsOfFile: managePyRunLog, encoding: .utf8)) ?? "").split(separator: "\n").filter { $0 == subcommand }.count
    }

    private func pythonString(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// Moves `DJANGO_SECRET_KEY` out of `program`'s `environment=` into a `gunicorn.conf.py` in
    /// each of `releases` (`raw_env = [...]`), which gunicorn loads with
    /// `-c ROOT/current/gunicorn.conf.py` and puts in `os.environ` before the app imports its
    /// settings: the app boots as before, but a reader of the service's environment that skips
    /// the app server's config cannot import the settings (KeyError).
    public func moveSecretKeyToGunicornConfig(_ tree: LabReleaseTree, releases: [String], program: inout SupervisedProgram) throws {
        for id in releases {
            let config = "# lab: the app's secret comes from gunicorn's raw_env, not from supervisord\nraw_env = [\n"
                + "    \"DJANGO_SECRET_KEY=\(Lab.djangoSecretKey)\",\n]\n"
            try config.write(toFile: tree.release(id) + "/gunicorn.conf.py", atomically: true, encoding: .utf8)
        }
        program.environment["DJANGO_SECRET_KEY"] = nil
        program.command.insert(contentsOf: ["-c", tree.currentLink + "/gunicorn.conf.py"], at: 1)
    }

    /// `gwdoctor gate --nginx-conf <lab nginx.conf> --state-dir LABDIR/state --release DIR EXTRA…`.
    public func gate(release directory: String, _ extra: [String] = [], timeout: Duration = .seconds(240)) async throws -> DoctorRun {
        try await runDoctor(["gate", "--nginx-conf", nginxConfigPath, "--state-dir", rollbackStateDirectory, "--release", directory] + extra,
                            timeout: timeout)
    }
}
