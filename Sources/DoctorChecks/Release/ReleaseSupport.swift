import DoctorFacts
import Foundation

/// What the release checks share: the route a deploy root serves, the services to restart,
/// the rollback command, and evidence lines for the link and the releases.
extension ReleaseLayout {
    /// Every address the root's services and processes bind, and its sockets.
    var endpoints: [Endpoint] {
        services.flatMap(\.binds) + processes.flatMap(\.binds) + sockets.map { .unix(path: $0.path) }
    }

    /// The first route whose target is one of this root's addresses (the 502 this root explains).
    func route(in facts: Facts) -> Route? {
        let mine = endpoints
        return facts.routes.first { route in
            route.target.endpoints.contains { target in mine.contains { Facts.listener($0, accepts: target) || $0 == target } }
        }
    }

    /// Is something of this root serving now: a running service, or a process listening on a bind.
    func isServing(in facts: Facts) -> Bool {
        if services.contains(where: \.isRunning) { return true }
        return processes.contains { process in process.binds.contains { !facts.listeners(for: $0).isEmpty } }
    }

    /// `cd ROOT && ln -sfn releases/ID current.tmp && mv -T current.tmp current`: an atomic
    /// switch (rename(2) replaces the link in one step; `ln -sfn` alone unlinks first).
    func relinkCommand(to id: String) -> String {
        "cd \(root) && ln -sfn releases/\(id) current.tmp && mv -T current.tmp current"
    }

    /// Restart only the app: each service of this root, else each process's master.
    var restartSteps: [String] {
        if !services.isEmpty { return services.map(\.restartCommand) }
        // No service of this root is known: the master itself (a full restart, not HUP: the master keeps its working directory).
        return processes.map { ServiceRestart.command(manager: "none", name: $0.label, pid: $0.pid) + " (not a HUP: the master keeps its working directory)" }
    }

    /// `readlink /srv/app/current` → `releases/2`.
    var linkEvidence: Evidence {
        let target = current.target ?? "(not a symlink)"
        var text = "\(current.path) → \(target)"
        if let resolved = current.resolved, resolved != target { text += " (\(resolved))" }
        if let switched = current.switchedAt { text += ", switched \(ReleaseTime.text(switched))" }
        return Evidence(kind: .file, text: text, source: "readlink \(current.path)")
    }

    /// `releases: 3 (newest: 3, 2, 1)`.
    var releasesEvidence: Evidence {
        if let reason = releasesUnreadable {
            return Evidence(kind: .file, text: "\(releasesDirectory) could not be listed: \(reason)", source: "ls \(releasesDirectory)")
        }
        let names = releases.prefix(5).map { entry in entry.kind == .directory ? entry.id : "\(entry.id) (\(entry.kind.rawValue))" }
        let more = (releaseCount ?? 0) > names.count ? ", …" : ""
        return Evidence(kind: .file, text: "\(releasesDirectory): \(releaseCount ?? releases.count) release(s), newest \(names.joined(separator: ", "))\(more)",
                        source: "ls -lt \(releasesDirectory)")
    }

    /// Service states, as evidence.
    var serviceEvidence: [Evidence] {
        services.map { service in
            Evidence(kind: .service, text: "\(service.manager) \(service.name): \(service.state ?? "state unknown"), runs from \(service.reference)",
                     source: service.manager == "systemd" ? "systemctl status \(service.name)" : "supervisorctl status \(service.name)")
        }
    }
}

/// Times in evidence: UTC, to the second, as `ls --full-time` would show them.
enum ReleaseTime {
    static func text(_ seconds: Double) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: Date(timeIntervalSince1970: seconds))
    }
}

/// What a broken release (dangling or partial) explains for its route: nothing listens, the
/// app crashes on boot or keeps being restarted, and the service's executable, working
/// directory or settings module is missing — all because they lie in the release.
enum ReleaseExplains {
    static let symptoms: Set<String> = ServiceFindings.explainedChecks.union([
        "app-startup-crash", "exec-missing", "working-directory-missing", "settings-module-missing",
    ])
}
