import DoctorFacts

/// `compose-healthcheck-failing`: a service's healthcheck cannot pass, so the service stays
/// `unhealthy` and everything that `depends_on` it with `condition: service_healthy` never
/// starts (a proxy that waits for the app, for one).
///
/// From the compose file alone: the test runs `curl` or `wget` in an image that ships neither
/// (`python:*-slim`, distroless; `curl` in `*-alpine`), or probes a port the service's app server
/// does not bind. With an engine: the container's health is `unhealthy`, with the last probe's
/// output as evidence. Differs from `compose-container-down`: the container runs; only its
/// health (and what waits on it) is wrong.
public struct ComposeHealthcheckFailingCheck: Check {
    public init() {}

    public let id = "compose-healthcheck-failing"
    public let title = "A compose service's healthcheck keeps it unhealthy"
    public let layer = Layer.upstream
    public let rationale = """
        A healthcheck that cannot succeed looks like an app failure but is not one: `curl -f \
        http://localhost:8000/health` in a `python:3.12-slim` image exits 127 (`curl: not found`) \
        on every probe, a test against port 8080 when gunicorn binds 8000 is refused, and the \
        service is marked unhealthy after `retries` failures. `depends_on: {web: {condition: \
        service_healthy}}` then keeps the proxy from starting, and orchestrators restart or stop \
        routing to a working app. Found from the image and the test when no engine runs; the \
        engine's `unhealthy` status and last probe output confirm it when one does.
        """
    public let fixText = """
        Make the test runnable and aimed at the app: install curl in the image or use Python \
        (`python -c "import urllib.request; urllib.request.urlopen('http://localhost:8000/health')"`), \
        probe the port the app binds, and give slow boots a `start_period`; then `docker compose up -d`.
        """
    public let precedence = 47

    public func run(_ facts: Facts) -> [Finding] {
        var findings: [Finding] = []
        for project in facts.composeProjects {
            for service in project.services {
                let unhealthy = project.containers(of: service.name).filter { $0.health == "unhealthy" && $0.state == "running" }
                let check = service.healthcheck
                // A test (or command) whose variables are not known is not read for problems.
                let readable = service.unresolved.isDisjoint(with: ["healthcheck", "command", "entrypoint"])
                let found: Problem? = check.flatMap { $0.disabled || !readable ? nil : problem(service, $0) }
                guard found != nil || !unhealthy.isEmpty else { continue }
                var evidence: [Evidence] = []
                if let check {
                    evidence.append(Evidence(kind: .config, text: "healthcheck test: \(ComposeFacts.shown(service, field: "healthcheck") ?? Redactor.redact(check.commandLine))"
                                             + (check.retries.map { ", retries \($0)" } ?? "")
                                             + (check.startPeriodSeconds.map { ", start_period \(Self.seconds($0))" } ?? ""),
                                             source: check.source.description))
                }
                evidence.append(ComposeFacts.serviceEvidence(service))
                if let found { evidence += found.evidence }
                for container in unhealthy.prefix(2) {
                    evidence.append(Evidence(kind: .service, text: "container \(container.name): health unhealthy"
                                             + (container.lastHealthOutput.map { "; last probe: \($0)" } ?? ""),
                                             source: "docker inspect --format '{{json .State.Health}}' \(container.name)"))
                }
                let waiting = project.services.filter { $0.dependsOn.contains(service.name) }.map(\.name)
                let consequence = waiting.isEmpty ? "" : "; \(waiting.joined(separator: ", ")) depend\(waiting.count == 1 ? "s" : "") on it"
                let reason = found?.summary ?? "the engine reports it unhealthy"
                findings.append(Finding(
                    check: id, layer: layer, severity: unhealthy.isEmpty ? .warning : .critical,
                    summary: "\(service.name)'s healthcheck keeps it unhealthy: \(reason)\(consequence)",
                    evidence: evidence,
                    fix: [found?.fix ?? Self.runByHand(project, service, check),
                          "Then \(ComposeFacts.composeCommand(project, "up -d \(service.name)")) and watch `docker inspect --format '{{json .State.Health}}'`"],
                    cause: found?.cause ?? "unhealthy"))
            }
        }
        return findings
    }

    private struct Problem {
        var summary: String
        var evidence: [Evidence]
        var fix: String
        var cause: String
    }

