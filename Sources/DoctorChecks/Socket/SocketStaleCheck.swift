import DoctorFacts

/// `socket-stale`: the unix socket file exists but nothing listens on it: the app server
/// died without removing it (`kill -9`, a crash, uWSGI without `--vacuum`). nginx logs
/// `connect() to unix:/P failed (111: Connection refused)`. Also fires when something
/// other than a socket sits at the path (a regular file or directory), which no server
/// can listen on. When an app server binds another path, `target-mismatch` reports it.
public struct SocketStaleCheck: Check {
    public init() {}

    public let id = "socket-stale"
    public let title = "The unix socket file exists but nothing listens on it"
    public let layer = Layer.socket
    public let rationale = """
        A socket file outlives the process that created it when that process is killed (kill -9, \
        OOM, a crash) or, for uWSGI, exits without --vacuum. Connecting to it is refused \
        (`(111: Connection refused)` on `unix:`), so every request is a 502, while `ls` shows a \
        socket that looks fine. No unix listener holds the path (ss -lxp), and a direct probe is \
        refused. When an app server runs but binds another path, that is target-mismatch instead. \
        Critical when it is refused now; a warning when only earlier log lines say so.
        """
    public let fixText = """
        Nothing serves the socket: start or restart the app server; it replaces the file. Remove a \
        stale file yourself only while the service is stopped.
        """
    public let precedence = 41

    private static let notSockets: Set<FileKind> = [.regular, .directory, .fifo, .other]

    public func run(_ facts: Facts) -> [Finding] {
        facts.unixTargets().compactMap { use in
            guard case let .unix(path) = use.endpoint, let route = use.firstRoute else { return nil }
            let state = facts.state(of: use.endpoint)
            let events = facts.failureEvents([.refused], at: use.endpoint)
            let notSocket = state.fileKind.map { Self.notSockets.contains($0) } ?? false
            let failingNow = state.responded == nil
                && (state.failure == .refused || notSocket || (!state.probed && state.listening == false && state.fileKind == .socket))
            if failingNow && !notSocket {
                if facts.mismatchCandidate(for: use.endpoint) != nil { return nil }
                // It names this path but does not listen yet: booting or crash-looping.
                if !facts.appServersBinding(use.endpoint).isEmpty { return nil }
            } else if !failingNow, !state.servingNow, facts.mismatchCandidate(for: use.endpoint) != nil {
                return nil
            }
            let routes = use.allRoutes
            let nowNote = state.servingNow ? "it answers now" : "could not check now: \(unknownNowReason(state, facts: facts))"
            let timeline = FailureTimeline(failingNow: failingNow, events: events,
                                           recovered: facts.probesProveWorking([use.endpoint], routes: routes),
                                           nowNote: nowNote, gatheredAt: facts.gatheredAt)
            guard timeline.fires else { return nil }

            var evidence = RouteWording.useEvidence(use)
            if let kind = state.fileKind, kind != .missing, kind != .unknown {
                let text = notSocket ? "\(path) is a \(kind.rawValue) file, not a socket" : "\(path) exists and is a socket file"
                evidence.append(Evidence(kind: .file, text: text, source: "ls -l \(path)"))
            }
            if let listener = RouteWording.listenerEvidence(state, facts: facts) { evidence.append(listener) }
            if let probe = state.failedProbe ?? state.responded { evidence.append(RouteWording.probeEvidence(probe)) }
            evidence += RouteWording.proxyProbeEvidence(routes, facts: facts)
            evidence += RouteWording.logEvidence(events, facts: facts)
            if failingNow { evidence.append(RouteWording.appServersEvidence(facts)) }

            let phrase = RouteWording.routesPhrase(routes)
            let summary: String
            var fix: [String]
            if notSocket, let kind = state.fileKind {
                summary = "\(path) is a \(kind.rawValue), not a socket (\(phrase), \(route.directive) at \(route.source)): nothing can listen there"
                fix = ["Stop the app server, move the file away (mv \(path) \(path).bak), then start the app server so it creates the socket",
                       "Find what wrote a \(kind.rawValue) there (a deploy script, a mistyped path in another service)"]
            } else if failingNow {
                summary = "unix socket \(path) exists but nothing listens on it (\(phrase), \(route.directive) at \(route.source)): a stale file left by a crash or kill -9"
                fix = ["Nothing serves \(path): start or restart the app server (systemctl restart <your app service>); it replaces the stale file",
                       "Remove the file by hand only while the service is stopped: rm \(path)",
                       "uWSGI leaves its socket behind on every exit unless it runs with --vacuum",
                       RouteWording.readAppLog]
            } else {
                let count = RouteWording.windowCount(events, facts: facts)
                summary = "\(RouteWording.proxyName(use.routes)) was refused by unix socket \(path) for \(phrase) (\(count) time\(count == 1 ? "" : "s"))" + timeline.qualifier
                fix = timeline.recovered
                    ? ["It answers now: find out why the app server was gone around \(timeline.lastClock ?? "then") (killed, crashed, restarted)"]
                    : ["Check it answers now: \(RouteWording.probeCommand(use.endpoint, for: use.routes)); if refused, restart the app server"]
            }
            return Finding(check: id, layer: layer, severity: timeline.severity, summary: summary, route: route.label,
                           evidence: evidence, fix: fix)
        }
    }
}
