import DoctorFacts
import DoctorParsers
import Foundation

/// Finds Capistrano/Deployer-style deploy roots (`ROOT/releases/<id>`, `ROOT/current`)
/// from what runs and what is configured — app servers' cwd and argv, services' working
/// directories and commands, unix socket paths — and stats what the release checks need.
///
/// A path names a root when it contains `/releases/<id>`, `/current` or `/shared` and the
/// directory before that component holds a `releases` directory; nothing is looked up by a
/// fixed path. Every read is bounded (roots, listed releases, files stat'ed per release).
struct ReleaseGatherer: Sendable {
    let host: any Host
    /// Facts gathered so far: processes, listeners, routes, app servers and services.
    let facts: Facts

    /// More roots than this on one host is a sign of a mistaken hint, not a deployment.
    static let maxRoots = 8
    static let dependencyFiles = ["pyproject.toml", "poetry.lock", "Pipfile.lock", "uv.lock"]
    /// Releases with non-numeric ids are ordered by mtime only up to this many (one stat each).
    static let maxStatForOrder = 200

    /// A path that mentions a root, and who mentioned it.
    private struct Hint {
        var path: String
        var origin: String
    }

    func gather() -> (layouts: [ReleaseLayout], unavailable: [Unavailable]) {
        var unavailable: [Unavailable] = []
        var roots: [String] = []
        var origins: [String: [String]] = [:]
        var verified: [String: Bool] = [:]
        for hint in hints() {
            for root in Self.candidateRoots(hint.path) {
                if verified[root] == nil {
                    guard verified.count < Self.maxRoots * 4 else { break }
                    verified[root] = (try? host.status(root + "/releases", followLinks: true).kind) == .directory
                }
                guard verified[root] == true else { continue }
                if !roots.contains(root) {
                    guard roots.count < Self.maxRoots else { continue }
                    roots.append(root)
                }
                if origins[root, default: []].count < 6, !origins[root, default: []].contains(hint.origin) {
                    origins[root, default: []].append(hint.origin)
                }
            }
        }
        let layouts = roots.map { layout(root: $0, origins: origins[$0] ?? [], unavailable: &unavailable) }
        return (layouts, unavailable)
    }

    // MARK: Discovery

    private func hints() -> [Hint] {
        var hints: [Hint] = []
        for app in facts.appServers {
            let label = app.label
            if let cwd = facts.process(app.masterPID)?.cwd { hints.append(Hint(path: cwd, origin: "\(label): cwd \(cwd)")) }
            if let directory = app.workingDirectory { hints.append(Hint(path: directory, origin: "\(label): directory \(directory)")) }
            for path in Self.absolutePaths(in: app.cmdline) { hints.append(Hint(path: path, origin: "\(label): command line \(path)")) }
            if let exe = executable(of: app.masterPID) { hints.append(Hint(path: exe, origin: "\(label): /proc/\(app.masterPID)/exe \(exe)")) }
            for case let .unix(path) in app.endpoints { hints.append(Hint(path: path, origin: "\(label): binds \(path)")) }
        }
        for service in facts.services {
            let label = "\(service.manager) \(service.name)"
            if let directory = service.definition?.workingDirectory?.path {
                hints.append(Hint(path: directory, origin: "\(label): working directory \(directory)"))
            }
            if let executable = service.definition?.executable?.path {
                hints.append(Hint(path: executable, origin: "\(label): runs \(executable)"))
            }
            for path in Self.absolutePaths(in: service.command) { hints.append(Hint(path: path, origin: "\(label): command \(path)")) }
            for case let .unix(path)? in service.binds.map(\.endpoint) { hints.append(Hint(path: path, origin: "\(label): binds \(path)")) }
        }
        for route in facts.routes {
            for case let .unix(path) in route.target.endpoints { hints.append(Hint(path: path, origin: "route \(route.label): unix:\(path)")) }
        }
        return hints
    }

    /// `/proc/PID/exe`, resolved by the kernel (a venv's `bin/python` symlink leads to the
    /// system interpreter; a `--copies` venv's stays in the venv). `nil` when unreadable.
    private func executable(of pid: Int) -> String? {
        guard let target = try? host.readLink("/proc/\(pid)/exe"), target.hasPrefix("/") else { return nil }
        return target.hasSuffix(" (deleted)") ? String(target.dropLast(" (deleted)".count)) : target
    }

