import DoctorChecks
import DoctorFacts
import Foundation
import Testing

/// Builders for the connectivity checks' tests: a site at /etc/nginx/sites-enabled/app,
/// an error log at /var/log/nginx/error.log, a clock at 2024-05-01 14:20 UTC.
enum Site {
    static let site = "/etc/nginx/sites-enabled/app"
    static let errorLog = "/var/log/nginx/error.log"
    static let socket = "/run/app/gunicorn.sock"
    static let now = at("14:20:00")

    static func at(_ clock: String) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = clock.split(separator: ":").compactMap { Int($0) }
        return calendar.date(from: DateComponents(year: 2024, month: 5, day: 1, hour: parts[0], minute: parts[1], second: parts[2]))!
    }

    static func tcp(_ host: String = "127.0.0.1", _ port: Int = 8000) -> Endpoint { .tcp(host: host, port: port) }
    static let unixTarget = Endpoint.unix(path: socket)

    static func route(_ target: RouteTarget, location: String = "/", line: Int = 12, directive: String = "proxy_pass") -> Route {
        Route(proxy: .nginx, listen: ["80"], serverNames: ["example.com"], location: location, directive: directive,
              target: target, source: DoctorFacts.SourceLocation(file: site, line: line))
    }

    static func route(to endpoint: Endpoint, location: String = "/", line: Int = 12) -> Route {
        route(.endpoint(scheme: "http", endpoint), location: location, line: line)
    }

    static func server(_ endpoint: Endpoint, line: Int, parameters: [String] = []) -> UpstreamServer {
        UpstreamServer(endpoint: endpoint, parameters: parameters, source: DoctorFacts.SourceLocation(file: site, line: line))
    }

    static func probe(_ endpoint: Endpoint, _ outcome: ProbeOutcome, path: String = "/health/") -> ProbeResult {
        ProbeResult(endpoint: endpoint, path: path, hostHeader: "example.com", outcome: outcome, elapsedMilliseconds: 3)
    }

    static let ok = ProbeOutcome.response(status: 200, server: "gunicorn")
    static let badGateway = ProbeOutcome.response(status: 502, server: "nginx/1.22.1")

    static func probes(_ route: Route, direct: [(Endpoint, ProbeOutcome)], viaProxy: ProbeOutcome?) -> RouteProbe {
        RouteProbe(route: route.label, direct: direct.map { probe($0.0, $0.1) },
                   viaProxy: viaProxy.map { probe(tcp("127.0.0.1", 80), $0, path: "/health/") })
    }

    /// An nginx error-log line the way nginx writes it, parsed.
    static func event(_ kind: UpstreamErrorKind, at endpoint: Endpoint?, clock: String = "14:05:09", line: Int = 3,
                      message: String? = nil, upstream: String? = nil, level: String? = nil) -> ProxyLogEvent {
        let defaultMessage: String
        var errno: Int?
        var logLevel = "error"
        switch kind {
        case .refused:
            errno = 111
            if case let .unix(path)? = endpoint {
                defaultMessage = "connect() to unix:\(path) failed (111: Connection refused) while connecting to upstream"
            } else {
                defaultMessage = "connect() failed (111: Connection refused) while connecting to upstream"
            }
        case .noSuchFile:
            errno = 2; logLevel = "crit"
            defaultMessage = "connect() to \(endpoint.map(String.init(describing:)) ?? "unix:?") failed (2: No such file or directory) while connecting to upstream"
        case .permissionDenied:
            errno = 13; logLevel = "crit"
            defaultMessage = "connect() to \(endpoint.map(String.init(describing:)) ?? "unix:?") failed (13: Permission denied) while connecting to upstream"
        case .backlogFull:
            errno = 11
            defaultMessage = "connect() to \(endpoint.map(String.init(describing:)) ?? "unix:?") failed (11: Resource temporarily unavailable) while connecting to upstream"
        case .connectTimeout:
            errno = 110
            defaultMessage = "upstream timed out (110: Connection timed out) while connecting to upstream"
        case .noLiveUpstreams:
            defaultMessage = "no live upstreams while connecting to upstream"
        default:
            defaultMessage = "\(kind.rawValue)"
        }
        let text = message ?? defaultMessage
        let upstreamText = upstream ?? endpoint.map { endpoint -> String in
            if case let .unix(path) = endpoint { return "http://unix:\(path):/" }
            return "http://\(endpoint)/"
        }
        let level = level ?? logLevel
        let logged = "2024/05/01 \(clock) [\(level)] 1234#1234: *7 \(text), client: 127.0.0.1, server: example.com, "
            + "request: \"GET / HTTP/1.1\"" + (upstreamText.map { ", upstream: \"\($0)\"" } ?? "") + ", host: \"example.com\""
        return ProxyLogEvent(time: at(clock), level: level, kind: kind, errno: errno, message: text, upstream: upstreamText,
                             endpoint: endpoint, server: "example.com", request: "GET / HTTP/1.1", host: "example.com",
                             line: logged, source: "\(errorLog):\(line)")
    }

    static func errorLog(_ events: [ProxyLogEvent], counts: [String: Int] = [:]) -> ErrorLogWindow {
        ErrorLogWindow(path: errorLog, windowStart: at("14:05:00"), events: events, counts: counts, cutShort: false)
    }

    static func gunicorn(pid: Int = 412, binds: [Endpoint], workers: [Int] = [413], cmdline: [String]? = nil) -> AppServer {
        AppServer(kind: "gunicorn", masterPID: pid, workerPIDs: workers, user: "app", uid: 1001,
                  binds: binds.map { AppServerBind(endpoint: $0, raw: $0.description, source: "command line") },
                  cmdline: cmdline ?? ["/srv/app/venv/bin/python3", "/srv/app/venv/bin/gunicorn", "--bind", binds.first?.description ?? "", "mysite.wsgi"])
    }

    static func processes(for app: AppServer) -> [ProcessRecord] {
        [ProcessRecord(pid: app.masterPID, ppid: 1, uid: 1001, user: "app", cmdline: ["gunicorn: master [mysite.wsgi]"], comm: "gunicorn")]
            + app.workerPIDs.map { ProcessRecord(pid: $0, ppid: app.masterPID, uid: 1001, user: "app", cmdline: ["gunicorn: worker [mysite.wsgi]"], comm: "gunicorn") }
    }

    static func listener(_ endpoint: Endpoint, app: AppServer? = nil, inode: UInt64 = 900, queue: Int? = nil) -> Listener {
        Listener(endpoint: endpoint, inode: inode, pids: app.map { [$0.masterPID] + $0.workerPIDs } ?? [], acceptQueue: queue)
    }

    /// A running nginx; its `listen` lines are left out so `proxy-down` has nothing to compare
    /// (these tests are about what is behind the proxy).
    static let proxy = ProxyInstance(kind: .nginx, configPath: "/etc/nginx/nginx.conf", masterPID: 10, workerPIDs: [11],
                                     workerUser: "www-data", workerGroup: nil,
                                     workerUserSource: DoctorFacts.SourceLocation(file: "/etc/nginx/nginx.conf", line: 1))

    static let listenersUnavailable = Unavailable(what: Unavailable.listenerTable, reason: "permission denied")

    /// The checks this suite covers.
    static let connectivityIDs: Set<String> = [
        "target-not-listening", "target-mismatch", "socket-missing", "socket-stale", "socket-permission",
        "upstream-group-down", "target-unresolvable", "backlog-full",
    ]

    static func findings(_ facts: Facts) -> [Finding] {
        CheckCatalog.all.filter { connectivityIDs.contains($0.id) }.flatMap { $0.run(facts) }
    }

    static func run(_ id: String, _ facts: Facts) -> [Finding] {
        guard let check = CheckCatalog.check(id: id) else {
            Issue.record("no check \(id) in the catalog")
            return []
        }
        let findings = check.run(facts)
        expectSafeFixes(findings)
        return findings
    }

    /// Fix texts never open a socket or directory to everyone.
    static func expectSafeFixes(_ findings: [Finding], sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        for finding in findings {
            for line in finding.fix {
                for banned in ["777", "666", "o+w", "a+w", "o+rw", "o+rwx", "a+rwx"] {
                    #expect(!line.contains(banned), "fix of \(finding.check) contains \(banned): \(line)", sourceLocation: sourceLocation)
                }
            }
            #expect(!finding.evidence.isEmpty, "\(finding.check) has no evidence", sourceLocation: sourceLocation)
        }
    }
}

extension Finding {
    var sources: [String] { evidence.compactMap(\.source) }
    var texts: [String] { evidence.map(\.text) }
    func mentions(_ needle: String) -> Bool { texts.contains { $0.contains(needle) } || sources.contains { $0.contains(needle) } }
}
