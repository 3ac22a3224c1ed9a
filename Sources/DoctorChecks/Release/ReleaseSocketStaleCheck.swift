import DoctorFacts

/// `release-socket-stale`: a unix socket that belongs to an older release. Either an app
/// server from an older release still listens on a socket inside its release directory
/// while the route reaches it through `ROOT/current` (switched since: nginx now resolves the
/// path into the new release, where no socket is — ENOENT, 502), or a socket file left in an
/// old release by a process that is gone is what a route targets. Keep sockets in
/// `shared/` or /run, never in a release. It explains `socket-missing` and `socket-stale`
/// for the same route, which only see the path; `release-not-restarted` is the broader
/// "old process" warning.
public struct ReleaseSocketStaleCheck: Check {
    public init() {}

    public let id = "release-socket-stale"
    public let title = "A unix socket belongs to an older release"
    public let layer = Layer.release
    public let rationale = """
        A socket inside ROOT/releases/<id>/ ties the app to one release. After current is switched, a path \
        through current leads into the new release while the running app server (started from the old one) \
        still listens on the old release's file; or a dead process left its socket in an old release that a \
        route still targets. nginx gets ENOENT or ECONNREFUSED; the listener table still shows the path.
        """
    public let fixText = """
        Restart only the app service so it binds in the current release; better, move the socket to \
        ROOT/shared/ or /run/<app>/ (gunicorn --bind unix:/run/app/gunicorn.sock) and point the proxy there.
        """
    public let precedence = 3
    public var explains: Set<String> { ["socket-missing", "socket-stale", "target-mismatch"] }

    public func run(_ facts: Facts) -> [Finding] {
        var findings: [Finding] = []
        for layout in facts.releases {
            guard let current = layout.current.release else { continue }
            for socket in layout.sockets {
                let olderHolders = socket.holderReleases.filter { $0 != current }
                let route = facts.routes.first { $0.target.endpoints.contains(.unix(path: socket.path)) } ?? layout.route(in: facts)
                var evidence = [layout.linkEvidence]
                let severity: Severity
                let summary: String
                if !olderHolders.isEmpty {
                    let holders = layout.processes.filter { process in socket.holders.contains(process.pid) || olderHolders.contains(process.release ?? "") }
                    for process in holders {
                        evidence.append(Evidence(kind: .process, text: "\(process.label) runs from release \(process.release ?? "?"): \(process.evidence ?? "")",
                                                 source: "readlink /proc/\(process.pid)/cwd"))
                    }
                    evidence.append(Evidence(kind: .listener, text: "listening on \(socket.path) (pids \(socket.holders.map(String.init).joined(separator: ", ")))",
                                             source: "ss -lxp | grep \(socket.path)"))
                    let throughCurrent = socket.path.hasPrefix(layout.current.path + "/")
                    if throughCurrent {
                        evidence.append(Evidence(kind: .file, text: "\(socket.path) now resolves to \(socket.realPath): \(socket.kind == .missing ? "no such file" : socket.kind.rawValue)",
                                                 source: "ls -lL \(socket.path)"))
                        severity = socket.routed && socket.kind != .unknown ? .critical : .warning
                        summary = "\(socket.path) is held by an app server from release \(olderHolders.joined(separator: ", ")), but \(layout.current.path) now points at release \(current)"
                            + (socket.kind == .socket ? "" : ", where no socket is: the proxy cannot reach it")
                    } else {
                        severity = .warning
                        summary = "\(socket.path) lies in release \(socket.release ?? olderHolders[0]), not the current release \(current): the app and \(socket.routed ? "the route are" : "its socket is") pinned to an old release"
                    }
                } else if let release = socket.release, release != current, socket.holders.isEmpty, socket.kind == .socket {
                    evidence.append(Evidence(kind: .file, text: "\(socket.realPath): a socket file nobody listens on, in release \(release)",
                                             source: "ss -lxp | grep \(socket.path)"))
                    severity = socket.routed ? .critical : .warning
                    summary = "\(socket.path) was left in release \(release) by a process that is gone"
                        + (socket.routed ? "; the route still targets it" : "")
                } else {
                    continue
                }
                evidence.append(layout.releasesEvidence)
                var fix = layout.restartSteps.map { ServiceRestart.step($0, first: true, why: "so it binds in release \(current)") }
                fix.append("Keep the socket out of releases: bind under \(layout.root)/shared/ or /run/<app>/ and point the proxy there (test the config, then reload)")
                findings.append(Finding(check: id, layer: layer, severity: severity, summary: summary, route: route?.label,
                                        evidence: evidence, fix: fix))
            }
        }
        return findings
    }
}
