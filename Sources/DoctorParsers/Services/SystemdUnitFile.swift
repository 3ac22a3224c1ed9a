import Foundation

/// One `Key=Value` line of a unit file, with where it was written.
public struct SystemdAssignment: Sendable, Equatable {
    public var section: String
    public var key: String
    /// The value with surrounding whitespace removed and continuation lines joined
    /// (each trailing `\` becomes a space, as systemd does). Empty means "reset".
    public var value: String
    /// `file:line` of the line the assignment starts on.
    public var location: String

    public init(section: String, key: String, value: String, location: String) {
        self.section = section
        self.key = key
        self.value = value
        self.location = location
    }
}

/// A parsed unit file, or a unit file merged with its drop-ins.
///
/// Assignments are kept in the order systemd applies them; `values(_:_:)` replays
/// them the way systemd's list settings behave (an empty assignment clears what came
/// before), and `value(_:_:)` gives the effective value of a single-valued setting
/// (the last one; an empty assignment resets it to the default, i.e. `nil`).
public struct SystemdUnit: Sendable, Equatable {
    /// The files this unit was read from, the unit file first, then its drop-ins in
    /// the order they were applied.
    public var files: [String]
    public var assignments: [SystemdAssignment]
    /// Lines systemd would ignore with a warning (`file:line: reason`): text outside a
    /// section, lines without `=`, an unterminated section header.
    public var warnings: [String]

    public init(files: [String], assignments: [SystemdAssignment], warnings: [String] = []) {
        self.files = files
        self.assignments = assignments
        self.warnings = warnings
    }

    /// Section names in order of first appearance.
    public var sections: [String] {
        var seen: [String] = []
        for assignment in assignments where !seen.contains(assignment.section) {
            seen.append(assignment.section)
        }
        return seen
    }

    /// Every assignment of `key` in `section`, in order, including the empty ones.
    public func assignments(_ section: String, _ key: String) -> [SystemdAssignment] {
        assignments.filter { $0.section == section && $0.key == key }
    }

    /// The effective values of a list setting: every assignment after the last empty one.
    public func values(_ section: String, _ key: String) -> [SystemdAssignment] {
        var result: [SystemdAssignment] = []
        for assignment in assignments(section, key) {
            if assignment.value.isEmpty { result.removeAll() } else { result.append(assignment) }
        }
        return result
    }

    /// The effective value of a single-valued setting: the last assignment, `nil` when
    /// it was never set or its last assignment is empty (reset to the default).
    public func value(_ section: String, _ key: String) -> SystemdAssignment? {
        guard let last = assignments(section, key).last, !last.value.isEmpty else { return nil }
        return last
    }

    /// This unit with its drop-ins applied, in the order given.
    ///
    /// What systemd does (`man systemd.unit`, "Description" and "Example 2"): for
    /// `foo.service` it reads `foo.service.d/*.conf` (and, for `foo-bar.service`, the
    /// prefix directories `foo-.service.d/`, plus the top-level `service.d/`) in every
    /// unit search directory. Drop-ins with the same file name are masked by the one in
    /// the directory of highest precedence (/etc over /run over /usr/local/lib over
    /// /usr/lib and /lib), and a drop-in that is empty or a symlink to /dev/null
    /// masks its name entirely. The surviving drop-ins are then applied in
    /// lexicographic order of their file names, regardless of which directory each is
    /// in; all of them are applied after the unit file itself, wherever that lives.
    /// `SystemdDropIns.order(_:)` computes that order from paths; this method only
    /// appends the assignments, so resets (`ExecStart=`) take effect naturally.
    public func merging(dropIns: [SystemdUnit]) -> SystemdUnit {
        var merged = self
        for dropIn in dropIns {
            merged.files += dropIn.files
            merged.assignments += dropIn.assignments
            merged.warnings += dropIn.warnings
        }
        return merged
    }
}

/// Drop-in ordering and unit search paths of a system instance of systemd.
public enum SystemdDropIns {
    /// System unit directories, highest precedence first (systemd's lookup paths for
    /// the system manager, `man systemd.unit` "System Unit Search Path"; /lib/systemd/system
    /// is where Debian without merged /usr installs units).
    public static let searchPath = [
        "/etc/systemd/system.control", "/run/systemd/system.control", "/run/systemd/transient",
        "/run/systemd/generator.early", "/etc/systemd/system", "/etc/systemd/system.attached",
        "/run/systemd/system", "/run/systemd/system.attached", "/run/systemd/generator",
        "/usr/local/lib/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system",
        "/run/systemd/generator.late",
    ]

