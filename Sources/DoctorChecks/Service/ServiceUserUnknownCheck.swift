import DoctorFacts

/// `service-user-unknown`: `User=` / `Group=` (systemd) or `user=` (supervisord) names an
/// account that /etc/passwd or /etc/group does not have. systemd fails with `217/USER`
/// (`217/GROUP`); supervisord refuses the whole config ("Invalid user name"). A numeric id is
/// always accepted; an unreadable account database makes this check silent.
public struct ServiceUserUnknownCheck: Check {
    public init() {}

    public let id = "service-user-unknown"
    public let title = "The user or group the service runs as does not exist"
    public let layer = Layer.startup
    public let rationale = """
        Units and programs copied from another host or a tutorial often name a user (deploy, www, \
        app) that was never created here, or was removed. systemd then fails the start with \
        status=217/USER; supervisord refuses to load its config with "Invalid user name X in section \
        'program:NAME'", which takes every program of that supervisord down at the next reread or \
        restart. The app never runs, so there is no traceback. Not to be confused with \
        socket-permission, where the user exists but cannot reach the socket.
        """
    public let fixText = """
        Create the account (adduser --system --group NAME) or name an existing one in User=/Group= \
        or user=, then restart the service.
        """
    public let precedence = 9
    public var explains: Set<String> { ServiceFindings.explainedChecks }

    public func run(_ facts: Facts) -> [Finding] {
        facts.services.compactMap { service in
            guard let definition = service.definition else { return nil }
            var unknown: [(kind: String, account: ServiceAccount)] = []
            if let user = definition.user, user.exists == false { unknown.append(("user", user)) }
            if let group = definition.group, group.exists == false { unknown.append(("group", group)) }
            guard !unknown.isEmpty else { return nil }
            let names = unknown.map { "\($0.kind) \($0.account.name)" }.joined(separator: " and ")
            var evidence: [Evidence] = unknown.map { entry in
                let file = entry.kind == "user" ? "/etc/passwd" : "/etc/group"
                return Evidence(kind: .file, text: "\(entry.kind) \(entry.account.name) is not in \(file)",
                                source: "getent \(entry.kind == "user" ? "passwd" : "group") \(entry.account.name)")
            }
            evidence += unknown.map { entry in
                let setting = service.manager == "systemd" ? (entry.kind == "user" ? "User=" : "Group=") : "user="
                return Evidence(kind: .config, text: "\(setting)\(entry.account.name)", source: entry.account.location)
            }
            let fix = unknown.map { entry in
                let setting = service.manager == "systemd" ? (entry.kind == "user" ? "User=" : "Group=") : "user="
                let create = entry.kind == "user" ? "adduser --system --group \(entry.account.name)" : "addgroup --system \(entry.account.name)"
                return "Create the \(entry.kind) (\(create)) or change \(setting) at \(entry.account.location ?? "the service's config") to an existing one"
            }
            let consequence = service.manager == "supervisor"
                ? "; supervisord refuses this config at its next reread or restart, taking all its programs down"
                : ""
            return ServiceFindings.finding(
                self, service, facts: facts,
                summary: "\(ServiceFindings.name(service)) runs as \(names), which does not exist on this host; \(ServiceFindings.when(service))\(consequence)",
                evidence: evidence, fix: fix, changes: .either)
        }
    }
}
