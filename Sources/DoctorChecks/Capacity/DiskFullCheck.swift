import DoctorFacts

/// `disk-full`: a filesystem the stack writes to (the proxy's logs and temp files, the
/// app's unix socket directory, its working directory, /tmp) is full or nearly full.
///
/// Thresholds (space counts what unprivileged users can still write, statvfs `f_bavail`,
/// so root's reserve does not hide a full disk):
/// - critical: nothing left, less than 1 % of the size left, or less than 50 MB left on a
///   filesystem of 1 GiB or more (small tmpfs mounts such as /run are judged by percent only);
///   or no free inode left;
/// - warning: more than 95 % used, or more than 95 % of the inodes used.
///
/// nginx's `(28: No space left on device)` lines in the window are its evidence; such lines
/// with every filesystem fine now make a warning (the disk was full, something freed it).
/// Unlike `backlog-full` or `oom-killed`, the app may be running and idle: the failure is
/// in what nothing can write.
public struct DiskFullCheck: Check {
    public init() {}

    public let id = "disk-full"
    public let title = "A filesystem the proxy or the app writes to is full"
    public let layer = Layer.capacity
    public let rationale = """
        A full disk turns into 502s in several ways: nginx buffers large upstream responses and \
        request bodies to temp files (/var/lib/nginx/proxy, client_body) and, when that write fails, \
        logs `[crit] … pwritev() "…/proxy/…" failed (28: No space left on device)` and cuts the response; \
        Django cannot store uploads in /tmp; the app's own writes (SQLite, sessions, media) fail with 500s. \
        Out of inodes (or, on disk filesystems, of directory blocks), nothing can be created: a restarted \
        Gunicorn cannot create its unix socket (`connection to /run/app.sock failed: [Errno 28] No space \
        left on device`, then `Can't connect to`) nor its workers' heartbeat files in /tmp or \
        --worker-tmp-dir, so it exits and nginx finds nothing to connect to. Space is measured as unprivileged processes see it (statvfs f_bavail). \
        Critical when nothing is left, less than 1 % is left, or less than 50 MB on a filesystem of 1 GiB \
        or more, or no inode is free; a warning above 95 % used (space or inodes). Each filesystem is \
        reported once, with what it holds for the stack.
        """
    public let fixText = """
        Find what fills it and free space yourself (gwdoctor never deletes anything): \
        `du -xh --max-depth=2 MOUNT | sort -h | tail -n 20`; vacuum the journal (`journalctl --vacuum-size=500M`); \
        rotate logs (`logrotate -f /etc/logrotate.conf`); check for deleted files still held open (`lsof +L1`). \
        Then restart the app server if it failed to boot.
        """
    public let precedence = 45
    /// A full disk is why gunicorn cannot boot (no socket, nothing listening).
    public let explains: Set<String> = ["target-not-listening", "socket-missing"]

    /// Below this share of the size left, in percent: critical.
    static let criticalAvailablePercent = 1.0
    /// Below this many bytes left on a filesystem of at least `absoluteFloorMinimumSize`: critical.
    static let criticalAvailableBytes: UInt64 = 50 * 1_000_000
    static let absoluteFloorMinimumSize: UInt64 = 1 << 30
    /// Above this share used (space or inodes), in percent: warning.
    static let warningUsedPercent = 95.0
    /// Filesystem types that are full by design (read-only images).
    static let alwaysFullTypes: Set<String> = ["squashfs", "iso9660", "udf", "erofs", "cramfs"]

