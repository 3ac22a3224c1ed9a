import DoctorFacts
import Foundation
import Yams

/// One compose file (`compose.yaml`, `compose.yml`, `docker-compose.yml`, `docker-compose.yaml`)
/// read into the fields a 502 depends on, each service with its `file:line`.
///
/// Parsed from Yams's node tree, not with Decodable, so that every service and key keeps the
/// line it is written on; anchors, aliases and `<<` merge keys are resolved as YAML defines them.
///
/// Variables are interpolated as the compose specification says (`ComposeInterpolator`), from
/// the project's `.env` file only (`ComposeVariables`), in the fields the diagnosis reads:
/// `ports`, `expose`, `volumes`, `network_mode`, `container_name`, `command`, `entrypoint` and
/// `healthcheck`. Each such value keeps its text as written and where each variable came from
/// (`ComposeInterpolation`: `.env:3` or `default`). A variable that neither `.env` nor a default
/// sets leaves its field not resolvable: reported with its `file:line` and listed in
/// `ComposeService.unresolved`, never guessed. Other fields are not interpolated. Environment
/// values are never kept, only their keys.
public struct ComposeFile: Hashable, Sendable {
    /// The names Compose looks for in a directory, in its order of preference.
    public static let defaultNames = ["compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml"]
    /// Compose files are small; a bigger one is refused rather than parsed.
    public static let maxBytes = 4 << 20
    /// More services than any real project has: the rest are dropped with a diagnostic.
    static let maxServices = 1000

    public var path: String
    /// Top-level `name:`.
    public var name: String?
    public var services: [ComposeService]
    public var networks: [String]
    public var volumes: [String]
    /// `include:` entries (other compose files, as written), which are not followed.
    public var includes: [String]
    public var diagnostics: [ConfigDiagnostic]
    /// 1-based lines holding an `environment:` entry with a value (`- KEY=value`, `KEY: value`),
    /// for a snapshot recording to mask (`Host.maskValues`); block scalars are left to `Redactor`.
    public var environmentValueLines: Set<Int> = []
    /// `.env` variables whose values this file's diagnosis fields use and a snapshot may keep: those
    /// in ports, expose, volumes, `network_mode` and `container_name`, and those in a command or
    /// healthcheck whose value is a port, an address or a path. Every other `.env` value is masked.
    public var keptVariables: Set<String> = []

    public init(path: String, name: String? = nil, services: [ComposeService] = [], networks: [String] = [],
                volumes: [String] = [], includes: [String] = [], diagnostics: [ConfigDiagnostic] = []) {
        self.path = path
        self.name = name
        self.services = services
        self.networks = networks
        self.volumes = volumes
        self.includes = includes
        self.diagnostics = diagnostics
    }

