import DoctorFacts
import DoctorHost

/// Turns a diagnosis into a `RemedyPlan`. Pure: it reads the facts and the ranked findings
/// and never touches the host, so every rule here is tested on built facts.
///
/// Rules (DESIGN.md safety rules; docs/REMEDY.md):
/// - An app service is restarted only when the upstream failed (a finding in
///   `upstreamFailures`), its manager (supervisord or systemd) reports it down, and a route
///   points at one of its binds. The proxy is never restarted for an upstream failure; a
///   service whose command is the proxy itself is never picked.
/// - A unix socket of such a service that exists as a socket file with no listener is stale:
///   the step removes it (guards re-checked at run time) and starts the service.
/// - A running nginx whose config files changed on disk after its workers started
///   (`proxy-config-not-loaded`) and whose test passes gets a validate-then-reload step, last.
/// - A running nginx or Caddy whose config test failed gets a validate-then-reload step, last:
///   the executor runs the test again right before (`nginx -t`, `caddy validate`), and a
///   failing test stops the plan. A Caddy is reloaded only through its own admin endpoint;
///   with `admin off` the step stops at "restart Caddy yourself" (`CaddyReloadAccess`).
/// - Everything else a finding proposes (edit a config line, add an env var, change a
///   group) becomes a `manual` step with the finding's exact fix lines, never applied.
public enum RemedyPlanner {
    /// Findings that mean "the app server behind the route is not serving".
    public static let upstreamFailures: Set<String> = [
        "target-not-listening", "socket-missing", "socket-stale", "upstream-group-down",
        "crash-loop", "app-startup-crash", "oom-killed",
    ]

    /// Findings an automatic service step answers fully (the service is down; starting it is the fix).
    /// `app-startup-crash` and `oom-killed` are not among them: a restart does not fix their
    /// cause, so their fix is shown to a person as well.
    static let answeredByRestart: Set<String> = ["target-not-listening", "socket-missing", "socket-stale",
                                                 "upstream-group-down", "crash-loop"]

    /// `proxy-config-not-loaded`: answered by test-then-reload when the test passes.
    static let notLoadedCheck = "proxy-config-not-loaded"

    /// Program names that are proxies: never restarted as "the app service".
    static let proxyPrograms: Set<String> = ["nginx", "caddy", "haproxy", "traefik", "apache2", "httpd"]

