import DoctorFacts
import Foundation

/// `proxy-config-not-loaded`: nginx config files changed on disk after the running workers
/// started, so the running nginx still serves the config it read before: someone edited the
/// site (a new port, a new socket path) and did not reload, or the reload failed (`nginx -t`
/// failed at that moment) and nginx kept its old workers. gwdoctor builds routes from the
/// config on disk, so the disk's target answers a direct probe while nginx, still proxying
/// to the old target, answers 502/504.
///
/// It is `critical` when that is what the probes show for a route whose pass directive (or
/// upstream server) sits in a changed file; otherwise (routes answer, or the route's target
/// is down directly as well) it is an `info` note, so it never takes the verdict from an
/// upstream that is really down (`target-not-listening` and the like).
///
/// Look-alikes: `proxy-config-invalid` (the test fails now, whatever the running nginx
/// loaded; both can fire: an invalid edit is the usual reason a reload failed);
/// `target-mismatch` (the config on disk itself points where nothing listens: a reload
/// would not help); `proxy-generated-502` (the symptom, nginx's own 502s, without a cause).
/// An mtime says only "changed on disk since": a `touch` or an edit undone moves it too, so
/// the finding never claims the content differs from what runs.
public struct ProxyConfigNotLoadedCheck: Check {
    public init() {}

    public let id = "proxy-config-not-loaded"
    public let title = "The proxy config on disk changed after the running nginx loaded it"
    public let layer = Layer.proxy
    public let rationale = """
        nginx reads its config at start and on a reload that passes its own test; each such \
        reload starts new worker processes, and a reload that fails keeps the old ones. Config \
        files with an mtime later than the oldest current worker's start were written after the \
        running config was read: the site was edited without a reload, or the reload failed. \
        gwdoctor reads the config on disk, so its direct probe of the new target answers while \
        nginx, still proxying to the old one, answers 502/504. An mtime says only that a file \
        changed on disk since then (a `touch` moves it too), not that its content differs.
        """
    public let fixText = """
        Run `nginx -t` with the running master's -p/-c; if it passes, reload (`kill -HUP <master>`, \
        `nginx -s reload` or `systemctl reload nginx`); if it fails, fix the line it names first: \
        never reload with a failing test.
        """
    /// Before `proxy-config-invalid`'s 10: an unloaded change is what the 502s come from, and
    /// the failing test is then why it was never loaded.
    public let precedence = 5

    public func run(_ facts: Facts) -> [Finding] {
        facts.proxies.compactMap { proxy in
            guard proxy.kind == .nginx, let generation = proxy.generation, !generation.changedFiles.isEmpty else { return nil }
            return finding(proxy, generation, facts)
        }
    }

    /// A route the change breaks: its pass directive or an upstream server in a changed file,
    /// its disk target answering directly, and nginx answering 502/504 for it.
    private struct BrokenRoute {
        var route: Route
        var direct: ProbeResult
        var viaProxy: ProbeResult
    }

    private func brokenRoutes(_ changed: Set<String>, facts: Facts) -> [BrokenRoute] {
        var broken: [BrokenRoute] = []
        for route in facts.routes where route.proxy == .nginx {
            var files = [route.source.file]
            if case let .upstream(_, _, servers) = route.target { files += servers.map(\.source.file) }
            guard files.contains(where: changed.contains),
                  let probe = facts.routeProbes.first(where: { $0.route == route.label }),
                  let via = probe.viaProxy, case let .response(status, _) = via.outcome, RouteWording.gatewayStatuses.contains(status),
                  let direct = probe.direct.first(where: { if case let .response(code, _) = $0.outcome { code < 500 } else { false } })
            else { continue }
            broken.append(BrokenRoute(route: route, direct: direct, viaProxy: via))
        }
        return broken
    }