    /// Absolute paths in argv words: `/srv/app/current/venv/bin/gunicorn`, `--chdir=/srv/app/current`,
    /// `unix:/srv/app/shared/app.sock`.
    static func absolutePaths(in argv: [String]) -> [String] {
        var paths: [String] = []
        for word in argv.prefix(64) {
            var candidate = word
            if let equals = candidate.firstIndex(of: "="), candidate.hasPrefix("-") {
                candidate = String(candidate[candidate.index(after: equals)...])
            }
            if candidate.hasPrefix("unix:") { candidate = String(candidate.dropFirst(5)) }
            if candidate.hasPrefix("/"), !paths.contains(candidate) { paths.append(candidate) }
        }
        return paths
    }

    /// The roots a path could belong to: the directory before each `releases/<id>`,
    /// `current` or `shared` component (`/srv/app/releases/3/src` → `/srv/app`).
    static func candidateRoots(_ path: String) -> [String] {
        let components = normalize(path).split(separator: "/").map(String.init)
        var roots: [String] = []
        for (index, component) in components.enumerated() where index > 0 {
            let isRelease = component == "releases" && index + 1 < components.count
            guard isRelease || component == "current" || component == "shared" else { continue }
            let root = "/" + components[..<index].joined(separator: "/")
            if !roots.contains(root) { roots.append(root) }
        }
        return roots
    }

    /// Folds `.`, `..` and repeated slashes; no symlink is followed.
    static func normalize(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/") {
            if part == "." || part.isEmpty { continue }
            if part == ".." {
                if !parts.isEmpty { parts.removeLast() }
                continue
            }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }

    /// `(id, rest)` when `path` is `ROOT/releases/<id>[/rest]`.
    static func release(of path: String, root: String) -> (id: String, rest: String)? {
        let prefix = root + "/releases/"
        let path = normalize(path)
        guard path.hasPrefix(prefix) else { return nil }
        let tail = path.dropFirst(prefix.count)
        guard let id = tail.split(separator: "/").first, !id.isEmpty else { return nil }
        return (String(id), String(tail.dropFirst(id.count)))
    }

    /// `rest` when `path` is `ROOT/current[/rest]`.
    static func throughCurrent(_ path: String, root: String) -> String? {
        let path = normalize(path)
        let link = root + "/current"
        if path == link { return "" }
        return path.hasPrefix(link + "/") ? String(path.dropFirst(link.count)) : nil
    }

    // MARK: One root

    private func layout(root: String, origins: [String], unavailable: inout [Unavailable]) -> ReleaseLayout {
        let current = readCurrent(root: root, unavailable: &unavailable)
        var layout = ReleaseLayout(root: root, current: current, discoveredFrom: origins)
        listReleases(into: &layout, unavailable: &unavailable)
        layout.processes = processes(root: root)
        layout.services = services(root: root)
        let references = references(root: root)
        layout.currentContents = contents(of: layout, references: references)
        layout.dependencies = dependencies(of: layout, references: references)
        layout.sockets = sockets(of: layout)
        return layout
    }

    private func readCurrent(root: String, unavailable: inout [Unavailable]) -> ReleaseLink {
        let path = root + "/current"
        let link: FileStatus
        do {
            link = try host.status(path, followLinks: false)
        } catch {
            if case .notFound = error { return ReleaseLink(path: path, state: .missing) }
            unavailable.append(Unavailable(what: "release link \(path)", reason: error.description))
            return ReleaseLink(path: path, state: .unreadable, reason: error.description)
        }
        guard link.kind == .symlink else {
            let state: ReleaseLink.State = link.kind == .directory ? .directory : .notADirectory
            return ReleaseLink(path: path, state: state, resolved: path, switchedAt: link.modified)
        }
        let target: String
        do {
            target = try host.readLink(path)
        } catch {
            unavailable.append(Unavailable(what: "release link \(path)", reason: error.description))
            return ReleaseLink(path: path, state: .unreadable, switchedAt: link.modified, reason: error.description)
        }
        let resolved = Self.normalize(target.hasPrefix("/") ? target : root + "/" + target)
        let id = Self.release(of: resolved, root: root).flatMap { $0.rest.isEmpty ? $0.id : nil }
        var result = ReleaseLink(path: path, state: .release, target: target, resolved: resolved, release: id,
                                 switchedAt: link.modified)
        do {
            let followed = try host.status(path, followLinks: true)
            if followed.kind != .directory {
                result.state = .notADirectory
            } else if id == nil {
                result.state = .elsewhere
            }
        } catch {
            switch error {
            case .notFound: result.state = .dangling
            case let .io(_, code, _) where code == ELOOP: result.state = .loop
            default:
                result.state = .unreadable
                result.reason = error.description
                unavailable.append(Unavailable(what: "release link \(path) → \(target)", reason: error.description))
            }
        }
        return result
    }

