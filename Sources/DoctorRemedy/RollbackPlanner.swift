import DoctorFacts
import DoctorHost
import DoctorParsers
import Foundation

/// Builds a `RollbackPlan` from gathered facts: picks the deploy root, the target release
/// (`RollbackTargetSelection`), the services to restart (the fix helpers' allow-listed
/// restart commands), the routes to verify, and runs the schema guard (`SchemaGuard`, with the
/// applied set from `MigrationReader`). Reads only; nothing is changed.
public struct RollbackPlanner: Sendable {
    public let host: any DoctorHost.Host
    public let facts: Facts

    public init(host: any DoctorHost.Host, facts: Facts) {
        self.host = host
        self.facts = facts
    }

    /// - Parameters:
    ///   - requested: `--to ID`.
    ///   - rootDirectory: `--root-dir`, to choose among several deploy roots.
    ///   - schema: whether to run the schema guard. `gate` plans its switch *forward* with
    ///     `.skip`: the guard runs the app's `manage.py` (seconds on a real project) and its
    ///     question — may the target run on the database as it is — only matters before a
    ///     switch back, which the gate asks after a failure with the old release as target.
    public func plan(requested: String?, rootDirectory: String?, schema schemaMode: SchemaMode = .check) async -> RollbackPlan {
        let layouts = facts.releases
        let layout: ReleaseLayout
        if let rootDirectory {
            let wanted = rootDirectory.count > 1 && rootDirectory.hasSuffix("/") ? String(rootDirectory.dropLast()) : rootDirectory
            guard let found = layouts.first(where: { $0.root == wanted }) else {
                return Self.refused(root: wanted, "no deploy root at \(wanted) among those found from what runs ("
                    + (layouts.isEmpty ? "none" : layouts.map(\.root).joined(separator: ", ")) + ")")
            }
            layout = found
        } else {
            guard let first = layouts.first else {
                return Self.refused(root: "?", "no symlink-release deploy root (ROOT/releases/ID, ROOT/current) was found "
                    + "from the running app servers and services")
            }
            guard layouts.count == 1 else {
                return Self.refused(root: first.root, "several deploy roots (\(layouts.map(\.root).joined(separator: ", "))): "
                    + "choose one with --root-dir")
            }
            layout = first
        }
        var layoutWithRequest = layout
        if let requested, !layout.releases.contains(where: { $0.id == requested }), let entry = entry(requested, in: layout) {
            layoutWithRequest.releases.append(entry)
        }
        let selection = RollbackTargetSelection.select(layout: layoutWithRequest, requested: requested,
                                                       incomplete: incomplete(layoutWithRequest))
        let managed = layout.services.compactMap { service in
            facts.services.first { $0.manager == service.manager && $0.name == service.name }
        }
        let services = layout.services.map(restartable)
        var refusal = selection.refusal
        if refusal == nil, services.isEmpty {
            refusal = "no service runs from \(layout.root) (supervisord program or systemd unit): nothing would load the target release"
        } else if refusal == nil, let stuck = services.first(where: { $0.restart == nil }) {
            refusal = "\(stuck.key) cannot be restarted by gwdoctor: \(stuck.problem ?? "no allow-listed command")"
        }
        var notes: [String] = []
        let schema: SchemaVerdict
        if case let .skip(reason) = schemaMode {
            schema = SchemaVerdict(decision: .notApplicable, reason: reason)
        } else if let target = selection.target {
            schema = await guardSchema(layout: layout, target: target, services: managed, notes: &notes)
        } else {
            schema = SchemaVerdict(decision: .notApplicable, reason: "no target release")
        }
        return RollbackPlan(root: layout.root, link: layout.current.path, previousLinkTarget: layout.current.target,
                            from: layout.current.release, target: selection.target,
                            newLinkTarget: selection.target.map { linkTarget(for: $0, layout: layout) },
                            skipped: selection.skipped, services: services, routes: routes(of: layout),
                            schema: schema, refusal: refusal, notes: notes)
    }

    /// Whether `plan` runs the schema guard.
    public enum SchemaMode: Hashable, Sendable {
        case check
        /// No guard (nothing is read, no `manage.py` runs); the verdict is `notApplicable` with this reason.
        case skip(String)
    }

    static func refused(root: String, _ reason: String) -> RollbackPlan {
        RollbackPlan(root: root, link: root + "/current", previousLinkTarget: nil, from: nil, target: nil, newLinkTarget: nil,
                     skipped: [], services: [], routes: [],
                     schema: SchemaVerdict(decision: .notApplicable, reason: "no target release"), refusal: reason, notes: [])
    }

    /// The same style as the link has now: absolute when it was absolute, else `releases/ID`.
    func linkTarget(for target: ReleaseEntry, layout: ReleaseLayout) -> String {
        if let stored = layout.current.target, stored.hasPrefix("/") { return target.path }
        return "releases/" + target.id
    }

    /// A release beyond the listed ones (`--to` an old id in a root with many releases).
    private func entry(_ id: String, in layout: ReleaseLayout) -> ReleaseEntry? {
        guard !id.contains("/"), id != ".", id != ".." else { return nil }
        let path = layout.path(ofRelease: id)
        guard let status = try? host.status(path, followLinks: true) else { return nil }
        let mark = (try? host.readFile(path + "/" + ReleaseBadMark.fileName, maxBytes: ReleaseBadMark.maxBytes)).map(ReleaseBadMark.decode)
        return ReleaseEntry(id: id, path: path, kind: FileKind(rawValue: status.kind.rawValue) ?? .unknown, modified: status.modified,
                            badMark: mark)
    }