    public static func plan(facts: Facts, status: Status, verdict: Verdict, findings: [Finding]) -> RemedyPlan {
        var plan = RemedyPlan(status: status, verdict: verdict)
        let actionable = findings.filter { $0.severity == .critical || $0.severity == .warning }
        guard status != .ok, !actionable.isEmpty else {
            plan.notes.append(status == .ok ? "The diagnosis is ok: nothing to fix." : "No finding proposes a change.")
            return plan
        }
        if facts.fromSnapshot {
            plan.notes.append("Planned from a snapshot: it can only be shown, never applied (nothing on this machine is what the snapshot recorded).")
        }

        var automatic: [RemedyStep] = []
        var servedRoutes = Set<String>()
        if actionable.contains(where: { upstreamFailures.contains($0.check) }) {
            for service in facts.services {
                let routes = self.routes(of: service, in: facts)
                guard ServiceRef.isDown(service), !routes.isEmpty, !isProxy(service) else { continue }
                guard let ref = ServiceRef(service), ref.command(.restart) != nil else {
                    plan.notes.append("\(service.manager) \(service.name) is down, but gwdoctor cannot drive it "
                        + (service.manager == "supervisor" ? "(its supervisord config is unknown)" : "(no service manager runs it)")
                        + "; start it yourself.")
                    continue
                }
                servedRoutes.formUnion(routes)
                if let socket = staleSocket(of: service, in: facts) {
                    automatic.append(.removeStaleSocket(path: socket, service: ref, routes: routes))
                } else {
                    let reason = "\(service.state ?? "down")\(service.stateDetail.map { $0.isEmpty ? "" : " (\($0))" } ?? ""); serves \(routes.joined(separator: ", "))"
                    automatic.append(.restartService(ref, reason: reason, routes: routes))
                }
            }
        }

        var reloads: [RemedyStep] = []
        // The running nginx read its config before files on disk changed: a reload is the fix, and
        // only when its test passes now (with a failing test the reload below is still planned, and
        // refused by the executor's fresh test; the finding's fix shows the test's error).
        let notLoaded = actionable.contains { $0.check == notLoadedCheck }
        var reloadsForNotLoaded = false
        for proxy in facts.proxies where proxy.kind == .nginx || proxy.kind == .caddy {
            guard let master = proxy.masterPID, let test = proxy.configTest else { continue }
            let unloadedChange = notLoaded && proxy.kind == .nginx && test.passed == true && proxy.generation?.changedFiles.isEmpty == false
            guard test.passed == false || unloadedChange else { continue }
            if unloadedChange {
                reloadsForNotLoaded = true
                let files = proxy.generation?.changedFiles.map(\.path).joined(separator: ", ") ?? ""
                reloads.append(.validateThenReload(ProxyReload(proxy: proxy.kind, configPath: proxy.configPath, prefix: proxy.prefix,
                                                               masterPID: master, masterCommandLine: proxy.masterCmdline,
                                                               lastTest: "passed; changed on disk since the workers started: \(files)")))
                continue
            }
            // A Caddy started without a command line gwdoctor can read (`caddy start`'s parent, the API) is not reloaded.
            let caddy = proxy.kind == .caddy ? CaddyReloadAccess.running(proxy.masterCmdline) : nil
            if proxy.kind == .caddy, caddy == nil { continue }
            let first = test.messages.first { ["emerg", "alert", "crit"].contains($0.level) } ?? test.messages.first
            let said = first.map { "[\($0.level)] \($0.text)" + ($0.location.map { " at \($0)" } ?? "") } ?? "failed"
            reloads.append(.validateThenReload(ProxyReload(proxy: proxy.kind, configPath: proxy.configPath, prefix: proxy.prefix,
                                                           masterPID: master, masterCommandLine: proxy.masterCmdline,
                                                           lastTest: said, adapter: proxy.configAdapter ?? caddy?.adapter)))
        }

        var manual: [RemedyStep] = []
        var seen = Set<String>()
        for finding in actionable {
            if answeredByRestart.contains(finding.check), !automatic.isEmpty,
               finding.route.map(servedRoutes.contains) ?? true {
                continue
            }
            // The test-then-reload step is that finding's whole fix.
            if finding.check == notLoadedCheck, reloadsForNotLoaded { continue }
            guard !finding.fix.isEmpty, seen.insert(finding.check + "\u{0}" + finding.summary).inserted else { continue }
            manual.append(.manual(description: "\(finding.check): \(finding.summary)", commands: finding.fix))
        }

        plan.steps = manual + automatic + reloads
        if automatic.isEmpty, reloads.isEmpty {
            plan.notes.append("Nothing here can be repaired automatically: the steps above are for a person.")
        }
        return plan
    }

    /// Labels of the routes whose target is one of the service's binds.
    public static func routes(of service: ManagedService, in facts: Facts) -> [String] {
        let binds = Set(service.binds.compactMap(\.endpoint))
        var labels: [String] = []
        for route in facts.routes where route.target.endpoints.contains(where: binds.contains) {
            if !labels.contains(route.label) { labels.append(route.label) }
        }
        return labels
    }

    /// A unix socket the service binds that is a socket file nothing listens on.
    static func staleSocket(of service: ManagedService, in facts: Facts) -> String? {
        for bind in service.binds {
            guard case let .unix(path) = bind.endpoint, facts.socketFiles[path] == .socket else { continue }
            if !facts.listeners.contains(where: { $0.endpoint == .unix(path: path) }) { return path }
        }
        return nil
    }

    static func isProxy(_ service: ManagedService) -> Bool {
        guard let program = service.command.first?.split(separator: "/").last.map(String.init) else { return false }
        return proxyPrograms.contains(program)
    }
}
