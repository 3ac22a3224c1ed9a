import DoctorFacts

/// `release-not-restarted`: `ROOT/current` was switched to another release, but a running
/// app server still runs from the one it booted from — deployed but not restarted. Its
/// `/proc/PID/cwd` is the resolved old release directory, whatever path it was started
/// with. The site works, on old code; modules imported later may come from the new release
/// through `current`, mixing the two. A warning, not an outage; differs from
/// `release-partial`/`release-current-dangling`, where the release itself is broken.
public struct ReleaseNotRestartedCheck: Check {
    public init() {}

    public let id = "release-not-restarted"
    public let title = "Deployed but not restarted: the app runs from an older release"
    public let layer = Layer.release
    public let rationale = """
        A deploy switched ROOT/current but did not restart (or only HUP'ed) the app server: its working \
        directory (/proc/PID/cwd, resolved by the kernel) is still the previous release. Users get the old \
        code, migrations of the new release may already be applied, and the next crash or reboot switches \
        code unannounced.
        """
    public let fixText = """
        Restart only the app service (supervisorctl restart NAME / systemctl restart UNIT) so it starts in \
        the new release; a HUP keeps the master's working directory.
        """
    public let precedence = 10

    public func run(_ facts: Facts) -> [Finding] {
        facts.releases.compactMap { layout in
            guard layout.current.state == .release, let current = layout.current.release else { return nil }
            let stale = layout.processes.filter { $0.release != nil && $0.release != current }
            guard !stale.isEmpty else { return nil }
            var evidence = [layout.linkEvidence]
            for process in stale {
                evidence.append(Evidence(kind: .process, text: "\(process.label) runs from release \(process.release ?? "?"): \(process.evidence ?? "")",
                                         source: "readlink /proc/\(process.pid)/cwd"))
            }
            evidence += layout.serviceEvidence
            let olds = Array(Set(stale.compactMap(\.release))).sorted()
            let summary = "\(stale.map(\.label).joined(separator: ", ")) still \(stale.count == 1 ? "runs" : "run") from release \(olds.joined(separator: ", ")) "
                + "while \(layout.current.path) points at release \(current): deployed but not restarted"
            var fix = layout.restartSteps.map { ServiceRestart.step($0, first: true, why: "so it starts in release \(current)") }
            if layout.currentContents.map({ !$0.missing.isEmpty }) == true {
                fix.insert("Release \(current) is incomplete (see release-partial): fix or switch current back before restarting", at: 0)
            }
            fix.append("Make the deploy restart the app service after switching current (a HUP keeps the old working directory)")
            return Finding(check: id, layer: layer, severity: .warning, summary: summary, route: layout.route(in: facts)?.label,
                           evidence: evidence, fix: fix)
        }
    }
}
