import DoctorFacts

/// An app server that runs but binds somewhere other than where a route points: the
/// most plausible one the route was meant for.
struct MismatchCandidate {
    let app: AppServer
    /// Where it binds instead.
    let endpoint: Endpoint
    /// Where that bind is written (`command line`, `path:line` of its config, `listener table`).
    let source: String
    /// How the two differ, in words (`another port`, `the other address family`, …).
    let difference: String
}

extension Facts {
    /// The app server a route to `target` was most plausibly meant for, when one runs but
    /// none binds `target`. Only binds no route uses count (an app server that already
    /// serves another route is not the one this route lost). Preference: the same kind of
    /// address at the same port (other host or family) or another socket path; then TCP at
    /// another port; then, when only one app server has a free bind, that one whatever its kind.
    func mismatchCandidate(for target: Endpoint) -> MismatchCandidate? {
        let appServers = localAppServers
        guard !appServers.isEmpty else { return nil }
        let routeEndpoints = allTargets().map(\.endpoint)
        var best: (score: Int, candidate: MismatchCandidate)?
        var appsWithFreeBinds = 0
        for app in appServers {
            let endpoints = appServerEndpoints(app)
            if endpoints.contains(where: { Facts.listener($0.endpoint, accepts: target) }) { return nil }
            let free = endpoints.filter { bind in !routeEndpoints.contains { Facts.listener(bind.endpoint, accepts: $0) } }
            if !free.isEmpty { appsWithFreeBinds += 1 }
            for bind in free {
                let score = Self.plausibility(of: bind.endpoint, for: target)
                if best == nil || score > best!.score {
                    best = (score, MismatchCandidate(app: app, endpoint: bind.endpoint, source: bind.source,
                                                     difference: Self.difference(bind.endpoint, target)))
                }
            }
        }
        guard let best else { return nil }
        // A socket of the other kind is only "the one meant" when nothing else could be.
        if best.score <= 1 && appsWithFreeBinds > 1 { return nil }
        return best.candidate
    }

    private static func plausibility(of bound: Endpoint, for target: Endpoint) -> Int {
        switch (bound, target) {
        case let (.tcp(_, boundPort), .tcp(_, targetPort)): boundPort == targetPort ? 3 : 2
        case (.unix, .unix): 3
        default: 1
        }
    }

    private static func difference(_ bound: Endpoint, _ target: Endpoint) -> String {
        switch (bound, target) {
        case let (.tcp(boundHost, boundPort), .tcp(targetHost, targetPort)):
            let (a, b) = (family(boundHost), family(targetHost))
            let hostDiffers = HostText.normalized(boundHost) != HostText.normalized(targetHost)
            if boundPort == targetPort {
                if let a, let b, a != b { return "the other address family (\(a) instead of \(b))" }
                return "another address"
            }
            return hostDiffers ? "another address and port" : "another port"
        case (.unix, .unix):
            return "another socket path"
        case (.unix, .tcp):
            return "a unix socket, not TCP"
        case (.tcp, .unix):
            return "TCP, not a unix socket"
        }
    }

    /// `IPv4` / `IPv6`, or `nil` for names (localhost is both).
    private static func family(_ host: String) -> String? {
        let host = HostText.normalized(host)
        if HostText.isIPv4(host) { return "IPv4" }
        if host.contains(":") { return "IPv6" }
        return nil
    }

    /// The app server serving an address now (bind or listener), for naming it in fixes.
    func appServer(serving endpoint: Endpoint) -> AppServer? {
        localAppServers.first { app in appServerEndpoints(app).contains { Facts.listener($0.endpoint, accepts: endpoint) } }
    }
}

extension MismatchCandidate {
    /// `gunicorn pid 412 binds [::1]:8000 (command line)`.
    var bindText: String { "\(app.label) binds \(endpoint)" }

    /// Evidence for the app server's side, with where the bind is written.
    var evidence: Evidence {
        let source = self.source == "command line" ? "ps -o args= -p \(app.masterPID)" : self.source
        return Evidence(kind: .process, text: "\(bindText) (\(self.source == "listener table" ? "seen in the listener table" : "from its \(self.source)"))",
                        source: source)
    }

    /// The two ways to make them agree, naming both sides exactly.
    func fix(directive: String, at location: SourceLocation, pointsTo target: Endpoint, scheme: String) -> [String] {
        let passValue = RouteWording.passValue(directive: directive, scheme: scheme, endpoint: endpoint)
        return [
            "\(directive) at \(location) points to \(target); \(bindText); change one to match",
            "Either point the proxy at it: `\(RouteWording.passLine(directive: directive, value: passValue))` at \(location), then \(RouteWording.testAndReload(directive: directive))",
            "Or bind \(app.kind) to \(target) (\(Self.bindHint(kind: app.kind, target: target))) and restart it",
        ]
    }

    static func bindHint(kind: String, target: Endpoint) -> String {
        switch (kind, target) {
        case let ("uwsgi", .unix(path)): "socket = \(path)"
        case let ("uwsgi", .tcp(host, port)): "socket = \(host.contains(":") ? "[\(host)]" : host):\(port)"
        case let ("uvicorn", .unix(path)): "--uds \(path)"
        case let ("uvicorn", .tcp(host, port)): "--host \(host) --port \(port)"
        case let (_, .unix(path)): "--bind unix:\(path)"
        case (_, .tcp): "--bind \(target)"
        }
    }
}
