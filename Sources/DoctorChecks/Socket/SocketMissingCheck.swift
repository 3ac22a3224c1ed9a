import DoctorFacts

/// `socket-missing`: a route's unix socket path does not exist and no app server binds
/// that path. nginx logs `[crit] … connect() to unix:/P failed (2: No such file or
/// directory)`. When an app server binds another socket path instead, `target-mismatch`
/// (or `upstream-group-down` for a group member) reports it and this check stays silent.
///
/// One case goes beyond "not running": an app server that binds the path and still holds
/// its listening socket, while the file is gone (deleted under a running server by a
/// cleanup job or a deploy script). An app server that binds the path but holds no
/// listener is booting or crash-looping: not this check's to judge.
public struct SocketMissingCheck: Check {
    public init() {}

    public let id = "socket-missing"
    public let title = "The unix socket the route points to does not exist"
    public let layer = Layer.socket
    public let rationale = """
        Every request fails with 502 and nginx logs at [crit] (not [error]) `connect() to unix:/P \
        failed (2: No such file or directory)`: the app server that creates the socket is not running \
        (a clean gunicorn stop removes its socket), or its directory under /run vanished at reboot. \
        `nginx -t` passes regardless. When an app server runs but binds another path, that is \
        target-mismatch instead. Critical when the path is missing now; a warning when only earlier \
        log lines say so ("recovered since HH:MM" when the probes now succeed).
        """
    public let fixText = """
        Start the app server that binds the socket (systemctl start <your app service>); it creates \
        the file. If the socket lives under /run and the directory is gone after a reboot, let systemd \
        create it with RuntimeDirectory= in the unit.
        """
    public let precedence = 40

    public func run(_ facts: Facts) -> [Finding] {
        facts.unixTargets().compactMap { use in
            guard case let .unix(path) = use.endpoint, let route = use.firstRoute else { return nil }
            let state = facts.state(of: use.endpoint)
            let events = facts.failureEvents([.noSuchFile], at: use.endpoint)
            let failingNow = state.missingNow
            var deletedUnder: AppServer?
            if failingNow {
                if facts.mismatchCandidate(for: use.endpoint) != nil { return nil }
                let binding = facts.appServersBinding(use.endpoint)
                if !binding.isEmpty {
                    // Still listening on an unlinked path: the file was deleted under it.
                    guard state.listening == true else { return nil }
                    deletedUnder = facts.appServer(serving: use.endpoint) ?? binding[0]
                }
            } else if !state.servingNow, facts.mismatchCandidate(for: use.endpoint) != nil {
                return nil
            }
            let nowNote = state.servingNow ? "the socket answers now"
                : state.fileKind == .socket ? "the socket file exists now" : "could not check now: \(unknownNowReason(state, facts: facts))"
            let routes = use.allRoutes
            let timeline = FailureTimeline(failingNow: failingNow, events: events,
                                           recovered: facts.probesProveWorking([use.endpoint], routes: routes),
                                           nowNote: nowNote, gatheredAt: facts.gatheredAt)
            guard timeline.fires else { return nil }

            var evidence = RouteWording.useEvidence(use)
            if failingNow {
                evidence.append(Evidence(kind: .file, text: "ls: cannot access '\(path)': No such file or directory", source: "ls -l \(path)"))
                if let gone = missingDirectory(path, facts: facts) {
                    evidence.append(Evidence(kind: .file, text: "its directory \(gone) does not exist either", source: "namei -l \(path)"))
                }
            }
            if let listener = RouteWording.listenerEvidence(state, facts: facts), deletedUnder != nil || !failingNow {
                evidence.append(listener)
            }
            if let probe = state.failedProbe ?? state.responded { evidence.append(RouteWording.probeEvidence(probe)) }
            evidence += RouteWording.proxyProbeEvidence(routes, facts: facts)
            evidence += RouteWording.logEvidence(events, facts: facts)
            if failingNow, deletedUnder == nil { evidence.append(RouteWording.appServersEvidence(facts)) }

            let phrase = RouteWording.routesPhrase(routes)
            let summary: String
            var fix: [String]
            if let app = deletedUnder {
                summary = "unix socket \(path) (\(phrase)) was deleted while \(app.label) still listens on it: nothing can connect"
                fix = ["Restart \(app.kind) (pid \(app.masterPID)) so it creates the socket again: systemctl restart <your app service>",
                       "Find what removed it (a cleanup job, systemd-tmpfiles, a deploy script) so it does not happen again"]
            } else if failingNow {
                summary = "unix socket \(path) does not exist (\(phrase), \(route.directive) at \(route.source)); no app server binds it"
                fix = ["\(RouteWording.startAppServer); it creates \(path)", RouteWording.readAppLog]
                if let hint = runtimeDirectoryHint(path) { fix.append(hint) }
            } else {
                let count = RouteWording.windowCount(events, facts: facts)
                summary = "\(RouteWording.proxyName(use.routes)) found no unix socket at \(path) for \(phrase) (\(count) time\(count == 1 ? "" : "s"))" + timeline.qualifier
                fix = timeline.recovered
                    ? ["It is back: find out why it was missing around \(timeline.lastClock ?? "then") (app server stopped or restarted, a reboot)"]
                    : ["Check it exists and answers: ls -l \(path); \(RouteWording.probeCommand(use.endpoint, for: use.routes))"]
                if let hint = runtimeDirectoryHint(path) { fix.append(hint) }
            }
            return Finding(check: id, layer: layer, severity: timeline.severity, summary: summary, route: route.label,
                           evidence: evidence, fix: fix)
        }
    }

    /// The first directory on the way that the worker user's walk found missing.
    private func missingDirectory(_ path: String, facts: Facts) -> String? {
        guard let walk = facts.socketAccess.first(where: { $0.socketPath == path }) else { return nil }
        return walk.steps.dropLast().first { $0.kind == "missing" }?.path
            ?? walk.steps.first { $0.kind == "missing" && $0.path != path }?.path
    }

    /// /run is a tmpfs: a directory made by hand there is gone after a reboot.
    private func runtimeDirectoryHint(_ path: String) -> String? {
        for root in ["/run/", "/var/run/"] where path.hasPrefix(root) {
            let rest = path.dropFirst(root.count)
            guard let slash = rest.firstIndex(of: "/") else { return nil }
            let name = rest[..<slash]
            return "\(root)\(name) is on a tmpfs wiped at every reboot: let the app's systemd unit create it with "
                + "RuntimeDirectory=\(name) (and Group= the proxy's group, RuntimeDirectoryMode=0750) instead of making it by hand"
        }
        return nil
    }
}
