import DoctorFacts

/// `working-directory-missing`: `WorkingDirectory=` / supervisor `directory=` names a
/// directory that does not exist (not with systemd's `-` prefix, which tolerates it).
/// systemd fails the start with `200/CHDIR`, supervisord's child exits with
/// "couldn't chdir"; like `exec-missing` the app itself never logs anything.
public struct WorkingDirectoryMissingCheck: Check {
    public init() {}

    public let id = "working-directory-missing"
    public let title = "The service's working directory does not exist"
    public let layer = Layer.startup
    public let rationale = """
        The working directory is usually the app's release or checkout directory: after a deploy \
        removed it, a rename or a typo, the manager cannot chdir into it and the start fails \
        (systemd status=200/CHDIR, supervisord "couldn't chdir to DIR: ENOENT") before the app server \
        runs, so there is no traceback. Unlike release checks (a `current` symlink to a partial \
        release), this is about the directory the unit names not being there at all.
        """
    public let fixText = """
        Create the directory or point WorkingDirectory= / directory= at the app's real directory \
        (for a release layout, its `current` symlink), then restart the service.
        """
    public let precedence = 7
    public var explains: Set<String> { ServiceFindings.explainedChecks }

    public func run(_ facts: Facts) -> [Finding] {
        facts.services.compactMap { service in
            guard let directory = service.definition?.workingDirectory, !directory.optional,
                  directory.kind == .missing || directory.kind == .regular else { return nil }
            let setting = ServiceFindings.setting(service, systemd: "WorkingDirectory=", supervisor: "directory=")
            let what = directory.kind == .missing ? "does not exist" : "is a file, not a directory"
            return ServiceFindings.finding(
                self, service, facts: facts,
                summary: "\(ServiceFindings.name(service)) starts in \(directory.path), which \(what); \(ServiceFindings.when(service))",
                evidence: [Evidence(kind: .file, text: "\(directory.path): \(directory.kind == .missing ? "no such file or directory" : "not a directory")",
                                    source: "namei -l \(directory.path)"),
                           Evidence(kind: .config, text: "\(setting)\(directory.path)", source: directory.location)],
                fix: ["Fix \(setting) at \(directory.location ?? "the service's config"): point it at the app's directory "
                      + "(namei -l \(directory.path) shows which part is missing), or create it"
                      + (service.manager == "systemd" ? "; prefix it with - only if the service really works from any directory" : "")], changes: .definition)
        }
    }
}
