import DoctorFacts
import DoctorHost
import Foundation

/// What `gwdoctor gate` will do, decided before anything changes: which deploy root and
/// release, the switch (a `RollbackPlan` whose target is the new release: the same link,
/// services and routes a rollback would use), and the probes that must succeed.
public struct GatePlan: Sendable {
    /// `--release DIR`, as given (made absolute).
    public var releaseDirectory: String
    /// The switch forward: `target` is the new release, `from` the one that runs now.
    public var forward: RollbackPlan
    public var probes: [GateRouteProbe]
    public var path: String
    public var successes: Int
    /// Why the gate will not switch (nothing has changed then).
    public var refusal: String?
    public var notes: [String]

    public init(releaseDirectory: String, forward: RollbackPlan, probes: [GateRouteProbe], path: String, successes: Int,
                refusal: String?, notes: [String]) {
        self.releaseDirectory = releaseDirectory
        self.forward = forward
        self.probes = probes
        self.path = path
        self.successes = successes
        self.refusal = refusal
        self.notes = notes
    }

    public var newRelease: String? { forward.target?.id }
    public var oldRelease: String? { forward.from }

    /// The plan as text.
    public func render(timeout: Duration) -> String {
        var lines = ["Gate for \(releaseDirectory)"]
        if refusal == nil || forward.target != nil {
            lines.append("  root: \(forward.root)")
            lines.append("  current: \(forward.link) → \(forward.previousLinkTarget ?? "?")" + (oldRelease.map { " (release \($0))" } ?? ""))
            if let target = forward.newLinkTarget { lines.append("  switch to: \(target)" + (newRelease.map { " (release \($0))" } ?? "")) }
            for service in forward.services {
                lines.append("  restart: \(service.key)" + (service.command(forState: service.state).map { " (\($0.argv.joined(separator: " ")))" } ?? ""))
            }
            lines.append("  healthy when: \(successes) consecutive probe rounds answer 2xx at \(path), directly then through the proxy, "
                + "within \(timeout.components.seconds)s")
            for probe in probes {
                let direct = probe.direct.map { "\($0.endpoint)" }.joined(separator: ", ")
                let via = probe.viaProxy.map { "\($0.endpoint) \($0.path)" } ?? "not probed"
                lines.append("    \(probe.route): direct \(direct.isEmpty ? "not probed" : direct); via proxy \(via)")
                for note in probe.notes { lines.append("      note: \(note)") }
            }
            lines.append("  otherwise: diagnose, switch back to \(forward.previousLinkTarget ?? "?") (unless the schema guard forbids it), "
                + "restart, verify, mark the new release bad")
        }
        if let refusal { lines.append("Cannot gate: \(refusal)") }
        for note in notes { lines.append("Note: \(note)") }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// Builds a `GatePlan`: finds the deploy root `DIR` belongs to (`ROOT/releases/ID` of a root
/// found from what runs), and reuses `RollbackPlanner` with `--to ID` for the switch, the
/// services and the routes. Refuses when `DIR` is not a release of a deploy root gwdoctor can
/// see, is the current release, is marked bad or incomplete, or no route reaches its services
/// (the gate could not tell whether it works). Reads only.
public struct GatePlanner: Sendable {
    public let host: any DoctorHost.Host
    public let facts: Facts

    public init(host: any DoctorHost.Host, facts: Facts) {
        self.host = host
        self.facts = facts
    }

    public func plan(releaseDirectory raw: String, rootDirectory: String?, path: String, successes: Int) async -> GatePlan {
        let directory = Self.normalise(raw)
        func refused(_ reason: String, root: String = "?") -> GatePlan {
            GatePlan(releaseDirectory: directory, forward: RollbackPlanner.refused(root: root, reason), probes: [], path: path,
                     successes: successes, refusal: reason, notes: [])
        }
        guard path.hasPrefix("/"), !path.contains(where: { $0 == " " || $0.isNewline }) else {
            return refused("--path must be an absolute URL path without spaces (got \(path))")
        }
        guard let (layout, id) = Self.locate(directory, in: facts.releases, rootDirectory: rootDirectory.map(Self.normalise)) else {
            let roots = facts.releases.map(\.root)
            return refused("\(directory) is not ROOT/releases/ID of a deploy root found from what runs ("
                + (roots.isEmpty ? "none found" : roots.joined(separator: ", ")) + (rootDirectory.map { "; --root-dir \($0)" } ?? "") + ")")
        }
        // The schema question is about the release switched *to*: a deploy moves forward, so the
        // gate asks it only before switching back (GateExecutor), and does not run the reader here.
        var forward = await RollbackPlanner(host: host, facts: facts)
            .plan(requested: id, rootDirectory: layout.root, schema: .skip("a deploy moves forward; checked only before switching back"))
        var notes = forward.notes
        forward.notes = []
        if layout.current.release == nil || forward.previousLinkTarget == nil {
            return refused("\(layout.current.path) does not point at a release: there would be nothing to switch back to", root: layout.root)
        }
        let binds = layout.services.flatMap(\.binds) + layout.processes.flatMap(\.binds) + layout.sockets.map { .unix(path: $0.path) }
        let probes = GateProbePlanner.plan(facts: facts, routes: forward.routes, binds: binds, path: path)
        var refusal = forward.refusal.map { reason in
            reason.hasPrefix("release \(id) cannot be the target: it is the current release")
                ? "release \(id) is already current: nothing to switch (gate deploys a new release)" : reason
        }
        if refusal == nil, probes.filter(\.isProbeable).isEmpty {
            refusal = "no route of the proxy reaches the services of \(layout.root): the gate could not tell whether release \(id) works"
        }
        if facts.releases.count > 1 { notes.append("other deploy roots, left alone: " + facts.releases.map(\.root).filter { $0 != layout.root }.joined(separator: ", ")) }
        return GatePlan(releaseDirectory: directory, forward: forward, probes: probes, path: path, successes: max(1, successes),
                        refusal: refusal, notes: notes)
    }

    static func normalise(_ path: String) -> String {
        var path = path
        while path.count > 1, path.hasSuffix("/") { path.removeLast() }
        return path
    }

    /// The layout whose `releases/` holds `directory`, and the release id: by the path as given,
    /// else with symlinks resolved on both sides (`/srv/app` may be a link to `/data/app`).
    static func locate(_ directory: String, in layouts: [ReleaseLayout], rootDirectory: String?) -> (ReleaseLayout, String)? {
        let candidates = layouts.filter { rootDirectory == nil || $0.root == rootDirectory }
        let resolved = URL(fileURLWithPath: directory).resolvingSymlinksInPath().path
        for layout in candidates {
            for releases in [layout.releasesDirectory, URL(fileURLWithPath: layout.releasesDirectory).resolvingSymlinksInPath().path] {
                for path in [directory, resolved] where path.hasPrefix(releases + "/") {
                    let id = String(path.dropFirst(releases.count + 1))
                    if !id.isEmpty, !id.contains("/"), id != ".", id != ".." { return (layout, id) }
                }
            }
        }
        return nil
    }
}
