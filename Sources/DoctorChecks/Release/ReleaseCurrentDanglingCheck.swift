import DoctorFacts

/// `release-current-dangling`: `ROOT/current` points at nothing — a release directory that
/// was deleted (cleanup kept too few releases, a failed upload), a typo in the target, or a
/// link to itself. Every service started in `current` fails to start (`chdir` fails before
/// the app server runs, so its own log stays empty). Differs from `release-partial`, where
/// the release exists but lacks files, and from `socket-missing`, which only sees the
/// symptom at the socket path.
public struct ReleaseCurrentDanglingCheck: Check {
    public init() {}

    public let id = "release-current-dangling"
    public let title = "The current release symlink points at nothing"
    public let layer = Layer.release
    public let rationale = """
        Capistrano/Deployer-style deploys switch ROOT/current to the new ROOT/releases/<id>. When that \
        target does not exist (deleted by release cleanup, never uploaded, mistyped) or the link loops, \
        supervisord/systemd cannot even chdir into the app directory: nothing starts, nginx answers 502, \
        and the app server's own log is empty. readlink names the missing target.
        """
    public let fixText = """
        Point current back at a complete release atomically: cd ROOT && ln -sfn releases/<previous> current.tmp \
        && mv -T current.tmp current; then restart only the app service and probe it.
        """
    public let precedence = 1
    public var explains: Set<String> { ReleaseExplains.symptoms }

    public func run(_ facts: Facts) -> [Finding] {
        facts.releases.compactMap { layout in
            let link = layout.current
            let what: String
            switch link.state {
            case .dangling: what = "points at \(link.target ?? "?"), which does not exist"
            case .loop: what = "loops (\(link.target ?? "?") leads back to itself)"
            case .missing where !layout.services.isEmpty || layout.sockets.contains(where: { $0.path.contains("/current/") }):
                what = "does not exist, though \(layout.services.map { "\($0.manager) \($0.name)" }.first ?? "a route") runs from it"
            default: return nil
            }
            let route = layout.route(in: facts)
            let serving = layout.isServing(in: facts)
            var evidence = [layout.linkEvidence]
            if link.state == .dangling, let resolved = link.resolved {
                evidence.append(Evidence(kind: .file, text: "\(resolved): no such file or directory", source: "ls -ld \(resolved)"))
            }
            evidence.append(layout.releasesEvidence)
            evidence += layout.serviceEvidence
            let previous = layout.previousRelease(before: nil)
            var fix: [String] = []
            if let previous {
                fix.append("Point current at the newest complete release atomically: \(layout.relinkCommand(to: previous.id)) (check \(previous.path) holds the app first)")
            } else {
                fix.append("No release is left under \(layout.releasesDirectory): deploy again, or restore a release, then switch current atomically (ln -sfn … current.tmp && mv -T current.tmp current)")
            }
            fix += layout.restartSteps.map { ServiceRestart.step($0) }
            // A service still up booted before the switch; it breaks on its next restart.
            let severity: Severity = serving || route == nil ? .warning : .critical
            let summary = "\(link.path) \(what)" + (serving ? "; the app still runs from before the switch and will not restart" : "")
            return Finding(check: id, layer: layer, severity: severity, summary: summary, route: route?.label,
                           evidence: evidence, fix: fix)
        }
    }
}