    public func run(_ facts: Facts) -> [Finding] {
        let noSpace = facts.errorLogs.flatMap(\.events).filter(Self.isNoSpace)
        let full = facts.filesystems.compactMap { filesystem in Self.severity(filesystem).map { (filesystem, $0) } }
        guard !full.isEmpty else { return noSpace.isEmpty ? [] : [pastFinding(noSpace, facts: facts)] }
        // Each ENOSPC line goes to the full filesystem its path is on; lines naming no path
        // of a full filesystem go to the first (worst-placed) finding.
        func owner(_ event: ProxyLogEvent) -> Int {
            guard let path = Self.quotedPath(event.message) else { return 0 }
            let matches = full.indices.filter { full[$0].0.mountPoint.map { Self.contains($0, path) } ?? false }
            return matches.max { (full[$0].0.mountPoint?.count ?? 0) < (full[$1].0.mountPoint?.count ?? 0) } ?? 0
        }
        let owners = noSpace.map(owner)
        // An app server's own ENOSPC at boot (`[Errno 28] No space left on device` creating its
        // socket) goes to the filesystem its line names, else the first.
        let bootFailures = facts.services.flatMap { service in
            service.startupFailures.filter { Self.isNoSpace($0.decisiveLine) }.map { (service, $0) }
        }
        func bootOwner(_ line: String) -> Int {
            let matches = full.indices.filter { index in full[index].0.mountPoint.map { $0 != "/" && line.contains($0 + "/") } ?? false }
            return matches.max { (full[$0].0.mountPoint?.count ?? 0) < (full[$1].0.mountPoint?.count ?? 0) } ?? 0
        }
        return full.indices.map { index in
            let events = zip(noSpace, owners).filter { $0.1 == index }.map(\.0)
            var result = finding(full[index].0, severity: full[index].1, events: events, facts: facts)
            for (service, failure) in bootFailures where bootOwner(failure.decisiveLine) == index {
                result.evidence.append(Evidence(kind: .log, text: "\(service.name): \(failure.decisiveLine)", source: failure.source))
            }
            return result
        }
    }

    /// `nil` when the filesystem is fine.
    static func severity(_ filesystem: FilesystemUsage) -> Severity? {
        guard filesystem.totalBytes > 0, !filesystem.readOnly, !alwaysFullTypes.contains(filesystem.type ?? "") else { return nil }
        if filesystem.availableBytes == 0 || filesystem.availablePercent < criticalAvailablePercent
            || (filesystem.availableBytes < criticalAvailableBytes && filesystem.totalBytes >= absoluteFloorMinimumSize) {
            return .critical
        }
        if filesystem.totalInodes > 0, filesystem.freeInodes == 0 { return .critical }
        if filesystem.usedPercent > warningUsedPercent || (filesystem.inodesUsedPercent ?? 0) > warningUsedPercent {
            return .warning
        }
        return nil
    }

