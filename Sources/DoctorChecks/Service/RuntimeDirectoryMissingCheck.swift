import DoctorFacts

/// `runtime-directory-missing`: the service binds a unix socket in a directory under /run
/// (or /var/run) that nothing recreates at boot: no `RuntimeDirectory=`, no tmpfiles.d
/// `d` line, no `.socket` unit. /run is a tmpfs, so a directory made by hand survives
/// restarts but not a reboot: the "502 after reboot but not after a manual restart" case.
/// It fires even when the directory exists now (a warning: the next reboot breaks it) and
/// is critical when it is missing and a route points at the service. Unlike `socket-missing`, which
/// sees that the socket file is absent, this names why it will be absent after a reboot.
public struct RuntimeDirectoryMissingCheck: Check {
    public init() {}

    public let id = "runtime-directory-missing"
    public let title = "The service's socket directory under /run is not recreated at boot"
    public let layer = Layer.startup
    public let rationale = """
        /run is emptied at every boot. A socket directory like /run/app that someone created by hand \
        (mkdir, chown) keeps working across `systemctl restart` but vanishes at the next reboot; the \
        app server then fails to bind ("No such file or directory" on the socket path) and nginx answers \
        502 until someone recreates it. systemd's RuntimeDirectory= (created with the right owner on \
        every start), a tmpfiles.d `d` line, or a .socket unit make it permanent. Reported even while \
        the directory exists, because that is when it can be fixed calmly.
        """
    public let fixText = """
        systemd: add RuntimeDirectory=NAME (and RuntimeDirectoryMode=0755 if nginx must traverse it) \
        to the unit's [Service] section. supervisord or anything else: add a tmpfiles.d line \
        `d /run/NAME 0755 USER GROUP -` in /etc/tmpfiles.d/NAME.conf (systemd-tmpfiles --create applies it now).
        """
    public let precedence = 10
    public var explains: Set<String> { ServiceFindings.explainedChecks }

    public func run(_ facts: Facts) -> [Finding] {
        facts.services.compactMap { service in
            guard let definition = service.definition else { return nil }
            let covered = Set(definition.runtimeDirectories.map(Self.runPath) + definition.bootCreatedDirectories.map { Self.runPath($0.value) })
            let uncovered = definition.socketDirectories.filter { directory in
                let path = Self.runPath(directory.path)
                return path.hasPrefix("/run/") && !covered.contains(path) && !Self.systemManaged(path)
            }
            guard let directory = uncovered.first else { return nil }
            let path = Self.runPath(directory.path)
            let name = String(path.dropFirst("/run/".count))
            let missing = directory.kind == .missing
            // A socket cannot be created in a directory that is not there, whatever the manager
            // says of the service (gunicorn retries its bind for a while as "active"): critical
            // as soon as a route points at it.
            let severity: Severity = missing && ServiceFindings.route(for: service, in: facts) != nil ? .critical : .warning
            let now = missing ? "it is missing now" : "it exists now, but /run is emptied at boot"
            var evidence = [Evidence(kind: .file, text: "\(directory.path): \(missing ? "no such file or directory" : "exists (\(directory.kind.rawValue))")",
                                     source: "ls -ld \(directory.path)")]
            evidence.append(Evidence(kind: .config,
                                     text: service.manager == "systemd"
                                        ? "no RuntimeDirectory=\(name), no tmpfiles.d line and no .socket unit creates \(path)"
                                        : "nothing creates \(path) at boot (supervisord does not; no tmpfiles.d line does)",
                                     source: service.source))
            let user = definition.user?.name ?? "root"
            let group = definition.group?.name ?? user
            let fix: [String] = service.manager == "systemd"
                ? ["Add RuntimeDirectory=\(name) to the [Service] section of \(service.source ?? service.name) "
                   + "(systemctl edit \(service.name)); systemd then creates \(path) owned by User= on every start",
                   "Or add `d \(path) 0755 \(user) \(group) -` to /etc/tmpfiles.d/\(name.split(separator: "/").first ?? "app").conf and run systemd-tmpfiles --create"]
                : ["Add `d \(path) 0755 \(user) \(group) -` to /etc/tmpfiles.d/\(name.split(separator: "/").first ?? "app").conf "
                   + "and run systemd-tmpfiles --create: supervisord does not create directories, and /run is emptied at boot"]
            return ServiceFindings.finding(
                self, service, facts: facts,
                summary: "\(ServiceFindings.name(service)) binds a socket in \(directory.path), which nothing recreates at boot; \(now)",
                // supervisord: only a tmpfiles.d line changes, so a plain restart (`update` would not restart it);
                // systemd: RuntimeDirectory= (systemctl edit reloads the unit) or the same tmpfiles.d line.
                evidence: evidence, fix: fix, changes: service.manager == "systemd" ? .either : .outside, severity: severity)
        }
    }

    static func runPath(_ path: String) -> String {
        path.hasPrefix("/var/run/") ? String(path.dropFirst("/var".count)) : path
    }

    /// Directories the system itself recreates at boot (systemd's own tmpfiles, logind).
    static func systemManaged(_ path: String) -> Bool {
        ["/run/user/", "/run/systemd/", "/run/lock/"].contains { path.hasPrefix($0) } || path == "/run/lock" || path == "/run/user"
    }
}