    /// Parses a compose file's bytes. `projectDirectory` is what relative paths resolve
    /// against (the first file's directory, or `--project-directory`). Never throws: bad
    /// YAML, binary data and oversized files come back as diagnostics with no services.
    /// `variables` is the project's `.env` (`.none` when there is none: defaults written in the text apply).
    public static func parse(_ bytes: [UInt8], path: String, projectDirectory: String, variables: ComposeVariables = .none) -> ComposeFile {
        var file = ComposeFile(path: path)
        guard bytes.count <= maxBytes else {
            file.diagnostics.append(ConfigDiagnostic(kind: .tooLarge, message: "\(bytes.count) bytes, over the \(maxBytes)-byte limit for a compose file",
                                                     location: SourceLocation(file: path, line: 0)))
            return file
        }
        guard !bytes.contains(0), let text = String(validating: bytes, as: UTF8.self) else {
            file.diagnostics.append(ConfigDiagnostic(kind: .binary, message: "not UTF-8 text: not a compose file",
                                                     location: SourceLocation(file: path, line: 0)))
            return file
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            file.diagnostics.append(syntaxDiagnostic(error, path: path))
            return file
        } catch {
            file.diagnostics.append(ConfigDiagnostic(kind: .syntax, message: "YAML error", location: SourceLocation(file: path, line: 0)))
            return file
        }
        guard let root else { return file }
        guard root.mapping != nil else {
            file.diagnostics.append(ConfigDiagnostic(kind: .syntax, message: "the top level is not a mapping: not a compose file",
                                                     location: SourceLocation(file: path, line: ComposeYAMLNode.line(root))))
            return file
        }
        var reader = ServiceReader(path: path, directory: projectDirectory, variables: variables)
        for entry in ComposeYAMLNode.entries(root) {
            switch entry.key {
            case "name":
                file.name = ComposeYAMLNode.string(entry.value)
            case "services":
                guard entry.value.mapping != nil || ComposeYAMLNode.string(entry.value) == nil else {
                    reader.note("`services` is not a mapping", entry.keyNode)
                    continue
                }
                for (index, service) in ComposeYAMLNode.entries(entry.value).enumerated() {
                    guard index < maxServices else {
                        reader.note("more than \(maxServices) services: the rest are not read", service.keyNode)
                        break
                    }
                    file.services.append(reader.service(name: service.key, keyNode: service.keyNode, node: service.value))
                }
            case "networks":
                file.networks = ComposeYAMLNode.entries(entry.value).map(\.key)
            case "volumes":
                file.volumes = ComposeYAMLNode.entries(entry.value).map(\.key)
            case "include":
                let items = entry.value.sequence.map { Array($0) } ?? [entry.value]
                for item in items {
                    let included = ComposeYAMLNode.string(item) ?? ComposeYAMLNode.strings(ComposeYAMLNode.value(item, "path")).first
                    if let included { file.includes.append(included) }
                }
                reader.diagnostics.append(ConfigDiagnostic(kind: .missingInclude,
                                                           message: "`include:` (\(file.includes.joined(separator: ", "))) is not followed: pass each included file with --compose-file",
                                                           location: SourceLocation(file: path, line: ComposeYAMLNode.line(entry.keyNode))))
            default:
                break
            }
        }
        file.diagnostics += reader.diagnostics
        file.environmentValueLines = reader.environmentValueLines
        file.keptVariables = reader.keptVariables
        return file
    }

    /// A message with the line of the problem, without the YAML text (which Yams's own
    /// description quotes, and which may hold a secret).
    static func syntaxDiagnostic(_ error: YamlError, path: String) -> ConfigDiagnostic {
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _), let .composer(context, problem, mark, _):
            let text = [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ": ")
            return ConfigDiagnostic(kind: .syntax, message: "YAML error: \(text)", location: SourceLocation(file: path, line: mark.line))
        case let .reader(problem, _, _, _):
            return ConfigDiagnostic(kind: .binary, message: "YAML reader error: \(problem)", location: SourceLocation(file: path, line: 0))
        default:
            return ConfigDiagnostic(kind: .syntax, message: "YAML error", location: SourceLocation(file: path, line: 0))
        }
    }

    /// Files merged the way `docker compose -f a -f b` does, closely enough for diagnosis:
    /// a later file's scalar fields replace an earlier one's, its ports, expose and
    /// environment keys are added, and its volumes replace those with the same target.
    public static func merge(_ files: [ComposeFile]) -> (services: [ComposeService], networks: [String], volumes: [String]) {
        var services: [ComposeService] = []
        var networks: [String] = []
        var volumes: [String] = []
        for file in files {
            for name in file.networks where !networks.contains(name) { networks.append(name) }
            for name in file.volumes where !volumes.contains(name) { volumes.append(name) }
            for service in file.services {
                guard let index = services.firstIndex(where: { $0.name == service.name }) else {
                    services.append(service)
                    continue
                }
                services[index] = overlay(services[index], with: service)
            }
        }
        return (services, networks, volumes)
    }

    private static func overlay(_ base: ComposeService, with other: ComposeService) -> ComposeService {
        var result = base
        result.image = other.image ?? base.image
        result.build = other.build ?? base.build
        var replaced: Set<String> = []
        if other.command != nil { replaced.insert("command") }
        if other.entrypoint != nil { replaced.insert("entrypoint") }
        if other.containerName != nil { replaced.insert("container_name") }
        if other.networkMode != nil { replaced.insert("network_mode") }
        if other.healthcheck != nil { replaced.insert("healthcheck") }
        result.unresolved = base.unresolved.subtracting(replaced).union(other.unresolved)
        result.interpolations = base.interpolations.filter { !replaced.contains($0.field) } + other.interpolations
        if other.command != nil {
            result.command = other.command
            result.commandSource = other.commandSource
            result.binds = other.binds
            result.appServer = other.appServer
        }
        if other.entrypoint != nil { result.entrypoint = other.entrypoint }
        result.containerName = other.containerName ?? base.containerName
        result.ports += other.ports
        result.expose += other.expose.filter { !base.expose.contains($0) }
        if !other.networks.isEmpty { result.networks = other.networks }
        result.networkMode = other.networkMode ?? base.networkMode
        result.volumes = base.volumes.filter { mount in !other.volumes.contains { $0.target == mount.target } } + other.volumes
        result.healthcheck = other.healthcheck ?? base.healthcheck
        result.restart = other.restart ?? base.restart
        result.dependsOn += other.dependsOn.filter { !base.dependsOn.contains($0) }
        result.environmentKeys += other.environmentKeys.filter { !base.environmentKeys.contains($0) }
        result.envFiles += other.envFiles.filter { !base.envFiles.contains($0) }
        if !other.profiles.isEmpty { result.profiles = other.profiles }
        return result
    }
}