    private func listReleases(into layout: inout ReleaseLayout, unavailable: inout [Unavailable]) {
        let directory = layout.releasesDirectory
        let names: [String]
        do {
            names = try host.list(directory)
        } catch {
            layout.releasesUnreadable = error.description
            unavailable.append(Unavailable(what: "releases \(directory)", reason: error.description))
            return
        }
        layout.releaseCount = names.count
        // Ids are timestamps or counters: newest by name, without stat'ing thousands.
        // Keys computed once: thousands of names, each compared ~log2(n) times.
        let keyed = names.map { name in (name: name, digits: !name.isEmpty && name.utf8.allSatisfy { $0 >= 48 && $0 <= 57 }) }
        let sorted = keyed.sorted { a, b in
            if a.digits, b.digits, a.name.utf8.count != b.name.utf8.count { return a.name.utf8.count > b.name.utf8.count }
            return a.name > b.name
        }
        func entry(_ id: String) -> ReleaseEntry {
            let path = directory + "/" + id
            let status = try? host.status(path, followLinks: true)
            // One read per listed release (at most `listedReleases`): the mark rollback and gate skip.
            let mark = status?.kind == .directory
                ? (try? host.readFile(path + "/" + ReleaseBadMark.fileName, maxBytes: ReleaseBadMark.maxBytes)).map(ReleaseBadMark.decode) : nil
            return ReleaseEntry(id: id, path: path, kind: status.map { FileKind($0.kind) } ?? .unknown, modified: status?.modified,
                                badMark: mark)
        }
        if keyed.contains(where: { !$0.digits }), names.count <= Self.maxStatForOrder {
            // Ids that do not sort by time (git hashes, names): order by mtime instead.
            let entries = names.map(entry).sorted { ($0.modified ?? 0, $0.id) > ($1.modified ?? 0, $1.id) }
            var newest = Array(entries.prefix(ReleaseLayout.listedReleases))
            if let id = layout.current.release, !newest.contains(where: { $0.id == id }),
               let current = entries.first(where: { $0.id == id }) {
                newest.append(current)
            }
            layout.releases = newest
            return
        }
        var newest = Array(sorted.prefix(ReleaseLayout.listedReleases).map(\.name))
        if let id = layout.current.release, names.contains(id), !newest.contains(id) { newest.append(id) }
        layout.releases = newest.map(entry)
    }

    /// An app server's master, when its cwd or argv lies under the root.
    private func processes(root: String) -> [ReleaseProcess] {
        facts.appServers.compactMap { app in
            let process = facts.process(app.masterPID)
            var release: String?
            var evidence: String?
            if let cwd = process?.cwd, let found = Self.release(of: cwd, root: root) {
                release = found.id
                evidence = "/proc/\(app.masterPID)/cwd → \(cwd)"
            } else if let word = Self.absolutePaths(in: app.cmdline).first(where: { Self.release(of: $0, root: root) != nil }) {
                release = Self.release(of: word, root: root)?.id
                evidence = "command line names \(word)"
            } else if let exe = executable(of: app.masterPID), let found = Self.release(of: exe, root: root) {
                // A venv made with --copies: the interpreter itself lives in the release.
                release = found.id
                evidence = "/proc/\(app.masterPID)/exe → \(exe)"
            } else {
                let paths = [process?.cwd, app.workingDirectory].compactMap { $0 } + Self.absolutePaths(in: app.cmdline)
                guard let path = paths.first(where: { Self.normalize($0) == root || Self.normalize($0).hasPrefix(root + "/") }) else {
                    return nil
                }
                evidence = "runs from \(path)"
            }
            return ReleaseProcess(pid: app.masterPID, label: app.label, release: release, evidence: evidence, binds: app.endpoints)
        }
    }