    /// Release id → the first path it lacks of those the current release must hold (manage.py,
    /// the WSGI module, virtualenv executables inside the release): a partial upload.
    private func incomplete(_ layout: ReleaseLayout) -> [String: String] {
        guard let contents = layout.currentContents else { return [:] }
        let relative = contents.required.compactMap { requirement -> (what: String, rest: String)? in
            requirement.path.hasPrefix(contents.path + "/") ? (requirement.what, String(requirement.path.dropFirst(contents.path.count))) : nil
        }
        var result: [String: String] = [:]
        for entry in layout.releases where entry.id != layout.current.release && entry.kind == .directory && entry.badMark == nil {
            for (what, rest) in relative where (try? host.status(entry.path + rest, followLinks: true)) == nil {
                result[entry.id] = "\(what) (\(entry.path + rest)) is missing"
                break
            }
        }
        return result
    }

    private func restartable(_ service: ReleaseService) -> RollbackService {
        switch service.manager {
        case "supervisor":
            guard let config = facts.services.first(where: { $0.manager == "supervisor" && $0.name == service.name })?.managerConfig else {
                return RollbackService(manager: service.manager, name: service.name, restart: nil,
                                       problem: "the supervisord config that controls it is not known")
            }
            let command = AllowedCommand.supervisor(.restart, config: config, program: service.name)
            return RollbackService(manager: service.manager, name: service.name, restart: command,
                                   start: AllowedCommand.supervisor(.start, config: config, program: service.name), state: service.state,
                                   problem: command == nil ? "\(service.name) is not a plain supervisor program name" : nil)
        case "systemd":
            let command = AllowedCommand.systemctl(.restart, unit: service.name)
            return RollbackService(manager: service.manager, name: service.name, restart: command, state: service.state,
                                   problem: command == nil ? "\(service.name) is not a plain unit name" : nil)
        default:
            return RollbackService(manager: service.manager, name: service.name, restart: nil,
                                   problem: "a process without a service manager cannot be restarted safely")
        }
    }

    /// Routes whose upstream is one of the root's binds (services, app servers, sockets).
    private func routes(of layout: ReleaseLayout) -> [String] {
        let binds = layout.services.flatMap(\.binds) + layout.processes.flatMap(\.binds) + layout.sockets.map { .unix(path: $0.path) }
        var labels: [String] = []
        for route in facts.routes where route.target.endpoints.contains(where: { endpoint in binds.contains { Self.reaches(endpoint, $0) } }) {
            if !labels.contains(route.label) { labels.append(route.label) }
        }
        return labels
    }

    /// Whether a route's upstream address reaches a bind (a wildcard bind takes every address of its port).
    static func reaches(_ upstream: Endpoint, _ bind: Endpoint) -> Bool {
        switch (upstream, bind) {
        case let (.tcp(host, port), .tcp(bindHost, bindPort)):
            port == bindPort && (host == bindHost || bind.isWildcard || (host == "localhost" && (bindHost == "127.0.0.1" || bindHost == "::1")))
        case let (.unix(a), .unix(b)):
            a == b
        default:
            false
        }
    }

    // MARK: Schema

    private func guardSchema(layout: ReleaseLayout, target: ReleaseEntry, services: [ManagedService],
                             notes: inout [String]) async -> SchemaVerdict {
        let targetInventory = MigrationInventory.read(release: target.path, host: host)
        let currentPath = layout.current.release.map(layout.path(ofRelease:))
        let currentInventory = currentPath.map { MigrationInventory.read(release: $0, host: host) } ?? MigrationInventory()
        notes += (targetInventory.problems + currentInventory.problems).prefix(4).map { "while looking for migrations: \($0)" }
        let django = layout.currentContents?.required.contains { $0.what == "manage.py" } == true
            || (try? host.status(target.path + "/manage.py", followLinks: true)) != nil
            || !targetInventory.apps.isEmpty || !currentInventory.apps.isEmpty
        guard django else {
            return SchemaVerdict(decision: .notApplicable, reason: "no manage.py and no migrations in either release: not a Django app")
        }
        var releases: [(id: String, path: String)] = [(target.id, target.path)]
        if let current = layout.current.release, let currentPath { releases.append((current, currentPath)) }
        let reader = MigrationReader(host: host, layout: layout, services: services)
        let (applied, source, argv) = await reader.read(releases: releases)
        var files: [String: DjangoMigrationFile] = [:]
        if case let .success(output) = applied {
            for path in SchemaGuard.filesToParse(applied: output, target: targetInventory, current: currentInventory).prefix(200) {
                if let bytes = try? host.readFile(path, maxBytes: DjangoMigrationParser.maxBytes) {
                    files[path] = DjangoMigrationParser.parse(String(decoding: bytes, as: UTF8.self))
                }
            }
        }
        var verdict = SchemaGuard.evaluate(applied: applied, target: targetInventory, current: currentInventory, source: source, files: files)
        verdict.command = argv
        return verdict
    }
}
