import DoctorFacts
import DoctorParsers
import Foundation

/// Turns a manager-neutral `ServiceSpec` (what a systemd unit or a supervisord program says)
/// into a `ServiceDefinition` fact by looking at the host: every path is stat'ed the way the
/// manager follows it, `User=`/`Group=` are looked up in the account database, environment
/// files are parsed for their keys (never values), and `DJANGO_SETTINGS_MODULE` is resolved
/// to a module file.
///
/// Usage, from any service gatherer:
/// ```swift
/// let (accounts, problems) = ServiceDefinitionResolver.readAccounts(host)
/// let (definition, unavailable) = ServiceDefinitionResolver(host: host, accounts: accounts).resolve(spec)
/// service.definition = definition
/// ```
/// Nothing here throws: what cannot be read becomes an `Unavailable` and a `.unknown` kind
/// (or a `nil` answer), so the static checks stay silent rather than guess.
public struct ServiceDefinitionResolver: Sendable {
    public let host: any Host
    /// `nil` when /etc/passwd or /etc/group could not be read: accounts then resolve to `exists: nil`.
    public let accounts: AccountDatabase?

    /// Environment files and settings modules are small; anything larger is not one.
    static let maxEnvFileBytes = 1 << 20
    static let maxSourceBytes = 1 << 20
    /// An executable larger than this is not a generated entry-point script.
    static let maxScriptBytes = 64 << 10
    /// tmpfiles.d(5) directories, in systemd's precedence order.
    static let tmpfilesDirectories = ["/etc/tmpfiles.d", "/run/tmpfiles.d", "/usr/local/lib/tmpfiles.d",
                                      "/usr/lib/tmpfiles.d", "/lib/tmpfiles.d"]
    /// The PATH systemd (≥ 239) searches for a bare `ExecStart=` name, and supervisord's usual one.
    static let searchPath = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]
    static let settingsVariable = "DJANGO_SETTINGS_MODULE"

    public init(host: any Host, accounts: AccountDatabase?) {
        self.host = host
        self.accounts = accounts
    }

    /// Reads /etc/passwd and /etc/group; `nil` (with why) when either cannot be read, since a
    /// missing file must not make every account look unknown.
    public static func readAccounts(_ host: any Host) -> (AccountDatabase?, [Unavailable]) {
        var texts: [String] = []
        var unavailable: [Unavailable] = []
        for path in ["/etc/passwd", "/etc/group"] {
            do {
                texts.append(String(decoding: try host.readFile(path, maxBytes: 4 << 20), as: UTF8.self))
            } catch {
                unavailable.append(Unavailable(what: path, reason: error.description))
            }
        }
        guard texts.count == 2 else { return (nil, unavailable) }
        return (AccountDatabase(passwd: texts[0], group: texts[1]), [])
    }

    /// The resolved definition, and what could not be read while resolving it.
    public func resolve(_ spec: ServiceSpec) -> (ServiceDefinition, [Unavailable]) {
        var unavailable: [Unavailable] = []
        var definition = ServiceDefinition()
        let workingDirectory = spec.workingDirectory.map { normalize($0.path) }

        if let workingDirectory, let written = spec.workingDirectory {
            definition.workingDirectory = ServicePath(path: workingDirectory, kind: kind(workingDirectory, &unavailable),
                                                      optional: written.optional, location: written.location)
        }
        if let first = spec.command.first {
            let executable = resolveExecutable(first, workingDirectory: workingDirectory, unavailable: &unavailable)
            definition.executable = ServicePath(path: executable.path, kind: executable.kind, location: spec.commandLocation)
            if executable.kind == .regular {
                definition.interpreter = interpreter(of: executable.path, location: spec.commandLocation, &unavailable)
            }
        }

        // The environment, in the order later settings override earlier ones: inline,
        // then environment files (systemd: they override Environment=), then gunicorn's -e.
        var settings = spec.settingsModule
        definition.environment = spec.environment
        for file in spec.environmentFiles {
            let (entry, module) = readEnvironmentFile(file, dialect: spec.environmentFileDialect, &unavailable)
            definition.environmentFiles.append(entry)
            if let module { settings = module }
        }
        let options = Self.commandOptions(spec.command)
        for file in options.dotenvFiles {
            let path = file.hasPrefix("/") ? normalize(file) : workingDirectory.map { normalize($0 + "/" + file) } ?? file
            // Optional: uvicorn's loader does not refuse a missing file.
            let (entry, module) = readEnvironmentFile(ServiceSpec.Path(path, optional: true, location: spec.commandLocation),
                                                      dialect: .dotenv, &unavailable)
            definition.environmentFiles.append(entry)
            if let module { settings = module }
        }
        for assignment in options.environment {
            definition.environment.append(ServiceEnvironmentVariable(name: assignment.name, isEmpty: assignment.value.isEmpty,
                                                                     location: spec.commandLocation ?? "the command line"))
            if assignment.name == Self.settingsVariable {
                settings = ServiceSetting(value: assignment.value, location: spec.commandLocation)
            }
        }

        // DynamicUser=yes: systemd allocates the user (and group) at every start.
        definition.user = spec.user.map { setting in
            ServiceAccount(name: setting.value, exists: spec.dynamicUser ? true
                               : accounts.map { $0.user(named: setting.value) != nil || Self.isNumericID(setting.value) },
                           location: setting.location)
        }
        definition.group = spec.group.map { setting in
            ServiceAccount(name: setting.value, exists: spec.dynamicUser ? true
                               : accounts.map { $0.group(named: setting.value) != nil || Self.isNumericID(setting.value) },
                           location: setting.location)
        }
        definition.runtimeDirectories = spec.runtimeDirectories.map { "/run/" + $0.trimmingCharacters(in: CharacterSet(charactersIn: "/")) }
        definition.restart = spec.restart

        // Socket directories, and what recreates them at boot.
        var socketDirectories: [String] = []
        for socket in spec.unixSockets where socket.hasPrefix("/") {
            let directory = (normalize(socket) as NSString).deletingLastPathComponent
            if !socketDirectories.contains(directory) { socketDirectories.append(directory) }
        }
        definition.socketDirectories = socketDirectories.map { ServicePath(path: $0, kind: kind($0, &unavailable)) }
        definition.bootCreatedDirectories = spec.bootCreatedDirectories + Self.createdDirectories(spec.preStartCommands)
        let runDirectories = Set(socketDirectories.map(Self.runPath).filter { $0.hasPrefix("/run/") })
        if !runDirectories.isEmpty {
            definition.bootCreatedDirectories += tmpfilesEntries(for: runDirectories, &unavailable)
        }

        // Where Python imports the app from: --chdir, --app-dir and --pythonpath, then the working directory.
        var searchDirectories: [String] = []
        for directory in options.importDirectories {
            let absolute = directory.hasPrefix("/") ? normalize(directory) : workingDirectory.map { normalize($0 + "/" + directory) }
            if let absolute, !searchDirectories.contains(absolute) { searchDirectories.append(absolute) }
        }
        if let workingDirectory, !searchDirectories.contains(workingDirectory) { searchDirectories.append(workingDirectory) }
        // An installed settings package imports from the virtualenv the command runs from.
        if let executable = definition.executable, executable.kind == .regular {
            searchDirectories += sitePackages(ofVirtualenvHolding: executable.path, &unavailable)
        }

        if let settings {
            definition.settingsModule = resolveModule(settings, in: searchDirectories, &unavailable)
            // PYTHONPATH's value is not kept, and a server config file may chdir or extend the
            // path: the module may well be found through them.
            if definition.settingsModule?.exists == false,
               definition.environmentNames.contains("PYTHONPATH") || options.configFile != nil {
                definition.settingsModule?.exists = nil
            }
            definition.djangoMarkers.append("\(Self.settingsVariable) is set (\(settings.location ?? "in its environment"))")
        }
        for directory in searchDirectories where kind(directory + "/manage.py", &unavailable) == .regular {
            definition.djangoMarkers.append("\(directory)/manage.py exists")
            break
        }
        for target in options.appTargets {
            guard let file = moduleFile(target, in: searchDirectories, &unavailable),
                  let text = readSource(file, &unavailable), text.contains("django") else { continue }
            definition.djangoMarkers.append("\(file) (the app the command serves) uses Django")
            break
        }
        if let found = definition.settingsModule?.foundFile {
            var dotenvReaders: [String] = []
            definition.secretKeySetting = secretKeySetting(found, module: definition.settingsModule?.module ?? "",
                                                            searchDirectories: searchDirectories, dotenvReaders: &dotenvReaders,
                                                            &unavailable)
            if let reader = dotenvReaders.first {
                definition.environmentFiles += appDotenvFiles(settingsFile: found, searchDirectories: searchDirectories,
                                                              readBy: reader, &unavailable)
            }
        }
        return (definition, unavailable)
    }

    // MARK: - Paths

    /// What is at `path`, followed as the manager follows it (stat, not lstat).
    func kind(_ path: String, _ unavailable: inout [Unavailable]) -> FileKind {
        do {
            return FileKind(try host.status(path, followLinks: true).kind)
        } catch {
            if case .notFound = error { return .missing }
            unavailable.append(Unavailable(what: "service path \(path)", reason: error.description))
            return .unknown
        }
    }

    /// An absolute path as given; a relative one against the working directory; a bare name
    /// searched in the manager's PATH (`.unknown` when no directory holds it: the real PATH may differ).
    func resolveExecutable(_ word: String, workingDirectory: String?,
                           unavailable: inout [Unavailable]) -> (path: String, kind: FileKind) {
        if word.hasPrefix("/") { return (normalize(word), kind(normalize(word), &unavailable)) }
        if word.contains("/") {
            guard let workingDirectory else { return (word, .unknown) }
            let path = normalize(workingDirectory + "/" + word)
            return (path, kind(path, &unavailable))
        }
        for directory in Self.searchPath {
            var ignored: [Unavailable] = []
            let candidate = directory + "/" + word
            if kind(candidate, &ignored) == .regular { return (candidate, .regular) }
        }
        return (word, .unknown)
    }

    /// The `#!` interpreter of a script, when it names an absolute path (`#!/usr/bin/env python3`
    /// is resolved by PATH at run time and not judged). Console scripts are a few hundred bytes;
    /// a file over the bound is a binary, not a script.
    func interpreter(of path: String, location: String?, _ unavailable: inout [Unavailable]) -> ServicePath? {
        guard let head = try? host.readFile(path, maxBytes: Self.maxScriptBytes), head.starts(with: Array("#!".utf8)) else {
            return nil
        }
        return shebangPath(head, location: location, &unavailable)
    }

    private func shebangPath(_ head: [UInt8], location: String?, _ unavailable: inout [Unavailable]) -> ServicePath? {
        let line = head.dropFirst(2).prefix { $0 != UInt8(ascii: "\n") }
        let text = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespaces)
        guard let word = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).first, word.hasPrefix("/") else { return nil }
        let path = String(word)
        return ServicePath(path: path, kind: kind(path, &unavailable), location: location)
    }

    /// `/var/run/x` is `/run/x` on every systemd distribution (a symlink).
    static func runPath(_ path: String) -> String {
        path.hasPrefix("/var/run/") ? String(path.dropFirst("/var".count)) : path
    }

    static func isNumericID(_ value: String) -> Bool { !value.isEmpty && value.allSatisfy(\.isNumber) }

    /// Removes `.`/`..`/`//` without touching the file system.
    func normalize(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/") {
            if part == "." { continue }
            if part == ".." { _ = parts.popLast(); continue }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }

    // MARK: - Environment files

    /// Keys (never values) of one environment file, and `DJANGO_SETTINGS_MODULE` when it sets it.
    func readEnvironmentFile(_ file: ServiceSpec.Path, dialect: EnvFileDialect,
                             _ unavailable: inout [Unavailable]) -> (ServiceEnvironmentFile, ServiceSetting?) {
        let path = file.path
        let fileKind = kind(path, &unavailable)
        let servicePath = ServicePath(path: path, kind: fileKind, optional: file.optional, location: file.location)
        guard fileKind != .missing else { return (ServiceEnvironmentFile(file: servicePath, keys: nil, unreadableReason: "missing"), nil) }
        let bytes: [UInt8]
        do {
            bytes = try host.readFile(path, maxBytes: Self.maxEnvFileBytes)
        } catch {
            unavailable.append(Unavailable(what: "environment file \(path)", reason: error.description))
            return (ServiceEnvironmentFile(file: servicePath, keys: nil, unreadableReason: error.description), nil)
        }
        if bytes.contains(0) {
            let reason = "\(path): binary content, not an environment file"
            unavailable.append(Unavailable(what: "environment file \(path)", reason: reason))
            return (ServiceEnvironmentFile(file: servicePath, keys: nil, unreadableReason: reason), nil)
        }
        let text = String(decoding: bytes, as: UTF8.self)
        let contents = EnvFile.parse(text, file: path, dialect: dialect)
        let keys = contents.keys.map { ServiceEnvironmentVariable(name: $0.name, isEmpty: $0.isEmpty, location: "\(path):\($0.line)") }
        // Env values are secrets whatever their names, and a line that is no assignment may be a
        // secret pasted without its name: a snapshot keeps the names, whether each is empty, the
        // settings module (which the replay resolves again) and why a line is not an assignment.
        let valueLines = contents.keys.filter { !$0.isEmpty && $0.name != Self.settingsVariable }.map(\.line)
        host.maskValues(path, onLines: Set(valueLines + contents.problems.map(\.line)))
        var settings: ServiceSetting?
        if let key = contents.key(Self.settingsVariable), !key.isEmpty,
           let value = Self.assignedValue(text, line: key.line, name: Self.settingsVariable) {
            settings = ServiceSetting(value: value, location: "\(path):\(key.line)")
        }
        return (ServiceEnvironmentFile(file: servicePath, keys: keys), settings)
    }

    /// The value on `NAME=value` at `line` (1-based), unquoted, for a variable that is not a
    /// secret (`DJANGO_SETTINGS_MODULE`); `nil` when it does not look like a dotted module name.
    static func assignedValue(_ text: String, line: Int, name: String) -> String? {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if let first = lines.first, first.hasPrefix("\u{FEFF}") { lines[0] = first.dropFirst() }
        guard line >= 1, line <= lines.count, let equals = lines[line - 1].firstIndex(of: "=") else { return nil }
        return moduleName(String(lines[line - 1][lines[line - 1].index(after: equals)...]))
    }

    /// A dotted Python module name from a raw value (quotes, spaces and a trailing comment stripped).
    static func moduleName(_ raw: String) -> String? {
        var value = raw.trimmingCharacters(in: .whitespaces)
        if let hash = value.range(of: " #") { value = String(value[..<hash.lowerBound]) }
        value = value.trimmingCharacters(in: CharacterSet(charactersIn: " \t\r\"'"))
        let valid = !value.isEmpty && value.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { part in
            guard let first = part.first, first.isLetter || first == "_" else { return false }
            return part.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" }
        }
        return valid ? value : nil
    }

    /// `DJANGO_SETTINGS_MODULE`'s value in the words of a systemd `Environment=` line or a
    /// supervisor `environment=` value (`A=1 "DJANGO_SETTINGS_MODULE=x.y"`, `A="1",DJANGO_SETTINGS_MODULE="x.y"`).
    public static func settingsModule(inAssignments text: String) -> String? {
        guard let range = text.range(of: settingsVariable + "=") else { return nil }
        // `"NAME=value"` (systemd quotes the whole assignment): that quote closes the value.
        var outerQuote: Character?
        if range.lowerBound > text.startIndex {
            let before = text[text.index(before: range.lowerBound)]
            guard before == " " || before == "\t" || before == "," || before == "\"" || before == "'" else { return nil }
            if before == "\"" || before == "'" { outerQuote = before }
        }
        let rest = text[range.upperBound...]
        var value = ""
        var quote: Character?
        for character in rest {
            if quote == nil, character == outerQuote { break }
            if let open = quote {
                if character == open { quote = nil } else { value.append(character) }
                continue
            }
            if character == "\"" || character == "'" { quote = character; continue }
            if character == " " || character == "\t" || character == "," { break }
            value.append(character)
        }
        return moduleName(value)
    }

    // MARK: - Boot-created directories

    /// Directories `mkdir [-p] DIR…` or `install -d DIR…` create (only absolute ones).
    static func createdDirectories(_ commands: [(argv: [String], location: String?)]) -> [ServiceSetting] {
        var created: [ServiceSetting] = []
        for command in commands {
            guard let program = command.argv.first.map({ ($0 as NSString).lastPathComponent }) else { continue }
            let arguments = command.argv.dropFirst()
            let isMkdir = program == "mkdir"
            let isInstallDirectory = program == "install" && arguments.contains { $0 == "-d" || $0 == "--directory" }
            guard isMkdir || isInstallDirectory else { continue }
            var skipNext = false
            for argument in arguments {
                if skipNext { skipNext = false; continue }
                // Options taking a value: -m MODE, -o OWNER, -g GROUP (install), -m MODE (mkdir).
                if ["-m", "-o", "-g", "--mode", "--owner", "--group"].contains(argument) { skipNext = true; continue }
                guard !argument.hasPrefix("-"), argument.hasPrefix("/") else { continue }
                created.append(ServiceSetting(value: runPath(argument.count > 1 && argument.hasSuffix("/") ? String(argument.dropLast()) : argument),
                                              location: command.location))
            }
        }
        return created
    }

    /// tmpfiles.d `d`/`D`/`v`/`q`/`Q` lines creating one of `directories` (paths under /run).
    func tmpfilesEntries(for directories: Set<String>, _ unavailable: inout [Unavailable]) -> [ServiceSetting] {
        var entries: [ServiceSetting] = []
        var seenNames = Set<String>()
        for directory in Self.tmpfilesDirectories {
            let names: [String]
            do {
                names = try host.list(directory)
            } catch {
                if case .notFound = error { continue }
                unavailable.append(Unavailable(what: "tmpfiles.d directory \(directory)", reason: error.description))
                continue
            }
            // A file name in an earlier directory masks the same name in later ones.
            for name in names where name.hasSuffix(".conf") && !seenNames.contains(name) {
                seenNames.insert(name)
                let path = directory + "/" + name
                let bytes: [UInt8]
                do {
                    bytes = try host.readFile(path, maxBytes: Self.maxSourceBytes)
                } catch {
                    // Why (permission, too large) tells the operator what to fix.
                    unavailable.append(Unavailable(what: "tmpfiles.d file \(path)", reason: error.description))
                    continue
                }
                for (index, line) in String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                    let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
                    guard fields.count >= 2, let type = fields[0].first, "dDvqQ".contains(type) else { continue }
                    let target = Self.runPath(normalize(String(fields[1])))
                    if directories.contains(target) {
                        entries.append(ServiceSetting(value: target, location: "\(path):\(index + 1)"))
                    }
                }
            }
        }
        return entries
    }

    // MARK: - Python modules

    /// `pkg.mod` → `DIR/pkg/mod.py` or `DIR/pkg/mod/__init__.py` in the first directory holding it.
    func moduleFile(_ module: String, in directories: [String], _ unavailable: inout [Unavailable]) -> String? {
        let relative = module.split(separator: ".").joined(separator: "/")
        for directory in directories {
            for candidate in [directory + "/" + relative + ".py", directory + "/" + relative + "/__init__.py"]
            where kind(candidate, &unavailable) == .regular {
                return candidate
            }
        }
        return nil
    }

    func resolveModule(_ setting: ServiceSetting, in directories: [String],
                       _ unavailable: inout [Unavailable]) -> SettingsModuleReference {
        let location = setting.location ?? "the service's environment"
        guard let module = Self.moduleName(setting.value) else {
            // Not a module name at all: it cannot import from anywhere.
            return SettingsModuleReference(module: setting.value, location: location, searchDirectory: directories.first,
                                           foundFile: nil, exists: directories.isEmpty ? nil : false)
        }
        guard !directories.isEmpty else {
            return SettingsModuleReference(module: module, location: location, searchDirectory: nil, foundFile: nil, exists: nil)
        }
        let before = unavailable.count
        let found = moduleFile(module, in: directories, &unavailable)
        // A directory that could not be stat'ed leaves the answer open.
        let exists: Bool? = found != nil ? true : (unavailable.count > before ? nil : false)
        return SettingsModuleReference(module: module, location: location, searchDirectory: directories.joined(separator: ":"),
                                       foundFile: found, exists: exists)
    }

    func readSource(_ path: String, _ unavailable: inout [Unavailable]) -> String? {
        do {
            return String(decoding: try host.readFile(path, maxBytes: Self.maxSourceBytes), as: UTF8.self)
        } catch {
            unavailable.append(Unavailable(what: "python module \(path)", reason: error.description))
            return nil
        }
    }

    /// How the settings module sets `SECRET_KEY`: its last assignment, else the modules it
    /// star-imports (`from .base import *`), at most three levels deep.
    func secretKeySetting(_ file: String, module: String, searchDirectories: [String], dotenvReaders: inout [String],
                          _ unavailable: inout [Unavailable], depth: Int = 0) -> SecretKeySetting? {
        guard depth < 4, let text = readSource(file, &unavailable) else { return nil }
        if Self.dotenvMarkers.contains(where: text.contains) { dotenvReaders.append(file) }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        var starImports: [String] = []
        for (index, raw) in lines.enumerated().reversed() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("SECRET_KEY"), let equals = line.firstIndex(of: "="),
               line[line.index(line.startIndex, offsetBy: "SECRET_KEY".count)..<equals].allSatisfy({ $0 == " " }) {
                let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
                return Self.classifySecretKey(value, location: "\(file):\(index + 1)")
            }
            if line.hasPrefix("from "), line.hasSuffix("import *") {
                starImports.append(String(line.dropFirst(5).dropLast("import *".count)).trimmingCharacters(in: .whitespaces))
            }
        }
        let package = module.split(separator: ".").dropLast().map(String.init)
        for imported in starImports {
            let absolute: String
            if imported.hasPrefix(".") {
                let dots = imported.prefix { $0 == "." }.count
                // `from .base import *` in mysite/settings/prod.py is mysite.settings.base.
                let isPackage = file.hasSuffix("/__init__.py")
                var parent = isPackage ? module.split(separator: ".").map(String.init) : package
                parent = Array(parent.dropLast(max(0, dots - 1)))
                let rest = imported.dropFirst(dots)
                absolute = (parent + (rest.isEmpty ? [] : [String(rest)])).joined(separator: ".")
            } else {
                absolute = imported
            }
            guard let next = moduleFile(absolute, in: searchDirectories, &unavailable) else { continue }
            if let found = secretKeySetting(next, module: absolute, searchDirectories: searchDirectories,
                                            dotenvReaders: &dotenvReaders, &unavailable, depth: depth + 1) {
                return found
            }
        }
        return nil
    }

    /// Calls that load a `.env` file into the environment at import time (django-environ,
    /// python-dotenv, python-decouple's `config`, which reads `.env` itself).
    static let dotenvMarkers = ["read_env(", "load_dotenv(", "from decouple", "import decouple"]

    /// `.env` files the app itself loads: next to the settings file, in its parents up to the
    /// search directory, and in the search directories. Listed as optional (nothing fails when
    /// they are absent), with where they are loaded from, so their keys count as the environment.
    func appDotenvFiles(settingsFile: String, searchDirectories: [String], readBy reader: String,
                        _ unavailable: inout [Unavailable]) -> [ServiceEnvironmentFile] {
        var directories: [String] = []
        var directory = (settingsFile as NSString).deletingLastPathComponent
        for _ in 0..<4 {
            directories.append(directory)
            if searchDirectories.contains(directory) || directory == "/" { break }
            directory = (directory as NSString).deletingLastPathComponent
        }
        directories += searchDirectories.filter { !directories.contains($0) }
        var files: [ServiceEnvironmentFile] = []
        for directory in directories {
            let path = (directory == "/" ? "" : directory) + "/.env"
            var ignored: [Unavailable] = []
            guard kind(path, &ignored) == .regular else { continue }
            let (file, _) = readEnvironmentFile(ServiceSpec.Path(path, optional: true, location: "loaded by \(reader)"),
                                                dialect: .dotenv, &unavailable)
            files.append(file)
        }
        return files
    }

    /// `VENV/lib/pythonX.Y/site-packages` when `executable` is `VENV/bin/NAME` of a virtualenv (`pyvenv.cfg`).
    func sitePackages(ofVirtualenvHolding executable: String, _ unavailable: inout [Unavailable]) -> [String] {
        let bin = (executable as NSString).deletingLastPathComponent
        guard (bin as NSString).lastPathComponent == "bin" else { return [] }
        let venv = (bin as NSString).deletingLastPathComponent
        var ignored: [Unavailable] = []
        guard kind(venv + "/pyvenv.cfg", &ignored) == .regular, let versions = try? host.list(venv + "/lib") else { return [] }
        return versions.filter { $0.hasPrefix("python") }.map { "\(venv)/lib/\($0)/site-packages" }
    }

    /// The right-hand side of `SECRET_KEY = …`: a literal, or a read of a named variable.
    static func classifySecretKey(_ value: String, location: String) -> SecretKeySetting {
        if value.hasPrefix("\"") || value.hasPrefix("'") || value.hasPrefix("r\"") || value.hasPrefix("r'")
            || value.hasPrefix("b\"") || value.hasPrefix("b'") {
            return SecretKeySetting(source: .literal, location: location)
        }
        let value = value.range(of: " #").map { String(value[..<$0.lowerBound]) } ?? value
        let readers = ["environ", "getenv", "env(", "env.str(", "config(", "get_env", "env_var"]
        guard readers.contains(where: value.contains) else { return SecretKeySetting(source: .other, location: location) }
        // `os.environ.get("K", "dev")`, `env("K", default=…)`, `os.getenv("K") or "dev"`: a fallback
        // value means an absent variable does not stop the app.
        let call = value.drop { $0 != "(" }
        if value.contains("default=") || value.contains(" or ")
            || ((value.contains(".get(") || value.contains("getenv(")) && Self.hasSecondArgument(call)) {
            return SecretKeySetting(source: .other, location: location)
        }
        // The first quoted upper-case name in the call is the variable read.
        var variable: String?
        var quote: Character?
        var current = ""
        for character in value {
            if let open = quote {
                if character == open {
                    if !current.isEmpty, current.allSatisfy({ $0.isUppercase || $0.isNumber || $0 == "_" }) { variable = current; break }
                    quote = nil
                    current = ""
                } else {
                    current.append(character)
                }
            } else if character == "\"" || character == "'" {
                quote = character
            }
        }
        return SecretKeySetting(source: .environment, variable: variable, location: location)
    }

    /// Whether `(a, b)` has a comma at the call's top level (outside quotes and nested brackets).
    static func hasSecondArgument(_ call: Substring) -> Bool {
        var depth = 0
        var quote: Character?
        for character in call {
            if let open = quote {
                if character == open { quote = nil }
                continue
            }
            switch character {
            case "\"", "'": quote = character
            case "(", "[", "{": depth += 1
            case ")", "]", "}":
                depth -= 1
                if depth == 0 { return false }
            case "," where depth == 1: return true
            default: break
            }
        }
        return false
    }

    // MARK: - The app server's command line

    /// What an app server's argv says about imports and environment, beyond where it binds.
    struct CommandOptions {
        /// `--chdir` (gunicorn, uWSGI), `--app-dir` (uvicorn), `--pythonpath` (gunicorn, comma-separated), in that order.
        var importDirectories: [String] = []
        /// gunicorn `-e/--env NAME=VALUE`. Values are only used for `DJANGO_SETTINGS_MODULE`.
        var environment: [(name: String, value: String)] = []
        /// `pkg.wsgi` of `pkg.wsgi:application` and uWSGI `--module pkg.wsgi`.
        var appTargets: [String] = []
        /// uvicorn `--env-file FILE` (python-dotenv): loaded into the environment at start.
        var dotenvFiles: [String] = []
        /// gunicorn `-c/--config`, uWSGI `--ini`/`--yaml`/`--xml`/`--json`: a file that may set
        /// `chdir`, `pythonpath` or the environment where this argv does not show it.
        var configFile: String?
    }

    static func commandOptions(_ argv: [String]) -> CommandOptions {
        var options = CommandOptions()
        var chdir: [String] = [], appDir: [String] = [], pythonpath: [String] = []
        let isUWSGI = argv.first.map { ($0 as NSString).lastPathComponent.hasPrefix("uwsgi") } ?? false
        var index = 1
        func value(_ word: String, _ spellings: [String]) -> String? {
            for spelling in spellings {
                if word == spelling, index + 1 < argv.count { index += 1; return argv[index] }
                if spelling.hasPrefix("--"), word.hasPrefix(spelling + "=") { return String(word.dropFirst(spelling.count + 1)) }
                if !spelling.hasPrefix("--"), word.hasPrefix(spelling), word.count > spelling.count { return String(word.dropFirst(spelling.count)) }
            }
            return nil
        }
        while index < argv.count {
            let word = argv[index]
            if let directory = value(word, ["--chdir"]) {
                chdir.append(directory)
            } else if let directory = value(word, ["--app-dir"]) {
                appDir.append(directory)
            } else if let paths = value(word, ["--pythonpath", "--pp"]) {
                pythonpath += paths.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
            } else if let assignment = value(word, ["--env", "-e"]), let equals = assignment.firstIndex(of: "=") {
                options.environment.append((String(assignment[..<equals]), String(assignment[assignment.index(after: equals)...])))
            } else if isUWSGI, let module = value(word, ["--module", "-w", "--wsgi"]) {
                options.appTargets.append(String(module.split(separator: ":").first ?? ""))
            } else if !isUWSGI, let file = value(word, ["--env-file"]) {
                options.dotenvFiles.append(file)
            } else if let file = value(word, isUWSGI ? ["--ini", "--yaml", "--xml", "--json"] : ["--config", "-c"]) {
                options.configFile = file
            } else if !word.hasPrefix("-"), word.contains(":"), !word.contains("/"), !word.contains("="),
                      let module = word.split(separator: ":").first, moduleName(String(module)) != nil {
                options.appTargets.append(String(module))
            }
            index += 1
        }
        // The last --chdir wins; it is where the process runs, so it is searched first.
        options.importDirectories = Array(chdir.suffix(1)) + appDir.suffix(1) + pythonpath
        return options
    }
}