    /// Precedence rank of a path's unit directory: lower wins; unknown directories last.
    public static func rank(_ path: String) -> Int {
        var directory = (path as NSString).deletingLastPathComponent
        if directory.hasSuffix(".d") { directory = (directory as NSString).deletingLastPathComponent }
        return searchPath.firstIndex(of: directory) ?? searchPath.count
    }

    /// The drop-in files systemd applies, in the order it applies them: one per file
    /// name (the copy in the directory of highest precedence), sorted by file name.
    /// `masked` lists paths that are empty or symlinks to /dev/null; their name is
    /// dropped even if a lower-precedence directory has a real file of that name.
    public static func order(_ paths: [String], masked: Set<String> = []) -> [String] {
        var winner: [String: String] = [:]
        for path in paths where path.hasSuffix(".conf") {
            let name = (path as NSString).lastPathComponent
            if let current = winner[name], rank(current) <= rank(path) { continue }
            winner[name] = path
        }
        return winner.filter { !masked.contains($0.value) }
            .sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            .map(\.value)
    }
}

/// The unit file syntax of systemd (`man systemd.syntax`).
public enum SystemdUnitFile {
    /// Bytes of one logical line (after joining continuations) that are kept; systemd
    /// itself refuses lines over LONG_LINE_MAX (1 MiB).
    public static let maxLineBytes = 1 << 20

    /// Parses one unit file or drop-in. Never fails: what systemd would ignore is
    /// skipped and listed in `warnings`.
    ///
    /// Rules (systemd's `config_parse`): lines are stripped of whitespace; lines whose
    /// first character is `#` or `;` are comments (there are no trailing comments);
    /// a line ending in an odd number of `\` continues on the next one, the `\`
    /// replaced by a space, and comment lines inside a continuation are skipped;
    /// `[Section]` opens a section; `Key=Value` is split at the first `=` with
    /// whitespace around both trimmed.
    public static func parse(_ text: String, file: String) -> SystemdUnit {
        var assignments: [SystemdAssignment] = []
        var warnings: [String] = []
        var section: String?
        var pending: String?
        var pendingLine = 0
        var lineNumber = 0
        let text = text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text

        func handle(_ logical: String, line: Int) {
            let trimmed = logical.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { return }
            if trimmed.hasPrefix("[") {
                if trimmed.hasSuffix("]"), trimmed.count >= 2 {
                    section = String(trimmed.dropFirst().dropLast())
                } else {
                    warnings.append("\(file):\(line): invalid section header")
                    section = nil
                }
                return
            }
            guard let section else {
                warnings.append("\(file):\(line): assignment outside of a section")
                return
            }
            guard let equals = trimmed.firstIndex(of: "=") else {
                warnings.append("\(file):\(line): missing '='")
                return
            }
            let key = trimmed[..<equals].trimmingCharacters(in: .whitespaces)
            let value = trimmed[trimmed.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty else {
                warnings.append("\(file):\(line): empty key")
                return
            }
            assignments.append(SystemdAssignment(section: section, key: key, value: value,
                                                 location: "\(file):\(line)"))
        }

        for rawLine in serviceTextLines(text) {
            lineNumber += 1
            var line = Substring(rawLine)
            if line.hasSuffix("\r") { line = line.dropLast() }
            let stripped = line.drop { $0 == " " || $0 == "\t" }
            if pending == nil, let first = stripped.first, first == "#" || first == ";" { continue }
            if pending != nil, let first = stripped.first, first == "#" || first == ";" { continue }
            var trailing = 0
            for character in line.reversed() {
                if character == "\\" { trailing += 1 } else { break }
            }
            let continues = trailing % 2 == 1
            let body = continues ? String(line.dropLast()) + " " : String(line)
            if pending == nil {
                pendingLine = lineNumber
                pending = body
            } else {
                pending! += body
            }
            if pending!.utf8.count > maxLineBytes {
                warnings.append("\(file):\(pendingLine): line too long, ignored")
                pending = nil
                continue
            }
            if !continues {
                handle(pending!, line: pendingLine)
                pending = nil
            }
        }
        if let pending { handle(pending, line: pendingLine) }
        return SystemdUnit(files: [file], assignments: assignments, warnings: warnings)
    }
}

/// Lines of a text, split at `\n` and at `\r\n` (which Swift treats as one Character,
/// so `split(separator: "\n")` would not split a CRLF file at all).
func serviceTextLines(_ text: String) -> [Substring] {
    text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
}
