import DoctorFacts

/// `release-venv-stale`: a dependency file of the current release (`requirements*.txt`,
/// `pyproject.toml`, `poetry.lock`, `Pipfile.lock`, `uv.lock`) is newer than the virtualenv
/// the app runs — the deploy changed dependencies without installing them. The next boot
/// (or a lazily imported module) may fail with `ModuleNotFoundError`, which
/// `app-startup-crash` reports as `missing-package`; this check says why before that.
/// mtimes are a hint (a `touch` or a checkout resets them), so it is a warning.
public struct ReleaseVenvStaleCheck: Check {
    public init() {}

    public let id = "release-venv-stale"
    public let title = "Requirements newer than the virtualenv"
    public let layer = Layer.release
    public let rationale = """
        The current release's requirements*.txt / pyproject.toml / poetry.lock changed after the \
        virtualenv the service runs was last installed into (pyvenv.cfg, site-packages mtimes): the deploy \
        skipped pip install. New or upgraded packages are missing until someone installs them.
        """
    public let fixText = """
        Install the release's dependencies into the virtualenv the service runs (VENV/bin/pip install -r \
        requirements.txt, poetry install, uv sync), then restart only the app service.
        """
    public let precedence = 20

    public func run(_ facts: Facts) -> [Finding] {
        facts.releases.compactMap { layout in
            guard let dependencies = layout.dependencies, !dependencies.newerThanVenv.isEmpty else { return nil }
            let newer = dependencies.newerThanVenv
            var evidence = newer.map { file in
                Evidence(kind: .file, text: "\(file.path) modified \(ReleaseTime.text(file.modified))", source: "ls -l --full-time \(file.path)")
            }
            evidence.append(Evidence(kind: .file, text: "virtualenv \(dependencies.venv) last changed \(ReleaseTime.text(dependencies.venvModified)) (\(dependencies.venvModifiedSource))",
                                     source: "ls -ld --full-time \(dependencies.venvModifiedSource)"))
            evidence.append(layout.linkEvidence)
            let names = newer.map { ReleasePathText(text: $0.path).lastComponent }
            let summary = "\(names.joined(separator: ", ")) of release \(layout.current.release ?? "?") changed after the virtualenv \(dependencies.venv) was installed: dependencies may be missing"
            var fix: [String] = []
            for file in newer {
                let name = ReleasePathText(text: file.path).lastComponent
                if name.hasPrefix("requirements") {
                    fix.append("Install the release's dependencies into the virtualenv it runs: \(dependencies.venv)/bin/pip install -r \(file.path)")
                } else if name == "poetry.lock" || name == "pyproject.toml" {
                    fix.append("Install the release's dependencies into the virtualenv it runs: cd \(ReleasePathText(text: file.path).directory) && VIRTUAL_ENV=\(dependencies.venv) poetry install --no-root (or \(dependencies.venv)/bin/pip install .)")
                } else if name == "uv.lock" {
                    fix.append("Install the release's dependencies into the virtualenv it runs: cd \(ReleasePathText(text: file.path).directory) && UV_PROJECT_ENVIRONMENT=\(dependencies.venv) uv sync --frozen")
                } else {
                    fix.append("Install \(file.path) into \(dependencies.venv)")
                }
            }
            fix += layout.restartSteps.map { ServiceRestart.step($0) }
            return Finding(check: id, layer: layer, severity: .warning, summary: summary, route: layout.route(in: facts)?.label,
                           evidence: evidence, fix: fix)
        }
    }
}

/// The last component and the directory of a path, as text.
struct ReleasePathText {
    let text: String
    var lastComponent: String { text.split(separator: "/").last.map(String.init) ?? text }
    var directory: String {
        guard let slash = text.lastIndex(of: "/") else { return "." }
        return slash == text.startIndex ? "/" : String(text[..<slash])
    }
}
