import DoctorFacts

/// `exec-missing`: the binary a service runs (`ExecStart=`'s first word, supervisor
/// `command=`'s first word) does not exist, or it is a script whose `#!` interpreter does
/// not: the classic wrong or rebuilt virtualenv path. systemd fails the start with
/// `203/EXEC`, supervisord with `can't find command`; the app never writes a log line, so
/// unlike `app-startup-crash` there is no traceback to quote.
public struct ExecMissingCheck: Check {
    public init() {}

    public let id = "exec-missing"
    public let title = "The service's executable (or its script interpreter) does not exist"
    public let layer = Layer.startup
    public let rationale = """
        A unit or program that points at a virtualenv binary which is not there (a typo, a venv \
        rebuilt elsewhere, a release directory removed) cannot start: systemd logs status=203/EXEC, \
        supervisord "can't find command" and gives up. A console script (venv/bin/gunicorn) whose #! \
        line names an interpreter that is gone (the venv's python moved or the system python upgraded) \
        fails the same way with "bad interpreter". Nothing listens, so nginx answers 502, and the app's \
        own log stays empty. Static: it is found before an outage, at the next restart or reboot.
        """
    public let fixText = """
        Point ExecStart= / command= at the binary that exists (ls -l VENV/bin/), or recreate the \
        virtualenv at the path the service names (python3 -m venv VENV && VENV/bin/pip install -r \
        requirements.txt).
        """
    public let precedence = 6
    public var explains: Set<String> { ServiceFindings.explainedChecks }

    public func run(_ facts: Facts) -> [Finding] {
        facts.services.compactMap { service in
            guard let definition = service.definition, let executable = definition.executable else { return nil }
            let setting = ServiceFindings.setting(service, systemd: "ExecStart=", supervisor: "command=")
            let at = executable.location.map { " (\($0))" } ?? ""
            let name = ServiceFindings.name(service)
            switch executable.kind {
            case .missing, .directory:
                let what = executable.kind == .missing ? "does not exist" : "is a directory, not a program"
                return ServiceFindings.finding(
                    self, service, facts: facts,
                    summary: "\(name) runs \(executable.path), which \(what); \(ServiceFindings.when(service))",
                    evidence: [Evidence(kind: .file, text: "\(executable.path): \(executable.kind == .missing ? "no such file or directory" : "a directory")",
                                        source: "ls -l \(executable.path)"),
                               Evidence(kind: .config, text: "\(setting) starts \(executable.path)", source: executable.location)],
                    fix: ["Fix \(setting)\(at): point it at the virtualenv's real binary (ls -l \(parent(executable.path))/), "
                          + "or recreate the virtualenv there: python3 -m venv \(venvRoot(executable.path)) && "
                          + "\(venvRoot(executable.path))/bin/pip install -r requirements.txt"], changes: .either)
            case .regular:
                guard let interpreter = definition.interpreter, interpreter.kind == .missing else { return nil }
                return ServiceFindings.finding(
                    self, service, facts: facts,
                    summary: "\(name) runs \(executable.path), whose interpreter \(interpreter.path) (its #! line) does not exist; \(ServiceFindings.when(service))",
                    evidence: [Evidence(kind: .file, text: "\(executable.path) starts with #!\(interpreter.path)", source: "head -1 \(executable.path)"),
                               Evidence(kind: .file, text: "\(interpreter.path): no such file or directory", source: "ls -l \(interpreter.path)")],
                    fix: ["Rebuild the virtualenv \(venvRoot(executable.path)) so its scripts name an interpreter that exists "
                          + "(python3 -m venv --clear \(venvRoot(executable.path)) && \(venvRoot(executable.path))/bin/pip install -r requirements.txt), "
                          + "or point \(setting)\(at) at a virtualenv that works"], changes: .either)
            default:
                return nil
            }
        }
    }

    private func parent(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/"), slash > path.startIndex else { return "/" }
        return String(path[..<slash])
    }

    /// `/srv/app/venv` for `/srv/app/venv/bin/gunicorn`; the binary's directory otherwise.
    private func venvRoot(_ path: String) -> String {
        let directory = parent(path)
        return directory.hasSuffix("/bin") ? String(directory.dropLast(4)) : directory
    }
}
