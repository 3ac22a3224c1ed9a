import DoctorFacts

/// `socket-permission`: the proxy's worker user cannot connect to the route's unix
/// socket: a directory on the way is not searchable for it (x), or the socket is not
/// writable for it (w). nginx logs `[crit] … connect() to unix:/P failed (13: Permission
/// denied)`. Evidence is the walk `namei -l P` shows, with the blocking component named.
///
/// The fix never widens access to everyone: it names a group or owner change (the
/// proxy's group on the directory, the app server creating its socket for that group, or
/// the worker user joining the socket's group). A direct probe proves nothing here: it
/// runs as gwdoctor's user, usually root; the probe through the proxy does.
public struct SocketPermissionCheck: Check {
    public init() {}

    public let id = "socket-permission"
    public let title = "The proxy's worker user cannot reach the unix socket"
    public let layer = Layer.socket
    public let rationale = """
        The app server runs and its socket answers (as root everything works), yet nginx's workers, \
        running as www-data or nginx, get `(13: Permission denied)`, logged at [crit], and every \
        request is a 502. connect(2) needs search (x) on every directory from / to the socket and \
        write (w) on the socket itself, for the worker user, its primary group, or a supplementary \
        group. Typical causes: a /run/app directory created 0700 by root, a socket created under a \
        umask of 022 or 077, the worker user not in the app's group. Critical when the walk denies \
        now (unless the probe through the proxy succeeds anyway); a warning when only earlier log \
        lines say so.
        """
    public let fixText = """
        Give the worker user access through a group, never through "other": put the directory in \
        the proxy's group with g+x (chgrp www-data /run/app && chmod g+x /run/app), have the app \
        server create its socket for that group (gunicorn --umask 007 with group www-data; uWSGI \
        chmod-socket = 660 and chown-socket), or add the worker user to the socket's group \
        (usermod -aG <group> www-data, then reload nginx). Never open it to everyone ("other" bits).
        """
    public let precedence = 42

    public func run(_ facts: Facts) -> [Finding] {
        facts.unixTargets().compactMap { use in
            guard case let .unix(path) = use.endpoint, let route = use.firstRoute else { return nil }
            let walks = facts.socketAccess.filter { $0.socketPath == path }
            let denied = walks.first { $0.blockingStep != nil }
            let events = facts.failureEvents([.permissionDenied], at: use.endpoint)
            guard denied != nil || !events.isEmpty else { return nil }

            let routes = use.allRoutes
            let viaProxy = routes.compactMap { facts.proxyProbe(for: $0) }
            let proxyWorks = !viaProxy.isEmpty && viaProxy.allSatisfy {
                if case let .response(status, _) = $0.outcome { return !RouteWording.gatewayStatuses.contains(status) }
                return false
            }
            let failingNow = denied != nil && !proxyWorks
            let timeline = FailureTimeline(failingNow: failingNow, events: events,
                                           recovered: denied == nil && facts.probesProveWorking([use.endpoint], routes: routes, proxyRequired: true),
                                           nowNote: denied == nil ? (walks.isEmpty ? "the walk was not gathered" : "the walk allows it now") : nil,
                                           gatheredAt: facts.gatheredAt)

            var evidence = RouteWording.useEvidence(use)
            let walk = denied ?? walks.first
            if let walk {
                let groups = walk.gids.map(String.init).joined(separator: ",")
                evidence.append(Evidence(kind: .process, text: "checked as \(walk.user) (uid \(walk.uid), gids \(groups))",
                                         source: walk.userSource))
                let blocking = walk.blockingStep
                for step in walk.steps {
                    let mark = step == blocking ? "  <- \(Self.blockedText(walk, step))" : ""
                    evidence.append(Evidence(kind: .file, text: step.nameiLine + mark, source: "namei -l \(path)"))
                }
            }
            evidence += RouteWording.proxyProbeEvidence(routes, facts: facts)
            evidence += RouteWording.logEvidence(events, facts: facts)

            let phrase = RouteWording.routesPhrase(routes)
            let summary: String
            if let denied, let step = denied.blockingStep {
                let base = "\(denied.user) cannot reach unix socket \(path) (\(phrase), \(route.directive) at \(route.source)): \(Self.blockedText(denied, step))"
                summary = proxyWorks
                    ? base + "; yet the probe through the proxy succeeds (an ACL or capability may grant access)"
                    : base
            } else {
                let count = RouteWording.windowCount(events, facts: facts)
                let user = walks.first?.user ?? facts.proxies.first?.workerUser ?? "the worker user"
                summary = "\(RouteWording.proxyName(use.routes)) was denied access to unix socket \(path) as \(user) for \(phrase) (\(count) time\(count == 1 ? "" : "s"))"
                    + timeline.qualifier
            }
            return Finding(check: id, layer: layer, severity: timeline.severity, summary: summary, route: route.label,
                           evidence: evidence, fix: fix(path: path, walk: denied, facts: facts))
        }
    }