/// Reads one service mapping, collecting diagnostics.
struct ServiceReader {
    let path: String
    let directory: String
    var variables: ComposeVariables = .none
    var diagnostics: [ConfigDiagnostic] = []
    var environmentValueLines: Set<Int> = []
    var keptVariables: Set<String> = []
    /// The service being read: fields that could not be resolved, and how the others were.
    var unresolved: Set<String> = []
    var interpolations: [ComposeInterpolation] = []

    init(path: String, directory: String, variables: ComposeVariables = .none) {
        self.path = path
        self.directory = directory
        self.variables = variables
    }

    /// A field's text with its variables substituted, and how; `nil` (with a diagnostic, and the
    /// field listed as unresolved) when a variable has no value. `shown` is what the diagnostic
    /// quotes (a command's text is not quoted: it may hold a secret).
    mutating func interpolate(_ text: String, field: String, at node: Node?, shown: String? = nil) -> (String, ComposeInterpolation?)? {
        guard text.contains("$") else { return (text, nil) }
        switch variables.interpolate(text) {
        case let .success((value, uses)):
            keep(uses, value: value, field: field)
            let written = ["command", "entrypoint", "healthcheck"].contains(field) ? Redactor.redact(text) : text
            return (value, ComposeInterpolation(field: field, written: written, variables: uses, envFile: variables.envFilePath))
        case let .failure(failure):
            unresolved.insert(field)
            diagnostics.append(ConfigDiagnostic(kind: .syntax, message: "\(shown ?? "`\(text)`") (\(field)) is not resolvable: \(failure.reason)",
                                                location: location(node)))
            return nil
        }
    }

    /// Variables whose `.env` values a snapshot may keep (see `ComposeFile.keptVariables`).
    private mutating func keep(_ uses: [ComposeVariableUse], value: String, field: String) {
        let structural = !["command", "entrypoint", "healthcheck"].contains(field)
        for use in uses where use.envLine != nil {
            guard let entry = variables.lookup(use.name) else { continue }
            if structural || Self.isPlainSetting(entry.value) { keptVariables.insert(use.name) }
        }
    }

    /// A port, an address (with a port), or a path: what a command's bind option takes, and no secret.
    static func isPlainSetting(_ value: String) -> Bool {
        guard value.count <= 256 else { return false }
        if !value.isEmpty, value.count <= 5, value.allSatisfy(\.isNumber) { return true }
        let pathCharacters = value.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-/".contains($0)) }
        if value.hasPrefix("/") && pathCharacters { return true }
        if value.hasPrefix("unix:/") && value.dropFirst(5).allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-/".contains($0)) }) { return true }
        // 0.0.0.0:8000, [::]:8000, 127.0.0.1
        let address = value.hasPrefix("[") ? value : String(value.split(separator: ":", maxSplits: 1).first ?? "")
        if value.allSatisfy({ $0.isNumber || ".:[]".contains($0) || ("a"..."f").contains($0) || ("A"..."F").contains($0) }),
           address.contains(".") || address.contains(":") || address.hasPrefix("[") {
            return true
        }
        return false
    }

    /// A scalar field interpolated: `nil` when absent or not resolvable.
    mutating func scalar(_ node: Node?, field: String) -> (String, ComposeInterpolation?)? {
        guard let text = ComposeYAMLNode.string(node) else { return nil }
        return interpolate(text, field: field, at: node)
    }

