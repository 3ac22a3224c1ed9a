import DoctorFacts

/// `proxy-config-invalid`: the proxy's own config test (`nginx -t` with the running
/// instance's `-p/-c/-g`) fails. A running nginx keeps serving its old config, but the
/// next reload or restart fails, and a stopped one cannot start. When the test cannot
/// run, syntax errors found by gwdoctor's own parser are reported instead, as a warning.
public struct ProxyConfigInvalidCheck: Check {
    public init() {}

    public let id = "proxy-config-invalid"
    public let title = "The proxy configuration does not pass its own test"
    public let layer = Layer.proxy
    public let rationale = """
        nginx refuses to start or reload with a config that fails `nginx -t`; a reload attempt then \
        leaves the old workers running, so the site may look fine until the next restart. A stopped \
        nginx with an invalid config is why it is down. `nginx -t` passes many 502 causes (a missing \
        socket, a glob matching nothing), so passing it proves only the syntax.
        """
    public let fixText = """
        Fix the line nginx names (file:line in the test output), run `nginx -t` with the same -p/-c \
        until it passes, and only then reload. Never reload with a failing test.
        """
    public let precedence = 10

    public func run(_ facts: Facts) -> [Finding] {
        facts.proxies.compactMap { proxy in
            if let test = proxy.configTest, test.passed == false { return failedTest(proxy, test) }
            if proxy.configTest?.passed == nil { return parserErrors(proxy) }
            return nil
        }
    }

    private func failedTest(_ proxy: ProxyInstance, _ test: ConfigTest) -> Finding {
        let fatal = test.messages.filter { ["emerg", "alert", "crit"].contains($0.level) }
        let shown = fatal.isEmpty ? test.messages : fatal
        var evidence = shown.prefix(5).map {
            Evidence(kind: .command, text: "[\($0.level)] \($0.text)", source: $0.location?.description)
        }
        if evidence.isEmpty {
            evidence.append(Evidence(kind: .command, text: "exit status \(test.command.exitCode.map(String.init) ?? "none")"))
        }
        evidence.append(Evidence(kind: .command, text: "run it yourself", source: test.command.commandLine))
        let first = fatal.first ?? test.messages.first
        let place = first?.location.map { " at \($0)" } ?? ""
        let what = first.map { ": \($0.text)" } ?? ""
        let running = proxy.masterPID != nil
        // The same story for both proxies, in each one's words: a running proxy keeps its old
        // config, and the next reload or restart fails.
        let caddy = proxy.kind == .caddy
        let (name, runner, testName) = caddy ? ("Caddy", "caddy", "`caddy validate`") : ("nginx", "master", "`nginx -t`")
        let summary = "\(name) config \(proxy.configPath) fails \(testName)\(what)\(place); "
            + (running ? "the running \(runner) keeps its old config, the next reload or restart will fail" : "\(name) cannot start until it is fixed")
        var fix: [String] = []
        if let location = first?.location { fix.append("Fix \(location) (\(first?.text ?? "see the test output"))") }
        fix.append("Re-run the test until it passes: \(test.command.commandLine)")
        if !running {
            fix.append(caddy ? "Then start Caddy: systemctl start caddy" : "Then start nginx")
        } else if caddy {
            fix.append("Then reload: systemctl reload caddy (never before the test passes; with `admin off` in the Caddyfile a reload cannot reach Caddy and only systemctl restart caddy applies it)")
        } else {
            fix.append("Then reload: nginx -s reload (never reload before the test passes)")
        }
        return Finding(check: id, layer: layer, severity: running ? .warning : .critical, summary: summary,
                       evidence: evidence, fix: fix)
    }

    private func parserErrors(_ proxy: ProxyInstance) -> Finding? {
        let structural: Set<ConfigDiagnostic.Kind> = [.syntax, .missingInclude, .includeCycle, .binary]
        let errors = proxy.diagnostics.filter { structural.contains($0.kind) }
        guard !errors.isEmpty else { return nil }
        var evidence = errors.prefix(5).map {
            Evidence(kind: .config, text: $0.message, source: $0.location?.description)
        }
        let reason = proxy.configTest?.command.failure ?? "it could not judge the config"
        let tester = proxy.kind == .caddy ? "caddy validate" : "nginx -t"
        evidence.append(Evidence(kind: .command, text: "\(tester) could not be used: \(reason)"))
        let first = errors[0]
        return Finding(check: id, layer: layer, severity: proxy.masterPID == nil ? .critical : .warning,
                       summary: "gwdoctor's parser finds \(errors.count) error(s) in \(proxy.configPath) (first: \(first)); \(tester) could not confirm",
                       evidence: evidence,
                       fix: ["Fix \(first.location?.description ?? proxy.configPath): \(first.message)",
                             "Confirm with \(configTestCommand(proxy)) before any reload"])
    }
}