    private func finding(_ filesystem: FilesystemUsage, severity: Severity, events: [ProxyLogEvent], facts: Facts) -> Finding {
        let inodesOut = filesystem.totalInodes > 0 && filesystem.freeInodes == 0
        let spaceShort = filesystem.availableBytes == 0 || filesystem.availablePercent < Self.criticalAvailablePercent
            || filesystem.usedPercent > Self.warningUsedPercent
        let place = filesystem.mountPoint ?? filesystem.purposes.first?.path ?? "?"
        let probePath = filesystem.purposes.first?.path ?? place
        var evidence = [Evidence(kind: .file, text: "\(filesystem.label): \(Self.figures(filesystem))",
                                 source: "df -h \(probePath); df -i \(probePath)")]
        evidence.append(Evidence(kind: .file, text: "holds " + Self.purposesText(filesystem.purposes)))
        evidence += events.suffix(3).map { Evidence(kind: .log, text: $0.line, source: $0.source) }
        if events.count > 3 {
            evidence.append(Evidence(kind: .log, text: "\(events.count) \"No space left on device\" lines in the window",
                                     source: events.first?.source))
        }

        let what: String
        if inodesOut && !spaceShort {
            what = "has no free inode left (\(filesystem.totalInodes) in all): no file or socket can be created"
        } else if severity == .critical {
            what = "is full: \(Self.bytes(filesystem.availableBytes)) of \(Self.bytes(filesystem.totalBytes)) left (\(Self.percent(filesystem.usedPercent)) used)"
        } else if spaceShort {
            what = "is nearly full: \(Self.percent(filesystem.usedPercent)) used, \(Self.bytes(filesystem.availableBytes)) left"
        } else {
            what = "is nearly out of inodes: \(Self.percent(filesystem.inodesUsedPercent ?? 0)) used"
        }
        var consequences = Self.consequences(filesystem.purposes, inodesOut: inodesOut, spaceOut: severity == .critical && spaceShort,
                                             logged: !events.isEmpty)
        if !events.isEmpty {
            // Seen, not inferred: nginx said so in its error log.
            let writes = "nginx failed to write \(events.count) temp file\(events.count == 1 ? "" : "s") there (28: No space left on device), cutting those responses"
            consequences = consequences.isEmpty ? writes : writes + "; " + consequences
        }
        let summary = "Filesystem \(filesystem.label) \(what); it holds \(Self.purposesText(filesystem.purposes.prefix(3)))"
            + (filesystem.purposes.count > 3 ? " and \(filesystem.purposes.count - 3) more" : "")
            + (consequences.isEmpty ? "" : " (\(consequences))")
        var fix = ["Find what fills it: du -xh --max-depth=2 \(place) | sort -h | tail -n 20 (gwdoctor deletes nothing: you choose what goes)"]
        if inodesOut || (filesystem.inodesUsedPercent ?? 0) > Self.warningUsedPercent {
            fix.append("Inodes: count files per directory: find \(place) -xdev -type f | cut -d/ -f1-4 | sort | uniq -c | sort -n | tail (session, cache and mail queues are the usual piles)")
        }
        fix.append("Logs: vacuum the journal (journalctl --vacuum-size=500M), rotate and compress (logrotate -f /etc/logrotate.conf), and check for deleted files still held open: lsof +L1 \(place) (their space returns when the holder restarts or reopens its logs)")
        if filesystem.purposes.contains(where: { $0.role.contains("socket") || $0.role.contains("worker tmp") || $0.role.hasPrefix("temp dir") }) {
            fix.append("Once there is room, restart an app server that failed to start meanwhile: Gunicorn gives up after 5 tries to create its socket and does not retry by itself")
        }
        return Finding(check: id, layer: layer, severity: severity, summary: summary, evidence: evidence, fix: fix)
    }

    /// nginx reported ENOSPC in the window but no filesystem is full now.
    private func pastFinding(_ events: [ProxyLogEvent], facts: Facts) -> Finding {
        let last = events.last
        let summary = "nginx could not write (28: No space left on device) \(events.count) time\(events.count == 1 ? "" : "s") in the window"
            + (last.map { " (last at \(LogClock.text(for: $0, gatheredAt: facts.gatheredAt)))" } ?? "")
            + "; every filesystem checked has space now"
        var evidence = events.suffix(3).map { Evidence(kind: .log, text: $0.line, source: $0.source) }
        for filesystem in facts.filesystems.prefix(3) {
            evidence.append(Evidence(kind: .file, text: "\(filesystem.label): \(Self.figures(filesystem))",
                                     source: "df -h \(filesystem.mountPoint ?? filesystem.purposes.first?.path ?? "/")"))
        }
        let path = last.flatMap { Self.quotedPath($0.message) }
        return Finding(check: id, layer: layer, severity: .warning, summary: summary, evidence: evidence,
                       fix: ["Something filled the disk and space came back (log rotation, a cleanup, a deleted temp file): find what grows before it fills again: du -xh --max-depth=2 \(path.map(Self.parent) ?? "/") | sort -h | tail -n 20",
                             "Watch it: df -h; and alert above 90 % used"])
    }

    // MARK: - Wording

    static func isNoSpace(_ event: ProxyLogEvent) -> Bool {
        event.errno == 28 || event.message.contains("No space left on device")
    }

    /// An app server's log line reporting ENOSPC (Python's `[Errno 28] No space left on device`).
    static func isNoSpace(_ line: String) -> Bool {
        line.contains("No space left on device") || line.contains("[Errno 28]")
    }