    /// Several texts of one field interpolated into one record; `nil` when any is not resolvable.
    mutating func interpolateAll(_ items: [(String, Node?)], field: String, written: String, shown: String? = nil) -> ([String], ComposeInterpolation?)? {
        var values: [String] = []
        var uses: [ComposeVariableUse] = []
        for (text, node) in items {
            guard let (value, record) = interpolate(text, field: field, at: node, shown: shown) else { return nil }
            values.append(value)
            uses += record?.variables ?? []
        }
        let hasVariables = items.contains { $0.0.contains("$") }
        let record = hasVariables ? ComposeInterpolation(field: field, written: written, variables: uses, envFile: variables.envFilePath) : nil
        return (values, record)
    }

    mutating func note(_ message: String, _ node: Node?) {
        diagnostics.append(ConfigDiagnostic(kind: .syntax, message: message,
                                            location: SourceLocation(file: path, line: ComposeYAMLNode.line(node))))
    }

    func location(_ node: Node?) -> SourceLocation {
        SourceLocation(file: path, line: ComposeYAMLNode.line(node))
    }

    mutating func service(name: String, keyNode: Node, node: Node) -> ComposeService {
        var service = ComposeService(name: name, source: location(keyNode))
        unresolved = []
        interpolations = []
        for entry in ComposeYAMLNode.entries(node) {
            let value = entry.value
            switch entry.key {
            case "image":
                service.image = ComposeYAMLNode.string(value)
            case "build":
                service.build = ComposeYAMLNode.string(value) ?? ComposeYAMLNode.string(ComposeYAMLNode.value(value, "context")) ?? "."
            case "command":
                service.command = argv(value, field: "command")
                service.commandSource = location(entry.keyNode)
            case "entrypoint":
                service.entrypoint = argv(value, field: "entrypoint")
            case "container_name":
                service.containerName = resolvedScalar(value, field: "container_name")
            case "ports":
                service.ports = ports(value)
            case "expose":
                service.expose = expose(value)
            case "networks":
                service.networks = networks(value)
            case "network_mode":
                service.networkMode = resolvedScalar(value, field: "network_mode")
            case "volumes":
                service.volumes = mounts(value)
            case "healthcheck":
                service.healthcheck = healthcheck(value, keyNode: entry.keyNode)
            case "restart":
                service.restart = ComposeYAMLNode.string(value)
            case "deploy":
                if service.restart == nil,
                   let condition = ComposeYAMLNode.string(ComposeYAMLNode.value(ComposeYAMLNode.value(value, "restart_policy"), "condition")) {
                    service.restart = condition
                }
            case "depends_on":
                service.dependsOn = value.mapping != nil ? ComposeYAMLNode.entries(value).map(\.key) : ComposeYAMLNode.strings(value)
            case "environment":
                service.environmentKeys = environmentKeys(value)
            case "env_file":
                let items = value.sequence.map { Array($0) } ?? [value]
                service.envFiles = items.compactMap { ComposeYAMLNode.string($0) ?? ComposeYAMLNode.string(ComposeYAMLNode.value($0, "path")) }
                    .map { resolve($0) }
            case "profiles":
                service.profiles = ComposeYAMLNode.strings(value)
            case "extends":
                let from = ComposeYAMLNode.string(value) ?? ComposeYAMLNode.string(ComposeYAMLNode.value(value, "service")) ?? "?"
                let file = ComposeYAMLNode.string(ComposeYAMLNode.value(value, "file"))
                diagnostics.append(ConfigDiagnostic(kind: .missingInclude,
                                                    message: "service \(name) `extends: \(from)`\(file.map { " from \($0)" } ?? "") is not followed: what it inherits is not known",
                                                    location: location(entry.keyNode)))
            default:
                break
            }
        }
        let parsed = ComposeCommand.appServer(command: service.command, entrypoint: service.entrypoint)
        // A command whose variables are not known may bind anywhere: no bind is read from it
        // (an app server's default bind would be a guess), only which server it runs.
        let commandKnown = unresolved.isDisjoint(with: ["command", "entrypoint"])
        service.binds = commandKnown ? parsed?.binds ?? [] : []
        service.appServer = parsed?.kind
        service.unresolved = unresolved
        service.interpolations = interpolations
        return service
    }

    /// A scalar field with its variables substituted (and recorded); `nil` when absent or not resolvable.
    mutating func resolvedScalar(_ node: Node, field: String) -> String? {
        guard let (value, record) = scalar(node, field: field) else { return nil }
        if let record { interpolations.append(record) }
        return value
    }