    /// `www-data cannot search /run/app (drwx------ root root)`, or
    /// `www-data cannot write the socket srw------- root root /run/app/gunicorn.sock`.
    static func blockedText(_ walk: SocketAccess, _ step: PathStep) -> String {
        if step.needs == "search" {
            let line = step.nameiLine
            let attributes = line.hasSuffix(" " + step.path) ? String(line.dropLast(step.path.count + 1)) : line
            return "\(walk.user) cannot search \(step.path) (\(attributes))"
        }
        if step.kind == "socket" { return "\(walk.user) cannot write the socket \(step.nameiLine)" }
        return "\(walk.user) cannot \(step.needs) \(step.nameiLine)"
    }

    /// Group or owner changes only: never "other" bits.
    private func fix(path: String, walk: SocketAccess?, facts: Facts) -> [String] {
        let user = walk?.user ?? facts.proxies.first?.workerUser ?? "www-data"
        let proxyGroup = facts.proxies.lazy.compactMap(\.workerGroup).first ?? user
        let verify = "Verify as the worker user: sudo -u \(user) test -w \(path) && echo ok; namei -l \(path)"
        guard let walk, let step = walk.blockingStep else {
            return ["Walk the path as the worker user: namei -l \(path); every directory needs x and the socket w for \(user) through its owner or group",
                    "Grant it through a group (chgrp \(proxyGroup) DIR && chmod g+x DIR; the app server creating the socket with --umask 007 and group \(proxyGroup)), never through the 'other' bits",
                    verify]
        }
        let inGroup = step.gid.map { walk.gids.contains($0) } ?? false
        let owner = step.owner ?? step.uid.map(String.init) ?? "its owner"
        let group = step.group ?? step.gid.map(String.init)
        let rootGroup = step.gid == 0 || group == "root"
        var fix: [String] = []
        if step.needs == "search" {
            if step.uid == walk.uid {
                fix.append("chmod u+x \(step.path) (\(user) owns it but may not search it)")
            } else if inGroup {
                fix.append("chmod g+x \(step.path) (\(user) is already in its group \(group ?? "?"))")
            } else {
                fix.append("chgrp \(proxyGroup) \(step.path) && chmod g+x \(step.path) (owner \(owner) keeps full access; \(user) gets search through group \(proxyGroup))")
                if step.path.hasPrefix("/run/") || step.path.hasPrefix("/var/run/") {
                    fix.append("If systemd creates \(step.path) (RuntimeDirectory=), set Group=\(proxyGroup) and RuntimeDirectoryMode=0750 in the app's unit instead: a chgrp by hand is lost at the next restart")
                }
                if let group, !rootGroup {
                    let needsMode = (step.mode ?? 0) & 0o010 == 0 ? " and chmod g+x \(step.path)" : ""
                    // Caddy has no workers to replace: only a new process gets the new group.
                    let viaCaddy = facts.routes.contains { $0.proxy == .caddy && $0.target.endpoints.contains(.unix(path: path)) }
                    let apply = viaCaddy ? "then restart Caddy (systemctl restart caddy) so its process picks up the group"
                        : "then reload nginx (nginx -t && nginx -s reload) so new workers pick up the group"
                    fix.append("Or add \(user) to the group \(group): usermod -aG \(group) \(user)\(needsMode), \(apply)")
                }
            }
        } else {
            let app = facts.appServer(serving: .unix(path: path))
            fix.append(socketModeFix(kind: app?.kind, owner: owner, proxyGroup: proxyGroup, path: path))
            if !inGroup, let group, !rootGroup, group != proxyGroup {
                fix.append("Or add \(user) to the socket's group \(group) (usermod -aG \(group) \(user)) and let the app server create the socket group-writable, then reload nginx")
            }
            fix.append("Restart the app server so it creates the socket with the new mode (a chmod on the file by hand is lost at its next start)")
        }
        fix.append(verify)
        return fix
    }

    /// How each app server is told to create its socket for the proxy's group.
    private func socketModeFix(kind: String?, owner: String, proxyGroup: String, path: String) -> String {
        switch kind {
        case "gunicorn":
            "Run gunicorn with --umask 007 and group \(proxyGroup) (--group \(proxyGroup), or Group=\(proxyGroup) in its systemd unit), so it creates \(path) as srwxrwx--- \(owner) \(proxyGroup)"
        case "uwsgi":
            "In the uWSGI config set chown-socket = \(owner):\(proxyGroup) and chmod-socket = 660"
        default:
            "Run the app server with Group=\(proxyGroup) and UMask=0007 in its systemd unit (gunicorn: --umask 007 --group \(proxyGroup); uWSGI: chmod-socket = 660, chown-socket = \(owner):\(proxyGroup))"
        }
    }
}