    private func services(root: String) -> [ReleaseService] {
        facts.services.compactMap { service in
            var paths = [service.definition?.workingDirectory?.path, service.definition?.executable?.path].compactMap { $0 }
            paths += Self.absolutePaths(in: service.command)
            guard let reference = paths.first(where: { Self.normalize($0) == root || Self.normalize($0).hasPrefix(root + "/") }) else {
                return nil
            }
            return ReleaseService(manager: service.manager, name: service.name, state: service.state, isRunning: service.isRunning,
                                  reference: reference, binds: service.binds.compactMap(\.endpoint), pid: service.pid)
        }
    }

    /// What the app servers and services under this root load: the directory the app is
    /// imported from (relative to a release), its WSGI/ASGI module, its executables, whether
    /// it is a Django project.
    private struct References {
        /// `""` or `/src`: where the app lives inside a release.
        var appSubdirectory: String?
        /// `labsite.wsgi` with who loads it (`gunicorn … labsite.wsgi:application`).
        var modules: [(module: String, origin: String)] = []
        /// Executables inside a release, relative to it (`/venv/bin/gunicorn`), with who runs them.
        var executables: [(rest: String, origin: String)] = []
        /// Executables anywhere, as named (to find the virtualenv).
        var executablePaths: [String] = []
        var django = false
    }

    private func references(root: String) -> References {
        var references = References()
        func inRelease(_ path: String) -> String? {
            Self.throughCurrent(path, root: root) ?? Self.release(of: path, root: root)?.rest
        }
        /// Records what one command under this root loads; `false` (and nothing recorded)
        /// when neither its directories nor its executables lie in a release of this root.
        @discardableResult
        func add(argv: [String], directories: [String?], origin: String) -> Bool {
            let directories = directories.compactMap { $0 } + (AppServerCommandLine.parse(argv)?.directory.map { [$0] } ?? [])
            var underRoot = false
            for directory in directories {
                if let rest = inRelease(directory) {
                    underRoot = true
                    if references.appSubdirectory == nil { references.appSubdirectory = rest }
                }
            }
            let words = argv.count == 1 && argv[0].contains(" ") ? argv[0].split(separator: " ").map(String.init) : argv
            var programs = Array(words.prefix(1))
            if let first = words.first, Self.isPython(first), words.count > 1, words[1].hasPrefix("/") {
                programs.append(words[1])
            }
            let absolute = programs.filter { $0.hasPrefix("/") }
            var executables: [(rest: String, origin: String)] = []
            for program in absolute {
                if let rest = inRelease(program), !rest.isEmpty {
                    underRoot = true
                    executables.append((rest, origin))
                }
            }
            // Another app's command (its venv, its modules) says nothing about this root.
            guard underRoot else { return false }
            references.executables += executables
            for program in absolute where !references.executablePaths.contains(program) {
                references.executablePaths.append(program)
            }
            for module in Self.appModules(words) where !references.modules.contains(where: { $0.module == module }) {
                references.modules.append((module, origin))
            }
            return true
        }
        for service in facts.services {
            let related = add(argv: service.command, directories: [service.definition?.workingDirectory?.path],
                              origin: "\(service.manager) \(service.name)")
            if related, service.definition?.settingsModule != nil
                || service.definition?.environmentNames.contains("DJANGO_SETTINGS_MODULE") == true {
                references.django = true
            }
        }
        for app in facts.appServers {
            add(argv: app.cmdline, directories: [facts.process(app.masterPID)?.cwd, app.workingDirectory], origin: app.label)
        }
        return references
    }

    /// `python`, `python3`, `python3.12`, `pypy3` (a path or a bare name).
    static func isPython(_ word: String) -> Bool {
        let name = (word as NSString).lastPathComponent
        for prefix in ["python", "pypy"] where name.hasPrefix(prefix) {
            return name.dropFirst(prefix.count).allSatisfy { $0.isNumber || $0 == "." }
        }
        return false
    }