    /// `command`/`entrypoint`: a list is argv as is; a string is split like a shell would
    /// (Compose does the same), after interpolation (Compose interpolates the string first).
    /// When a variable is not resolvable the argv is kept as written, for evidence, and the
    /// field is listed as unresolved.
    mutating func argv(_ node: Node, field: String) -> [String]? {
        let shown = "the \(field)"
        if let sequence = node.sequence {
            let items = sequence.compactMap { item in ComposeYAMLNode.string(item).map { ($0, Optional(item)) } }
            let written = items.map(\.0).joined(separator: " ")
            guard let (values, record) = interpolateAll(items, field: field, written: written, shown: shown) else { return items.map(\.0) }
            if let record { interpolations.append(record) }
            return values
        }
        guard let text = ComposeYAMLNode.string(node) else { return nil }
        let resolved = interpolate(text, field: field, at: node, shown: shown)
        if let record = resolved?.1 { interpolations.append(record) }
        let line = resolved?.0 ?? text
        return SupervisorShlex.split(line) ?? line.split(separator: " ").map(String.init)
    }

    /// `expose:` items after interpolation; one not resolvable is left out (and the field listed).
    mutating func expose(_ node: Node) -> [String] {
        let items: [Node] = node.sequence.map { Array($0) } ?? [node]
        return items.compactMap { item in scalar(item, field: "expose")?.0 }
    }

    mutating func ports(_ node: Node) -> [ComposePort] {
        var result: [ComposePort] = []
        for item in node.sequence.map({ Array($0) }) ?? [] {
            if item.mapping != nil {
                let keys = ["target", "published", "host_ip", "protocol"]
                let written = keys.map { key in (key, ComposeYAMLNode.string(ComposeYAMLNode.value(item, key))) }
                let present = written.compactMap { key, text in text.map { (key, $0) } }
                let raw = present.filter { $0.0 == "target" || $0.0 == "published" }.map { "\($0.0): \($0.1)" }.joined(separator: " ")
                guard let (values, record) = interpolateAll(present.map { ($0.1, Optional(item)) }, field: "ports", written: raw) else { continue }
                let resolved = Dictionary(uniqueKeysWithValues: zip(present.map(\.0), values))
                guard let targetText = resolved["target"], let containerRange = ComposePortSyntax.range(Substring(targetText)) else {
                    note("a `ports` entry without a numeric target", item)
                    continue
                }
                var port = ComposePort(containerPort: containerRange.0, containerPortEnd: containerRange.1,
                                       hostIP: resolved["host_ip"].flatMap { $0.isEmpty ? nil : $0 },
                                       protocolName: resolved["protocol"]?.lowercased() ?? "tcp",
                                       raw: raw, source: location(item))
                port.interpolation = record
                if let published = resolved["published"], !published.isEmpty {
                    guard let range = ComposePortSyntax.range(Substring(published)) else {
                        note("`published: \(published)` is not a port", item)
                        continue
                    }
                    port.publishedPort = range.0
                    port.publishedPortEnd = range.1
                }
                result.append(port)
            } else if let text = ComposeYAMLNode.string(item) {
                guard let (resolved, record) = interpolate(text, field: "ports", at: item) else { continue }
                guard var port = ComposePortSyntax.parse(resolved, source: location(item)) else {
                    note(record == nil ? "`\(text)` is not a port mapping" : "`\(text)` (= `\(resolved)`) is not a port mapping", item)
                    continue
                }
                port.raw = text
                port.interpolation = record
                result.append(port)
            }
        }
        return result
    }

    func networks(_ node: Node) -> [ComposeServiceNetwork] {
        if node.sequence != nil { return ComposeYAMLNode.strings(node).map { ComposeServiceNetwork(name: $0) } }
        return ComposeYAMLNode.entries(node).map { entry in
            ComposeServiceNetwork(name: entry.key, aliases: ComposeYAMLNode.strings(ComposeYAMLNode.value(entry.value, "aliases")))
        }
    }