    private func finding(_ proxy: ProxyInstance, _ generation: ConfigGeneration, _ facts: Facts) -> Finding {
        let gathered = Date(timeIntervalSince1970: generation.gatheredAt)
        let started = Date(timeIntervalSince1970: generation.workersStarted)
        let startedText = StatusWording.clock(started, gatheredAt: gathered)
        let changed = generation.changedFiles
        let broken = brokenRoutes(Set(changed.map(\.path)), facts: facts)
        let master = proxy.masterPID.map { " (master \($0))" } ?? ""
        let files = changed.count == 1 ? changed[0].path : "\(changed[0].path) and \(changed.count - 1) other file(s)"

        var evidence: [Evidence] = []
        evidence.append(Evidence(kind: .process,
                                 text: "current workers started \(startedText) (oldest: pid \(generation.oldestWorkerPID); "
                                     + "workers \(generation.workerPIDs.map(String.init).joined(separator: ", "))"
                                     + (generation.shuttingDownPIDs.isEmpty ? "" : "; still shutting down from an older generation: "
                                         + generation.shuttingDownPIDs.map(String.init).joined(separator: ", "))
                                     + ")",
                                 source: "ps -o pid,lstart,args --ppid \(proxy.masterPID.map(String.init) ?? "<master>")"))
        for file in changed.prefix(6) {
            let when = StatusWording.clock(Date(timeIntervalSince1970: file.modified), gatheredAt: gathered)
            var text = "\(file.path) changed on disk at \(when)\(file.linkChanged ? " (the symlink itself)" : ""), "
                + "\(Self.duration(file.modified - generation.workersStarted)) after the workers started"
            if file.modified > generation.gatheredAt + ConfigGeneration.tolerance {
                text += "; its mtime is in the future (a clock or a timestamp set by hand): only \"changed on disk since\" can be said"
            }
            evidence.append(Evidence(kind: .file, text: text, source: "stat -c '%y %n' \(file.path)"))
        }
        if changed.count > 6 { evidence.append(Evidence(kind: .file, text: "and \(changed.count - 6) more changed file(s)")) }
        for item in broken.prefix(3) {
            evidence.append(Evidence(kind: .config, text: "\(item.route.directive) \(item.route.target) (route \(item.route.label)) is what the disk says",
                                     source: item.route.source.description))
            evidence.append(RouteWording.probeEvidence(item.direct))
            evidence.append(RouteWording.proxyProbeEvidence(item.viaProxy, route: item.route))
        }
        // What nginx's own error log says it connects to, when that is not the disk's target: the running config's target.
        let diskTargets = Set(broken.flatMap(\.route.target.endpoints))
        if !diskTargets.isEmpty {
            let elsewhere = facts.errorLogs.flatMap(\.events).filter { event in
                guard let endpoint = event.endpoint, let time = event.time else { return false }
                return !diskTargets.contains(endpoint) && time.timeIntervalSince1970 >= generation.workersStarted
            }
            if let last = elsewhere.last {
                evidence.append(Evidence(kind: .log, text: "nginx still connects to \(last.endpoint.map { "\($0)" } ?? last.upstream ?? "another upstream"): \(last.line)",
                                         source: last.source))
            }
        }
        let test = proxy.configTest
        let testCommand = test?.command.commandLine ?? configTestCommand(proxy)
        let testState: String
        var fix: [String] = []
        switch test?.passed {
        case true?:
            testState = "`nginx -t` passes now, so a reload would load it"
            evidence.append(Evidence(kind: .command, text: "nginx -t passes", source: testCommand))
            fix.append("Reload nginx so it reads the config on disk: \(testCommand), then kill -HUP \(proxy.masterPID.map(String.init) ?? "<master pid>") (or systemctl reload nginx)")
        case false?:
            let first = test?.messages.first { ["emerg", "alert", "crit"].contains($0.level) } ?? test?.messages.first
            let said = first.map { "[\($0.level)] \($0.text)" + ($0.location.map { " at \($0)" } ?? "") } ?? "it fails"
            testState = "`nginx -t` fails now (\(said)), so a reload would be refused and nginx keeps the old config: likely why it was never loaded"
            evidence.append(Evidence(kind: .command, text: "nginx -t fails: \(said)", source: testCommand))
            if let location = first?.location { fix.append("Fix \(location) (\(first?.text ?? "see the test output"))") }
            fix.append("Re-run the test until it passes: \(testCommand)")
            fix.append("Only then reload: kill -HUP \(proxy.masterPID.map(String.init) ?? "<master pid>") (never reload with a failing test)")
        case nil:
            testState = "`nginx -t` could not be run, so whether a reload would load it is unknown"
            fix.append("Test the config first: \(testCommand); reload only if it passes")
        }

        if broken.isEmpty {
            let summary = "nginx\(master) config \(files) changed on disk since its workers started (\(startedText)): "
                + "the running nginx read its config before that, so an edit made then is not running yet (an mtime cannot tell "
                + "an edit from a touch). No failing route depends on it, so this is a note; \(testState)"
            return Finding(check: id, layer: layer, severity: .info, summary: summary, evidence: evidence, fix: fix)
        }
        let first = broken[0]
        let summary = "nginx\(master) read its config before the one on disk changed: \(files) changed after its workers started "
            + "(\(startedText)), and \(first.route.label) answers directly at the disk's target \(first.route.target) "
            + "but \(RouteWording.describe(first.viaProxy.outcome)) through nginx; \(testState)"
        return Finding(check: id, layer: layer, severity: .critical, summary: summary,
                       route: broken.count == 1 ? first.route.label : nil, evidence: evidence, fix: fix)
    }

    /// `42 s`, `3 min`, `2 h`.
    static func duration(_ seconds: Double) -> String {
        let value = max(0, seconds)
        if value < 120 { return "\(Int(value.rounded())) s" }
        if value < 7200 { return "\(Int((value / 60).rounded())) min" }
        return "\(Int((value / 3600).rounded())) h"
    }
}
