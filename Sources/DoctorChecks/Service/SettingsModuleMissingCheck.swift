import DoctorFacts

/// `settings-module-missing`: `DJANGO_SETTINGS_MODULE` (set inline, in an environment file,
/// or with gunicorn `-e`) names a module with no file under the directories the app imports
/// from (`--chdir`, uvicorn `--app-dir`, `--pythonpath`, the working directory, the
/// virtualenv's site-packages): Django fails at boot with `ModuleNotFoundError`. Static: it
/// is found before a restart; `app-startup-crash` (bad-settings-module) is the same fault
/// seen in the traceback of a boot that already failed, and stays the verdict when both fire.
/// Silent when `PYTHONPATH` is set (its value is not kept) or a directory could not be read.
public struct SettingsModuleMissingCheck: Check {
    public init() {}

    public let id = "settings-module-missing"
    public let title = "DJANGO_SETTINGS_MODULE names a module that does not exist"
    public let layer = Layer.startup
    public let rationale = """
        A typo (settingz), a module renamed in a refactor (settings.prod → settings.production) or a \
        service started from the wrong directory leaves DJANGO_SETTINGS_MODULE pointing at nothing. \
        Django then dies at import time with "ModuleNotFoundError: No module named ...", every boot, \
        and nginx answers 502. gwdoctor resolves the name to PKG/MOD.py or PKG/MOD/__init__.py under \
        the directories the app server imports from.
        """
    public let fixText = """
        Point DJANGO_SETTINGS_MODULE at a module that exists (ls the package's directory), or fix the \
        working directory / --chdir so the package is importable.
        """
    public let precedence = 12
    public var explains: Set<String> { ServiceFindings.explainedChecks }

    public func run(_ facts: Facts) -> [Finding] {
        facts.services.compactMap { service in
            guard let reference = service.definition?.settingsModule, reference.exists == false else { return nil }
            let relative = reference.module.split(separator: ".").joined(separator: "/")
            let directories = (reference.searchDirectory ?? "").split(separator: ":").map(String.init)
            let primary = directories.first ?? "the working directory"
            let package = reference.module.split(separator: ".").dropLast().joined(separator: "/")
            return ServiceFindings.finding(
                self, service, facts: facts,
                summary: "\(ServiceFindings.name(service)) sets DJANGO_SETTINGS_MODULE=\(reference.module), but no \(relative).py "
                    + "or \(relative)/__init__.py exists under \(primary); \(ServiceFindings.when(service))",
                evidence: [Evidence(kind: .config, text: "DJANGO_SETTINGS_MODULE=\(reference.module)", source: reference.location),
                           Evidence(kind: .file, text: "not found in: " + directories.joined(separator: ", "),
                                    source: "ls \(primary)/\(package.isEmpty ? "" : package + "/")")],
                fix: ["Fix DJANGO_SETTINGS_MODULE at \(reference.location): name a module that exists under \(primary) "
                      + "(ls \(primary)/\(package.isEmpty ? "" : package + "/") lists the candidates)"], changes: .either)
        }
    }
}