    mutating func mounts(_ node: Node) -> [ComposeMount] {
        var result: [ComposeMount] = []
        for item in node.sequence.map({ Array($0) }) ?? [] {
            if item.mapping != nil {
                let keys = ["type", "source", "target"]
                let present = keys.compactMap { key in ComposeYAMLNode.string(ComposeYAMLNode.value(item, key)).map { (key, $0) } }
                let raw = present.map { "\($0.0): \($0.1)" }.joined(separator: " ")
                guard let (values, record) = interpolateAll(present.map { ($0.1, Optional(item)) }, field: "volumes", written: raw) else { continue }
                let resolved = Dictionary(uniqueKeysWithValues: zip(present.map(\.0), values))
                guard let target = resolved["target"], !target.isEmpty else {
                    note("a `volumes` entry without a target", item)
                    continue
                }
                let type = resolved["type"] ?? "volume"
                var source = resolved["source"].flatMap { $0.isEmpty ? nil : $0 }
                if type == "bind", let path = source { source = resolve(path) }
                var mount = ComposeMount(type: type, source: source, target: target,
                                         readOnly: ComposeYAMLNode.bool(ComposeYAMLNode.value(item, "read_only")) ?? false,
                                         location: location(item))
                mount.interpolation = record
                result.append(mount)
            } else if let written = ComposeYAMLNode.string(item) {
                guard let (text, record) = interpolate(written, field: "volumes", at: item) else { continue }
                let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
                defer { if record != nil, !result.isEmpty, result[result.count - 1].location == location(item) { result[result.count - 1].interpolation = record } }
                switch parts.count {
                case 1:
                    result.append(ComposeMount(type: "volume", source: nil, target: parts[0], location: location(item)))
                case 2, 3:
                    let isBind = parts[0].hasPrefix("/") || parts[0].hasPrefix(".") || parts[0].hasPrefix("~")
                    let options = parts.count == 3 ? parts[2].split(separator: ",") : []
                    result.append(ComposeMount(type: isBind ? "bind" : "volume", source: isBind ? resolve(parts[0]) : parts[0],
                                               target: parts[1], readOnly: options.contains("ro"), location: location(item)))
                default:
                    note("`\(text)` is not a volume mount", item)
                }
            }
        }
        return result
    }

    mutating func healthcheck(_ node: Node, keyNode: Node) -> ComposeHealthcheck {
        let testNode = ComposeYAMLNode.value(node, "test")
        var test: [String] = []
        if let sequence = testNode?.sequence {
            test = sequence.compactMap { ComposeYAMLNode.string($0) }
        } else if let text = ComposeYAMLNode.string(testNode) {
            test = ["CMD-SHELL", text]
        }
        // The test as written stays when a variable in it is not known (listed as unresolved).
        if test.contains(where: { $0.contains("$") }),
           let (values, record) = interpolateAll(test.map { ($0, testNode) }, field: "healthcheck", written: test.joined(separator: " "), shown: "the healthcheck test") {
            test = values
            if let record { interpolations.append(record) }
        }
        func seconds(_ key: String) -> Double? {
            ComposeYAMLNode.string(ComposeYAMLNode.value(node, key)).flatMap(ComposeDuration.seconds)
        }
        let disabled = ComposeYAMLNode.bool(ComposeYAMLNode.value(node, "disable")) == true || test.first == "NONE"
        return ComposeHealthcheck(test: test, intervalSeconds: seconds("interval"), timeoutSeconds: seconds("timeout"),
                                  retries: ComposeYAMLNode.string(ComposeYAMLNode.value(node, "retries")).flatMap { Int($0) },
                                  startPeriodSeconds: seconds("start_period"), disabled: disabled, source: location(keyNode))
    }

    /// Keys only: `KEY=value`, `KEY`, or a mapping's keys. Values are never read.
    mutating func environmentKeys(_ node: Node) -> [String] {
        if node.mapping != nil {
            let entries = ComposeYAMLNode.entries(node)
            // `KEY: value` on one line; block scalars (`KEY: |`) and empty values are left to Redactor.
            for entry in entries {
                guard let scalar = entry.value.scalar, !scalar.string.isEmpty, scalar.style != .literal, scalar.style != .folded,
                      ComposeYAMLNode.line(entry.value) == ComposeYAMLNode.line(entry.keyNode) else { continue }
                environmentValueLines.insert(ComposeYAMLNode.line(entry.keyNode))
            }
            return entries.map(\.key)
        }
        for item in node.sequence.map({ Array($0) }) ?? [] {
            if let text = ComposeYAMLNode.string(item), text.contains("="), !text.contains("\n") {
                environmentValueLines.insert(ComposeYAMLNode.line(item))
            }
        }
        return ComposeYAMLNode.strings(node).compactMap { item in
            let key = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? item
            return key.isEmpty ? nil : key
        }
    }

    func resolve(_ path: String) -> String {
        if path.hasPrefix("~") { return path }
        return AppServerPath.resolve(path, against: directory)
    }
}