    /// The first double-quoted absolute path of an nginx message (`open() "/var/lib/nginx/proxy/1/00/01" failed`).
    static func quotedPath(_ message: String) -> String? {
        guard let open = message.firstIndex(of: "\"") else { return nil }
        let rest = message[message.index(after: open)...]
        guard let close = rest.firstIndex(of: "\""), rest.hasPrefix("/") else { return nil }
        return String(rest[..<close])
    }

    static func contains(_ mountPoint: String, _ path: String) -> Bool {
        mountPoint == "/" || path == mountPoint || path.hasPrefix(mountPoint + "/")
    }

    static func parent(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return "/" }
        return String(path[..<slash])
    }

    /// `nginx error log /var/log/nginx/error.log, socket dir /run/gunicorn`.
    static func purposesText<C: Collection>(_ purposes: C) -> String where C.Element == FilesystemPurpose {
        purposes.map(\.description).joined(separator: ", ")
    }

    /// What fails on this filesystem, from what it holds and what ran out: creating a file
    /// or socket needs an inode (and, on disk filesystems, sometimes a directory block);
    /// writing needs blocks.
    static func consequences(_ purposes: [FilesystemPurpose], inodesOut: Bool, spaceOut: Bool, logged: Bool = false) -> String {
        var parts: [String] = []
        if spaceOut, purposes.contains(where: { $0.role.contains("proxy temp") || $0.role.hasPrefix("nginx temp") }) {
            parts.append("nginx cannot buffer responses or request bodies to disk")
        }
        if inodesOut, purposes.contains(where: { $0.role == "socket dir" }) {
            parts.append("a restarted app server cannot create its socket")
        }
        if inodesOut, purposes.contains(where: { $0.role.hasPrefix("temp dir") || $0.role.contains("worker tmp") }) {
            parts.append("Gunicorn cannot create its workers' heartbeat files")
        }
        if spaceOut, purposes.contains(where: { $0.role.hasPrefix("temp dir") }) {
            parts.append("uploads and temp files fail")
        }
        if spaceOut, purposes.contains(where: { $0.role.hasSuffix("log") }) { parts.append("log lines are lost") }
        if spaceOut, parts.isEmpty, !logged { parts.append("every write there fails with ENOSPC") }
        return parts.joined(separator: "; ")
    }

    /// `100% used, 0 B of 1.0 MB available to unprivileged users; inodes 1% used (5 of 6,000 free)`.
    static func figures(_ filesystem: FilesystemUsage) -> String {
        var text = "\(percent(filesystem.usedPercent)) used, \(bytes(filesystem.availableBytes)) of \(bytes(filesystem.totalBytes)) available to unprivileged users"
        if filesystem.freeBytes > filesystem.availableBytes {
            text += " (\(bytes(filesystem.freeBytes)) free counting root's reserve)"
        }
        if let inodes = filesystem.inodesUsedPercent {
            text += "; inodes \(percent(inodes)) used, \(filesystem.freeInodes) free"
        }
        return text
    }

    static func percent(_ value: Double) -> String {
        let rounded = value >= 99 && value < 100 ? (value * 10).rounded(.down) / 10 : value.rounded()
        return rounded == rounded.rounded() ? "\(Int(rounded))%" : "\(rounded)%"
    }

    /// Decimal units, as `df -H` prints them (`1.0 MB`, `20 GB`).
    static func bytes(_ value: UInt64) -> String {
        let units = ["B", "kB", "MB", "GB", "TB", "PB"]
        var amount = Double(value)
        var unit = 0
        while amount >= 1000, unit < units.count - 1 {
            amount /= 1000
            unit += 1
        }
        if unit == 0 { return "\(value) B" }
        let text = amount < 10 ? String(Int((amount * 10).rounded())) : String(Int(amount.rounded()))
        return amount < 10 ? "\(text.dropLast()).\(text.suffix(1)) \(units[unit])" : "\(text) \(units[unit])"
    }
}