    /// The WSGI/ASGI modules a command line loads: `labsite.wsgi:application` → `labsite.wsgi`,
    /// and uWSGI's `--module labsite.wsgi` / `module=…`.
    static func appModules(_ argv: [String]) -> [String] {
        var modules: [String] = []
        func isModule(_ text: Substring) -> Bool {
            !text.isEmpty && text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { part in
                !part.isEmpty && part.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" } && !(part.first?.isNumber ?? true)
            }
        }
        var skipNext = false
        for (index, word) in argv.enumerated() {
            if skipNext {
                skipNext = false
                continue
            }
            if (word == "--module" || word == "-w" || word == "--wsgi") && index + 1 < argv.count {
                let module = argv[index + 1].split(separator: ":").first ?? ""
                if isModule(module) { modules.append(String(module)) }
                skipNext = true
                continue
            }
            if word.hasPrefix("--module=") {
                let module = word.dropFirst("--module=".count).split(separator: ":").first ?? ""
                if isModule(module) { modules.append(String(module)) }
                continue
            }
            guard !word.hasPrefix("-"), !word.contains("/"), !word.contains("="), word.contains(":") else { continue }
            let parts = word.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, isModule(parts[0]), !parts[1].isEmpty, parts[1].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "(" || $0 == ")" }) else {
                continue
            }
            modules.append(String(parts[0]))
        }
        return modules
    }

    // MARK: The current release

    private func contents(of layout: ReleaseLayout, references: References) -> ReleaseContents? {
        guard layout.current.state == .release, let id = layout.current.release else { return nil }
        let releasePath = layout.path(ofRelease: id)
        let appDirectory = Self.normalize(releasePath + (references.appSubdirectory ?? ""))
        let previous = layout.previousRelease(before: id)
        var required: [ReleaseRequirement] = []
        func kind(_ path: String) -> FileKind {
            do {
                return FileKind(try host.status(path, followLinks: true).kind)
            } catch {
                if case .notFound = error { return .missing }
                return .unknown
            }
        }
        // manage.py: expected where the previous release has it, or for a Django app.
        let manageCandidates = [appDirectory + "/manage.py", releasePath + "/manage.py"].reduce(into: [String]()) {
            if !$0.contains($1) { $0.append($1) }
        }
        let found = manageCandidates.first { kind($0) != .missing }
        if let found {
            required.append(ReleaseRequirement(what: "manage.py", path: found, kind: kind(found), reason: "a Django release has one"))
        } else {
            var reason: String?
            if let previous {
                let relative = manageCandidates.map { String($0.dropFirst(releasePath.count)) }
                if let had = relative.first(where: { kind(previous.path + $0) != .missing }) {
                    reason = "release \(previous.id) has \(previous.path + had)"
                }
            }
            if reason == nil, references.django { reason = "the service sets DJANGO_SETTINGS_MODULE" }
            if let reason {
                required.append(ReleaseRequirement(what: "manage.py", path: manageCandidates[0], kind: .missing, reason: reason))
            }
        }
        for (module, origin) in references.modules.prefix(4) {
            let base = appDirectory + "/" + module.replacingOccurrences(of: ".", with: "/")
            let file = base + ".py"
            let package = base + "/__init__.py"
            let fileKind = kind(file)
            let (path, foundKind) = fileKind != .missing ? (file, fileKind) : (kind(package) != .missing ? (package, kind(package)) : (file, FileKind.missing))
            required.append(ReleaseRequirement(what: "module \(module)", path: path, kind: foundKind, reason: "\(origin) loads \(module)"))
        }
        for (rest, origin) in references.executables.prefix(4) {
            let path = releasePath + rest
            guard !required.contains(where: { $0.path == path }) else { continue }
            required.append(ReleaseRequirement(what: "executable \(rest.dropFirst())", path: path, kind: kind(path), reason: "\(origin) runs it"))
            // A venv script needs its venv's interpreter (the script's #! line names it).
            let bin = (path as NSString).deletingLastPathComponent
            let name = (path as NSString).lastPathComponent
            if bin.hasSuffix("/bin"), !Self.isPython(name) {
                let interpreter = bin + "/python"
                if !required.contains(where: { $0.path == interpreter }), kind((bin as NSString).deletingLastPathComponent + "/pyvenv.cfg") != .missing
                    || previous.map({ kind($0.path + String(interpreter.dropFirst(releasePath.count))) != .missing }) == true {
                    required.append(ReleaseRequirement(what: "virtualenv interpreter \(interpreter.dropFirst(releasePath.count + 1))",
                                                       path: interpreter, kind: kind(interpreter), reason: "\(origin) runs \(name) from that virtualenv"))
                }
            }
        }
        return ReleaseContents(release: id, path: releasePath, required: required)
    }

    /// requirements*.txt, pyproject.toml, poetry.lock of the current release against the
    /// virtualenv the app runs (found from its executable: `VENV/bin/gunicorn` with `VENV/pyvenv.cfg`).
    private func dependencies(of layout: ReleaseLayout, references: References) -> ReleaseDependencies? {
        guard layout.current.state == .release, let id = layout.current.release else { return nil }
        var venv: String?
        for executable in references.executablePaths {
            let bin = (executable as NSString).deletingLastPathComponent
            guard bin.hasSuffix("/bin") else { continue }
            let candidate = (bin as NSString).deletingLastPathComponent
            if (try? host.status(candidate + "/pyvenv.cfg", followLinks: true)) != nil {
                venv = candidate
                break
            }
        }
        guard let venv else { return nil }
        var newest: (Double, String)?
        if let config = try? host.status(venv + "/pyvenv.cfg", followLinks: true) { newest = (config.modified, venv + "/pyvenv.cfg") }
        for entry in ((try? host.list(venv + "/lib")) ?? []).filter({ $0.hasPrefix("python") }).prefix(4) {
            let sitePackages = venv + "/lib/" + entry + "/site-packages"
            if let status = try? host.status(sitePackages, followLinks: true), status.modified > (newest?.0 ?? -.infinity) {
                newest = (status.modified, sitePackages)
            }
        }
        guard let (venvModified, source) = newest else { return nil }
        let releasePath = layout.path(ofRelease: id)
        var directories = [releasePath]
        if let sub = references.appSubdirectory, !sub.isEmpty { directories.append(Self.normalize(releasePath + sub)) }
        var files: [ReleaseTimestampedFile] = []
        for directory in directories {
            let names = (try? host.list(directory)) ?? []
            let wanted = names.filter { name in
                (name.hasPrefix("requirements") && name.hasSuffix(".txt")) || Self.dependencyFiles.contains(name)
            }.prefix(16)
            for name in wanted {
                let path = directory + "/" + name
                if let status = try? host.status(path, followLinks: true), status.kind == .regular {
                    files.append(ReleaseTimestampedFile(path: path, modified: status.modified))
                }
            }
        }
        return ReleaseDependencies(venv: venv, venvModified: venvModified, venvModifiedSource: source, files: files)
    }

    // MARK: Sockets

    private func sockets(of layout: ReleaseLayout) -> [ReleaseSocket] {
        let root = layout.root
        var paths: [String] = []
        var routed = Set<String>()
        for route in facts.routes {
            for case let .unix(path) in route.target.endpoints {
                routed.insert(path)
                if !paths.contains(path) { paths.append(path) }
            }
        }
        for endpoint in facts.appServers.flatMap(\.endpoints) + layout.services.flatMap(\.binds) {
            if case let .unix(path) = endpoint, !paths.contains(path) { paths.append(path) }
        }
        var sockets: [ReleaseSocket] = []
        for path in paths where Self.normalize(path).hasPrefix(root + "/") {
            var realPath = Self.normalize(path)
            if let rest = Self.throughCurrent(path, root: root), let id = layout.current.release {
                realPath = layout.path(ofRelease: id) + rest
            }
            let kind: FileKind
            do {
                kind = FileKind(try host.status(path, followLinks: true).kind)
            } catch {
                if case .notFound = error { kind = .missing } else { kind = .unknown }
            }
            let holders = facts.listeners(for: .unix(path: path)).flatMap(\.pids)
            var holderReleases: [String] = []
            for pid in holders {
                let master = facts.appServers.first { $0.masterPID == pid || $0.workerPIDs.contains(pid) }?.masterPID ?? pid
                if let release = layout.processes.first(where: { $0.pid == master })?.release ?? facts.process(pid)?.cwd
                    .flatMap({ Self.release(of: $0, root: root)?.id }), !holderReleases.contains(release) {
                    holderReleases.append(release)
                }
            }
            sockets.append(ReleaseSocket(path: path, realPath: realPath, release: Self.release(of: realPath, root: root)?.id,
                                         kind: kind, holders: Array(Set(holders)).sorted(), holderReleases: holderReleases,
                                         routed: routed.contains(path)))
        }
        return sockets
    }
}
