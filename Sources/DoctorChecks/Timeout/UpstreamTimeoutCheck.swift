import DoctorFacts
import Foundation

/// `upstream-timeout`: nginx answered 504 because the app server accepted the request but
/// sent no response header within the route's `proxy_read_timeout` (`upstream timed out
/// (110: …) while reading response header from upstream`).
///
/// It races the two timeouts, each named with where it is set: nginx's `proxy_read_timeout`
/// (or `uwsgi_/fastcgi_/grpc_/scgi_read_timeout`) for the route the request took, and the
/// app server's own limit (gunicorn `--timeout`, uWSGI `harakiri`; uvicorn has none). When
/// nginx's is shorter, the client gets a 504 while the worker keeps running; when a sync
/// gunicorn worker's is shorter, the worker is killed first and the client gets a 500/502
/// (`premature-close`), so a 504 then means the request waited without a worker (see
/// `worker-saturation`). Unlike `backlog-full`, the connection was made:
/// `… while connecting to upstream` timeouts are a different failure (full accept queue, a
/// dropped SYN, a host that is down) and are only mentioned here.
public struct UpstreamTimeoutCheck: Check {
    public init() {}

    public let id = "upstream-timeout"
    public let title = "nginx timed out waiting for the app's response (504)"
    public let layer = Layer.capacity
    public let rationale = """
        A 504 means nginx reached the app server and sent the request, but no response header \
        came within proxy_read_timeout (the longest wait between two reads, default 60s): the app \
        server is up and usually still working on it. A 502 means the connection failed or the worker \
        died mid-request (refused, reset, premature close: a sync gunicorn worker killed by its own \
        --timeout), and a 500 is the app's own error page; `upstream timed out … while connecting to \
        upstream` is a connect timeout instead (full accept queue, firewall, host down). The one setting \
        to look at: proxy_read_timeout (uwsgi_read_timeout for uwsgi_pass) against the app server's \
        --timeout (uWSGI harakiri; uvicorn has none), and then the slow view itself.
        """
    public let fixText = """
        Find and fix the slow request (the log names it): move long work to a background job, add the \
        missing index, cache. Only when it must run long, raise the one timeout that fires first: \
        proxy_read_timeout where the route sets it, kept a little above the app server's --timeout so \
        the app server's limit is the one that ends a runaway request. Raising timeouts alone only \
        makes the wait longer.
        """
    public let precedence = 65

    public func run(_ facts: Facts) -> [Finding] {
        facts.allTargets().compactMap { use in check(use, facts: facts) }
    }

    private func check(_ use: TargetUse, facts: Facts) -> Finding? {
        let events = facts.failureEvents([.readTimeout], at: use.endpoint)
        guard let last = events.last, let route = use.route(for: last) ?? use.firstRoute else { return nil }
        let race = TimeoutRace(route: route, app: facts.appServer(serving: use.endpoint), facts: facts)
        let count = RouteWording.windowCount(events, facts: facts)
        let clock = LogClock.text(for: last, gatheredAt: facts.gatheredAt)
        let requests = TimeoutText.requestsText(events)

        var failingNow = false
        if let probe = facts.proxyProbe(for: route), case .response(504, _) = probe.outcome { failingNow = true }

        var evidence = RouteWording.useEvidence(use)
        evidence.append(race.nginxEvidence)
        if let appEvidence = race.appEvidence { evidence.append(appEvidence) }
        if let requests {
            evidence.append(Evidence(kind: .log, text: "timed out (504): \(requests)", source: last.source))
        }
        evidence += RouteWording.logEvidence(events, facts: facts)
        evidence += RouteWording.proxyProbeEvidence([route], facts: facts)
        let connectTimeouts = facts.failureEvents([.connectTimeout], at: use.endpoint)
        if !connectTimeouts.isEmpty {
            evidence.append(Evidence(kind: .log,
                                     text: "\(connectTimeouts.count) connect timeout(s) to \(use.endpoint) too (`while connecting to upstream`): a different failure, the connection itself was not made (accept queue full, firewall, host down)",
                                     source: connectTimeouts.last?.source))
        }

        let nginxText = "\(race.nginxName) \(race.nginxValue)"
        let summary = "\(race.proxyName) gave up waiting for \(use.endpoint) (\(route.label)): \(count) request\(count == 1 ? "" : "s") "
            + "timed out (504) after \(nginxText)" + race.summaryTail + (failingNow ? "" : "; last at \(clock)")

        var fix: [String] = []
        let slow = requests.map { "the requests that timed out: \($0)" } ?? "the requests that timed out"
        fix.append("Fix the slow view first (\(slow)): make it faster or move the work to a background job; "
                   + (route.proxy == .caddy ? "Caddy's access log records each request's `duration` to see how long it takes"
                      : "log $request_time and $upstream_response_time in nginx's access log to see how long it takes"))
        fix += race.fix
        return Finding(check: id, layer: layer, severity: failingNow ? .critical : .warning, summary: summary,
                       route: route.label, evidence: evidence, fix: fix, cause: race.cause)
    }
}

/// nginx's read timeout for a route against the app server's request timeout: which fires first.
struct TimeoutRace {
    let route: Route
    let app: AppServer?
    let facts: Facts

