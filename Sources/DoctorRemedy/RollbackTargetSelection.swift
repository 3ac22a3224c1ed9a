import DoctorFacts

/// A release the rollback passed over, and why.
public struct SkippedRelease: Hashable, Sendable {
    public var id: String
    public var reason: String

    public init(id: String, reason: String) {
        self.id = id
        self.reason = reason
    }
}

/// Which release `gwdoctor rollback` goes to: `--to ID`, else the newest release older than
/// the current one that is a real directory, not marked bad (`ReleaseBadMark`), and complete
/// (holds every path the current release is required to hold: manage.py, the WSGI module,
/// the virtualenv's executables). Never a newer release: rolling "back" forward is a deploy.
///
/// Pure: `incomplete` (release id → what it lacks) is stat'ed by the planner through Host.
public enum RollbackTargetSelection {
    public struct Outcome: Hashable, Sendable {
        public var target: ReleaseEntry?
        public var skipped: [SkippedRelease]
        /// Why there is no target (or why the link cannot be switched).
        public var refusal: String?
    }

    public static func select(layout: ReleaseLayout, requested: String?, incomplete: [String: String]) -> Outcome {
        switch layout.current.state {
        case .directory:
            return Outcome(target: nil, skipped: [], refusal: "\(layout.current.path) is a directory, not a symlink: "
                + "there is no link to switch (this deploy copies releases)")
        case .missing:
            return Outcome(target: nil, skipped: [], refusal: "\(layout.current.path) does not exist")
        case .unreadable:
            return Outcome(target: nil, skipped: [], refusal: "\(layout.current.path) cannot be read (\(layout.current.reason ?? "unknown reason"))")
        case .release, .dangling, .loop, .elsewhere, .notADirectory:
            break
        }
        let current = layout.current.release
        if let requested {
            guard let entry = layout.releases.first(where: { $0.id == requested }) else {
                return Outcome(target: nil, skipped: [], refusal: "release \(requested) is not in \(layout.releasesDirectory)")
            }
            if let reason = unusable(entry, current: current, incomplete: incomplete) {
                return Outcome(target: nil, skipped: [SkippedRelease(id: requested, reason: reason)],
                               refusal: "release \(requested) cannot be the target: \(reason)")
            }
            return Outcome(target: entry, skipped: [], refusal: nil)
        }
        let older: [ReleaseEntry]
        if let current, let index = layout.releases.firstIndex(where: { $0.id == current }) {
            older = Array(layout.releases[(index + 1)...])
        } else if let current {
            older = layout.releases.filter { ReleaseEntry.isOlder($0.id, than: current) }
        } else {
            older = layout.releases
        }
        var skipped: [SkippedRelease] = []
        for entry in older {
            if let reason = unusable(entry, current: current, incomplete: incomplete) {
                skipped.append(SkippedRelease(id: entry.id, reason: reason))
                continue
            }
            return Outcome(target: entry, skipped: skipped, refusal: nil)
        }
        let what = current.map { "older than release \($0)" } ?? "to go to"
        return Outcome(target: nil, skipped: skipped,
                       refusal: "no usable release \(what)" + (skipped.isEmpty ? "" : " (every one was skipped)"))
    }

    /// Why `entry` cannot be rolled back to; `nil` when it can.
    static func unusable(_ entry: ReleaseEntry, current: String?, incomplete: [String: String]) -> String? {
        if entry.id == current { return "it is the current release" }
        if entry.kind != .directory { return "not a directory (\(entry.kind.rawValue))" }
        if let mark = entry.badMark {
            return "marked bad\(mark.markedAt.isEmpty ? "" : " at \(mark.markedAt)"): \(mark.reason) (\(entry.path)/\(ReleaseBadMark.fileName))"
        }
        if let lacks = incomplete[entry.id] { return "incomplete: \(lacks)" }
        return nil
    }
}
