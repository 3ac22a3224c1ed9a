import DoctorFacts

/// `release-partial`: `ROOT/current` points at a release that lacks what the app needs to
/// boot — `manage.py`, the WSGI/ASGI module the app server loads, or the virtualenv
/// interpreter the service runs (when the venv lives in the release). An interrupted
/// upload, a build step that failed after the switch, a wrong `rsync --exclude`. The app
/// server then dies on boot (`ModuleNotFoundError: No module named 'app.wsgi'`): this check
/// names the release and the missing path, and explains the `app-startup-crash` it causes.
/// Differs from `release-current-dangling` (no release at all) and `release-venv-stale`
/// (the venv exists but predates the requirements).
public struct ReleasePartialCheck: Check {
    public init() {}

    public let id = "release-partial"
    public let title = "The current release is incomplete"
    public let layer = Layer.release
    public let rationale = """
        A deploy switched ROOT/current to a release that misses files the app needs: manage.py, the \
        WSGI/ASGI module the app server loads, or the virtualenv interpreter the service runs. The app \
        server crashes on boot (ModuleNotFoundError, "can't find command"), nginx answers 502. The boot \
        crash is the symptom; the release is the cause, and the previous release is the quick way back.
        """
    public let fixText = """
        Switch current back to the previous complete release atomically (cd ROOT && ln -sfn releases/<previous> \
        current.tmp && mv -T current.tmp current), restart only the app service, then redeploy the broken release.
        """
    public let precedence = 2
    public var explains: Set<String> { ReleaseExplains.symptoms }

    public func run(_ facts: Facts) -> [Finding] {
        facts.releases.compactMap { layout in
            guard layout.current.state == .release, let contents = layout.currentContents, !contents.missing.isEmpty else { return nil }
            let missing = contents.missing
            let route = layout.route(in: facts)
            let fromCurrent = layout.processes.contains { $0.release == contents.release }
            let serving = layout.isServing(in: facts)
            var evidence = [layout.linkEvidence]
            for requirement in missing {
                evidence.append(Evidence(kind: .file, text: "missing: \(requirement.path) (\(requirement.what); \(requirement.reason))",
                                         source: "ls -l \(requirement.path)"))
            }
            for present in contents.required where present.kind != .missing && present.kind != .unknown {
                evidence.append(Evidence(kind: .file, text: "present: \(present.path)", source: "ls -l \(present.path)"))
            }
            evidence += layout.serviceEvidence
            evidence.append(layout.releasesEvidence)
            let names = missing.map { ($0.path.hasPrefix(contents.path + "/") ? String($0.path.dropFirst(contents.path.count + 1)) : $0.path) }
            var summary = "\(layout.current.path) points at release \(contents.release), which lacks \(names.joined(separator: ", "))"
            // manage.py is not needed to serve: without it only migrate/collectstatic fail,
            // so it alone never makes the release the cause of an outage.
            let bootCritical = missing.contains { $0.what != "manage.py" }
            let severity: Severity
            if serving {
                // Still up (booted before the switch, or before the files went): fine until
                // the next restart, which will fail.
                severity = .warning
                summary += fromCurrent ? "; the app runs now, but its next restart will fail"
                    : "; the app still runs from an older release, and its next restart will fail"
            } else {
                severity = route != nil && bootCritical ? .critical : .warning
            }
            var fix: [String] = []
            if let previous = layout.previousRelease(before: contents.release) {
                fix.append("Switch back to release \(previous.id) atomically: \(layout.relinkCommand(to: previous.id))")
            }
            fix += layout.restartSteps.map { ServiceRestart.step($0) }
            fix.append("Redeploy release \(contents.release) completely (it lacks \(names.joined(separator: ", "))) before switching to it again")
            return Finding(check: id, layer: layer, severity: severity, summary: summary, route: route?.label,
                           evidence: evidence, fix: fix)
        }
    }
}