    private func problem(_ service: ComposeService, _ check: ComposeHealthcheck) -> Problem? {
        let line = check.commandLine
        let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == ";" || $0 == "|" || $0 == "&" }).map(String.init)
        let tool = words.first { $0 == "curl" || $0 == "wget" || $0.hasSuffix("/curl") || $0.hasSuffix("/wget") }
            .map { $0.split(separator: "/").last.map(String.init) ?? $0 }
        if let tool, let image = service.image, let lacking = Self.imageLacks(tool, image: image) {
            return Problem(summary: "its test runs \(tool), which \(image) does not ship (\(lacking)), so every probe fails with `\(tool): not found`",
                           evidence: [Evidence(kind: .command, text: "is \(tool) in the image", source: "docker run --rm --entrypoint sh \(image) -c 'command -v \(tool)'")],
                           fix: "Install \(tool) in the image (a Dockerfile `RUN apt-get install -y --no-install-recommends \(tool)`), or test with Python: test: [\"CMD\", \"python\", \"-c\", \"import urllib.request; urllib.request.urlopen('http://localhost:\(port(of: service) ?? 8000)/')\"] at \(check.source)",
                           cause: "probe-tool-missing")
        }
        if let probed = Self.probedLocalPort(line), let bound = port(of: service), probed != bound,
           !service.containerTCPPorts.contains(probed) {
            return Problem(summary: "its test probes port \(probed), but \(service.appServer ?? "the app") binds \(bound)",
                           evidence: [ComposeFacts.commandEvidence(service)].compactMap { $0 },
                           fix: "Probe the port the app binds: change \(probed) to \(bound) in the test at \(check.source)",
                           cause: "wrong-port")
        }
        return nil
    }

    /// The app server's TCP port inside the container, when its command says.
    private func port(of service: ComposeService) -> Int? {
        for bind in service.binds { if case let .tcp(_, port)? = bind.endpoint { return port } }
        return nil
    }

    /// Why a well-known image lacks the tool, or `nil` when it has it or is not known.
    static func imageLacks(_ tool: String, image: String) -> String? {
        let name = image.lowercased()
        if name.contains("distroless") { return "distroless images have no shell tools" }
        let tag = name.split(separator: "/").last.map(String.init) ?? name
        let repository = tag.split(separator: ":").first.map(String.init) ?? tag
        let version = tag.split(separator: ":").dropFirst().first.map(String.init) ?? ""
        let slimmed = ["python", "node", "ruby", "golang", "openjdk", "debian", "php"]
        if slimmed.contains(repository), version.contains("slim") {
            return "Debian slim images ship neither curl nor wget"
        }
        if version.contains("alpine") || repository == "alpine" {
            return tool == "curl" ? "Alpine images ship busybox wget, not curl" : nil
        }
        return nil
    }

    /// `localhost:8080` / `127.0.0.1:8080` in a test command.
    static func probedLocalPort(_ line: String) -> Int? {
        let characters = Array(line)
        for host in ["localhost:", "127.0.0.1:", "0.0.0.0:", "[::1]:"] {
            let needle = Array(host)
            guard characters.count >= needle.count else { continue }
            for start in 0...(characters.count - needle.count) where Array(characters[start..<(start + needle.count)]) == needle {
                let digits = characters[(start + needle.count)...].prefix { $0.isNumber }
                if let port = Int(String(digits)) { return port }
            }
        }
        return nil
    }

    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value))s" : "\(value)s"
    }

    /// The test to run by hand. One written with variables is given as written, its values to
    /// be taken from `.env` (they may be secrets under names no redactor recognises).
    static func runByHand(_ project: ComposeProject, _ service: ComposeService, _ check: ComposeHealthcheck?) -> String {
        if let written = service.interpolations.first(where: { $0.field == "healthcheck" }) {
            return "Run the test by hand, with the values \(written.envFile ?? ".env") gives \(written.variables.map(\.name).joined(separator: ", ")): "
                + ComposeFacts.composeCommand(project, "exec \(service.name) \(Redactor.redact(Self.withoutTestKind(written.written)))")
        }
        return "Run the test by hand: \(ComposeFacts.composeCommand(project, "exec \(service.name) \(Redactor.redact(check?.commandLine ?? "true"))"))"
    }

    /// `CMD curl …` / `CMD-SHELL curl …` → `curl …`: the test's kind is Compose's, not the shell's.
    static func withoutTestKind(_ text: String) -> String {
        for kind in ["CMD-SHELL ", "CMD "] where text.hasPrefix(kind) { return String(text.dropFirst(kind.count)) }
        return text
    }
}
