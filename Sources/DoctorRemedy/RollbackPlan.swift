import DoctorFacts
import DoctorHost

/// A service running from the deploy root that the rollback restarts after the switch.
public struct RollbackService: Hashable, Sendable {
    /// `supervisor`, `systemd`, `none`.
    public var manager: String
    public var name: String
    /// `supervisorctl -c CONF restart app` / `systemctl restart -- app.service`; `nil` when
    /// gwdoctor has no safe way to restart it (a bare process, an unknown supervisord config).
    public var restart: AllowedCommand?
    /// The same with `start`, for a supervisord program that is not running (FATAL, STOPPED,
    /// EXITED): `supervisorctl restart` of one reports `ERROR (not running)` for its stop half.
    public var start: AllowedCommand?
    /// The manager's state word when the plan was made.
    public var state: String?
    /// Why `restart` is `nil`.
    public var problem: String?

    public init(manager: String, name: String, restart: AllowedCommand?, start: AllowedCommand? = nil, state: String? = nil,
                problem: String? = nil) {
        self.manager = manager
        self.name = name
        self.restart = restart
        self.start = start
        self.state = state
        self.problem = problem
    }

    /// The command for a service in `state`: `start` for a supervisord program that is down, else `restart`.
    public func command(forState state: String?) -> AllowedCommand? {
        if manager == "supervisor", let state, ["FATAL", "STOPPED", "EXITED"].contains(state), let start { return start }
        return restart
    }

    /// `supervisor:app`, the key the audit log and the restart budget use.
    public var key: String { "\(manager):\(name)" }
}

/// What `gwdoctor rollback` would do, shown before anything runs: which root, from which
/// release to which (and which it skipped), the link it writes, the services it restarts,
/// the routes it verifies, and the schema guard's verdict.
public struct RollbackPlan: Sendable {
    public var root: String
    public var link: String
    /// The link's target as stored now (`releases/2`), to switch back to on failure.
    public var previousLinkTarget: String?
    /// The release `current` points at now.
    public var from: String?
    public var target: ReleaseEntry?
    /// What to write into the link: the same style (relative or absolute) as the old one.
    public var newLinkTarget: String?
    public var skipped: [SkippedRelease]
    public var services: [RollbackService]
    /// `Route.label`s served from this root (verified after the switch); empty: every route.
    public var routes: [String]
    public var schema: SchemaVerdict
    /// Set when the plan cannot be applied (no target, a link that is not a symlink, no
    /// service to restart); the schema guard's refusal is separate (`--force-schema` lifts it).
    public var refusal: String?
    /// Facts worth saying (other roots, not compared apps, how the applied set was read).
    public var notes: [String]

    public init(root: String, link: String, previousLinkTarget: String?, from: String?, target: ReleaseEntry?,
                newLinkTarget: String?, skipped: [SkippedRelease], services: [RollbackService], routes: [String],
                schema: SchemaVerdict, refusal: String?, notes: [String]) {
        self.root = root
        self.link = link
        self.previousLinkTarget = previousLinkTarget
        self.from = from
        self.target = target
        self.newLinkTarget = newLinkTarget
        self.skipped = skipped
        self.services = services
        self.routes = routes
        self.schema = schema
        self.refusal = refusal
        self.notes = notes
    }

    /// Whether `--apply` may carry it out (`forceSchema`: the operator took the schema risk).
    public func isApplicable(forceSchema: Bool) -> Bool {
        refusal == nil && target != nil && (schema.allowsRollback || forceSchema)
    }

    /// The plan as text, one step a line.
    public func render(forceSchema: Bool) -> String {
        var lines: [String] = []
        if previousLinkTarget != nil || target != nil {
            lines.append("Rollback plan for \(root)")
            lines.append("  current: \(link) → \(previousLinkTarget ?? "?")" + (from.map { " (release \($0))" } ?? ""))
        }
        for skip in skipped { lines.append("  skip release \(skip.id): \(skip.reason)") }
        if let target, let newLinkTarget {
            lines.append("  target: release \(target.id) (\(target.path))")
            lines.append("")
            lines.append("Schema guard: \(schema.decision.rawValue) — \(schema.reason)")
            if let source = schema.source { lines.append("  read from: \(source)") }
            for migration in schema.unknownToTarget {
                lines.append("  - \(migration.summary)" + (migration.file.map { "\n      \($0)" } ?? ""))
            }
            if !schema.notCompared.isEmpty {
                lines.append("  not compared (migrations from installed packages, not in either release): "
                    + schema.notCompared.joined(separator: ", "))
            }
            if !schema.allowsRollback {
                if forceSchema {
                    lines.append("  --force-schema: going ahead anyway; the target release will run on a schema it does not know")
                } else if schema.undo.isEmpty {
                    lines.append("  refusing. Pass --force-schema to roll back anyway.")
                } else {
                    let blocked = schema.unknownToTarget.contains { $0.reversible == false }
                    lines.append("  refusing. Pass --force-schema to roll back anyway, or first undo them with the current release "
                        + "(the app's interpreter, settings and environment)"
                        + (blocked ? "; Django refuses to unapply an irreversible one until it has a reverse:" : ":"))
                    for command in schema.undo { lines.append("    \(command)") }
                }
            }
            lines.append("")
            lines.append("Steps:")
            var number = 1
            lines.append("  \(number). switch \(link) → \(newLinkTarget) (new symlink beside it, rename(2) over it)")
            for service in services {
                number += 1
                if let command = service.command(forState: service.state) {
                    lines.append("  \(number). restart \(service.key): \(command.argv.joined(separator: " "))")
                } else {
                    lines.append("  \(number). cannot restart \(service.key): \(service.problem ?? "no allow-listed command")")
                }
            }
            number += 1
            lines.append("  \(number). verify " + (routes.isEmpty ? "every route" : routes.joined(separator: ", "))
                + " directly, then through the proxy")
            lines.append("     on failure: switch \(link) back to \(previousLinkTarget ?? "?"), restart again, verify")
            if let from {
                number += 1
                lines.append("  \(number). mark release \(from) bad (\(root)/releases/\(from)/\(ReleaseBadMark.fileName))")
            }
        }
        if let refusal { lines.append("Cannot roll back: \(refusal)") }
        for note in notes { lines.append("Note: \(note)") }
        return lines.joined(separator: "\n") + "\n"
    }
}