    var nginxSetting: RouteSetting? { route.settings.readTimeout }
    /// `proxy_read_timeout`, `uwsgi_read_timeout`, …
    var nginxName: String { nginxSetting?.name ?? "\(route.settings.module)_read_timeout" }
    /// As written (`1s`), or nginx's default.
    var nginxValue: String { nginxSetting?.value ?? "60s" }
    var nginxSeconds: Double { nginxSetting?.seconds ?? 60 }
    /// `nginx`, or `Caddy` for a `reverse_proxy` route (whose read timeout is `response_header_timeout`).
    var proxyName: String { RouteWording.proxyName([route]) }
    var nginxSource: String {
        guard let setting = nginxSetting, let source = setting.source else { return "\(proxyName)'s default (not set for this route)" }
        return source.description
    }

    /// The app server's timeout when it ends slow requests (a sync gunicorn worker, uWSGI harakiri), in seconds.
    var appSeconds: Int? {
        guard let app, app.limits.timeoutEndsSlowRequests, let seconds = app.limits.timeout?.intValue, seconds > 0 else { return nil }
        return seconds
    }

    /// Stable kebab-case: `proxy-gives-up-first`, `app-server-kills-first`, `no-app-timeout`, `app-server-unknown`.
    var cause: String {
        guard let app else { return "app-server-unknown" }
        guard let appSeconds else {
            // A timeout written as something other than a number (a computed config value) is unknown;
            // none, 0 (gunicorn's and uWSGI's "off") or a heartbeat-only worker class ends nothing.
            if let timeout = app.limits.timeout, timeout.intValue == nil, app.limits.timeoutEndsSlowRequests { return "app-server-unknown" }
            return "no-app-timeout"
        }
        // On a tie nginx still answers first: gunicorn's arbiter only notices a late worker on its next check.
        return nginxSeconds <= Double(appSeconds) ? "proxy-gives-up-first" : "app-server-kills-first"
    }

    /// A request a sync worker ran would have ended (answered, or its worker killed: a 502)
    /// well before nginx gave up, so a read timeout means it never reached a worker in time.
    /// The 2 s margin covers the arbiter noticing a late worker and nginx's whole-second log times.
    var queuedPastWorkerKill: Bool {
        guard cause == "app-server-kills-first", let appSeconds else { return false }
        return nginxSeconds >= Double(appSeconds) + 2
    }

    /// The same wording as the response checks' settings: file:line when written, else nginx's default and the `nginx -T` to confirm it.
    var nginxEvidence: Evidence {
        let note = "\(proxyName) waits at most \(TimeoutText.seconds(nginxSeconds)) for the response header (route \(route.label))"
        if let nginxSetting { return ResponseWording.settingEvidence(nginxSetting, note: note) }
        return Evidence(kind: .config, text: "\(nginxName) \(nginxValue) (nginx's default, not written in the config): \(note)",
                        source: "nginx -T | grep -n \(nginxName)")
    }

    var appEvidence: Evidence? {
        guard let app else { return nil }
        let name = TimeoutText.timeoutName(app)
        let workerClass = app.limits.workerClass.map { ", worker class \($0.value)" } ?? ""
        guard let timeout = app.limits.timeout else {
            let note = app.limits.notes.first { $0.contains("timeout") } ?? "\(app.kind) sets no request timeout"
            return Evidence(kind: .process, text: "\(app.label): \(note)", source: "ps -o args= -p \(app.masterPID)")
        }
        let effect = app.limits.timeoutEndsSlowRequests
            ? "a request running longer is killed with its worker"
            : "only a heartbeat with this worker class: it never ends a slow request"
        return Evidence(kind: .process,
                        text: "\(app.label): \(name) \(timeout.value)\(timeout.isDefault ? " (default)" : "")\(workerClass): \(effect)",
                        source: TimeoutText.settingSource(timeout, app: app, facts: facts))
    }

    /// `, while gunicorn's --timeout 30 (default) would let the worker run on: nginx gives up first`.
    var summaryTail: String {
        guard let app else { return "" }
        let name = TimeoutText.timeoutName(app)
        switch cause {
        case "proxy-gives-up-first":
            let value = app.limits.timeout.map(\.described) ?? ""
            return ", shorter than \(app.kind)'s \(name) \(value): \(proxyName) gives up first and the worker keeps running"
        case "app-server-kills-first":
            return ", longer than \(app.kind)'s \(name) \(appSeconds ?? 0) s: these requests waited without reaching a worker in time"
        case "no-app-timeout":
            return "; \(app.kind) itself never ends a slow request here, so nginx's timeout is the only limit"
        default:
            return ""
        }
    }

    var fix: [String] {
        let at = nginxSetting?.isDefault == false ? "at \(nginxSource)" : "(not set: add it to the location of \(route.label), \(route.source))"
        guard let app else {
            return ["If the work must take longer, the one setting is \(nginxName) \(at); raise it only above the slowest legitimate request"]
        }
        let name = TimeoutText.timeoutName(app)
        switch cause {
        case "proxy-gives-up-first":
            let appValue = appSeconds ?? 0
            return ["If the work must take longer, the one setting is \(nginxName) \(at): raise it a little above \(app.kind)'s \(name) (\(appValue) s) so \(app.kind) ends a runaway request instead of leaving a worker busy for a client that already got a 504"]
        case "app-server-kills-first":
            return ["\(app.kind)'s \(name) (\(appSeconds ?? 0) s) is shorter than \(nginxName) \(nginxValue): a slow request kills the worker first (500/502, see premature-close), so these 504s are requests that waited for a busy worker; check worker-saturation and add workers or make the slow views faster"]
        default:
            return ["\(app.kind) never ends a slow request here, so \(nginxName) \(at) is the only limit; keep it, and fix or offload the slow view rather than raising it"]
        }
    }
}
