import DoctorFacts
import DoctorHost
import Foundation

/// After a repair step: gather again (with probes) and say whether the affected routes
/// answer, first directly at the upstream, then through the proxy.
///
/// It polls until a deadline because a restarted app server is not up at once (Gunicorn
/// needs a second or two to import the app and bind; supervisord reports RUNNING only
/// after `startsecs`). Each poll is a real gather, so what it reports is what `diagnose`
/// would see, not a guess from the step's exit status.
public struct HealthVerifier: Sendable {
    public static let defaultTimeout: Duration = .seconds(15)

    public let host: any DoctorHost.Host
    /// The same scope as the diagnosis (which nginx config); probing is forced on.
    public let options: GatherOptions
    public let timeout: Duration
    public let interval: Duration

    public init(host: any DoctorHost.Host, options: GatherOptions, timeout: Duration = HealthVerifier.defaultTimeout,
                interval: Duration = .milliseconds(500)) {
        var options = options
        options.probe = true
        // The config test is for reload decisions, not for "does it answer"; a short log window keeps polls cheap.
        options.runConfigTest = false
        options.sinceSeconds = min(options.sinceSeconds, 60)
        self.host = host
        self.options = options
        self.timeout = timeout
        self.interval = interval
    }

    /// Polls until every route in `routes` (by `Route.label`; every route when empty) answers
    /// directly and through the proxy, or the deadline passes. The last gather's facts come back too.
    public func verify(routes labels: [String]) async -> HealthVerification {
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start.advanced(by: timeout)
        var attempts = 0
        while true {
            attempts += 1
            let facts = await FactGatherer(host: host, options: options).gather()
            let health = Self.evaluate(facts, routes: labels)
            let elapsed = start.duration(to: clock.now)
            if health.allSatisfy(\.answers) && !health.isEmpty || clock.now >= deadline || host.isSnapshot {
                return HealthVerification(routes: health, attempts: attempts,
                                          elapsedMilliseconds: Int(elapsed.components.seconds * 1000
                                                                   + elapsed.components.attoseconds / 1_000_000_000_000_000),
                                          facts: facts)
            }
            try? await Task.sleep(for: interval)
        }
    }

    /// The health of each wanted route in `facts` (pure: used by `verify` and by tests on built facts).
    public static func evaluate(_ facts: Facts, routes labels: [String]) -> [RouteHealth] {
        let wanted = labels.isEmpty ? Self.unique(facts.routes.map(\.label)) : Self.unique(labels)
        return wanted.map { label in
            guard let probe = facts.routeProbes.first(where: { $0.route == label }) else {
                return RouteHealth(route: label, direct: [], viaProxy: nil, directAnswers: false, proxyAnswers: nil,
                                   note: "not probed (\(facts.fromSnapshot ? "a snapshot cannot be probed" : "no probe for this route"))")
            }
            let direct = probe.direct.map(Self.describe)
            let directAnswers = !probe.direct.isEmpty && probe.direct.contains { Self.answers($0) }
            let via = probe.viaProxy.map(Self.describe)
            let proxyAnswers = probe.viaProxy.map(Self.answers)
            return RouteHealth(route: label, direct: direct, viaProxy: via, directAnswers: directAnswers, proxyAnswers: proxyAnswers,
                               note: probe.viaProxy == nil ? "not probed through the proxy (no plain path reaches this location)" : nil)
        }
    }

    /// An HTTP answer under 500: the server is up and not failing. A 5xx through the proxy is
    /// the proxy's own 502/504 or the app's own error, neither of which is "fixed".
    static func answers(_ result: ProbeResult) -> Bool {
        if case let .response(status, _) = result.outcome { return status < 500 }
        return false
    }

    static func describe(_ result: ProbeResult) -> String {
        switch result.outcome {
        case let .response(status, _): "\(result.endpoint) \(result.path) → \(status)"
        case let .failed(failure): "\(result.endpoint) \(result.path) → \(failure)"
        }
    }

    private static func unique(_ labels: [String]) -> [String] {
        var seen = Set<String>()
        return labels.filter { seen.insert($0).inserted }
    }
}

/// One route's health after a step.
public struct RouteHealth: Codable, Hashable, Sendable {
    /// `Route.label` (`server_name location`).
    public var route: String
    /// Each direct probe, `endpoint path → status or error`.
    public var direct: [String]
    /// The probe through the proxy, when one was possible.
    public var viaProxy: String?
    public var directAnswers: Bool
    /// `nil` when the route could not be probed through the proxy.
    public var proxyAnswers: Bool?
    public var note: String?

    public init(route: String, direct: [String], viaProxy: String?, directAnswers: Bool, proxyAnswers: Bool?, note: String? = nil) {
        self.route = route
        self.direct = direct
        self.viaProxy = viaProxy
        self.directAnswers = directAnswers
        self.proxyAnswers = proxyAnswers
        self.note = note
    }

    /// Direct answers, and so does the proxy wherever it could be probed.
    public var answers: Bool { directAnswers && proxyAnswers != false }

    /// `app.test /: direct 127.0.0.1:8000 /health/ → 200; via proxy 127.0.0.1:8080 / → 200`.
    public var evidence: String {
        var text = "\(route): direct " + (direct.isEmpty ? "not probed" : direct.joined(separator: ", "))
        text += "; via proxy " + (viaProxy ?? "not probed")
        if let note { text += " (\(note))" }
        return text
    }

    enum CodingKeys: String, CodingKey {
        case route, direct
        case viaProxy = "via_proxy"
        case directAnswers = "direct_answers"
        case proxyAnswers = "proxy_answers"
        case note
    }
}

/// What `HealthVerifier.verify` saw: each route's health, how many polls it took, and the
/// facts of the last gather (for the next step's guards).
public struct HealthVerification: Sendable {
    public var routes: [RouteHealth]
    public var attempts: Int
    public var elapsedMilliseconds: Int
    public var facts: Facts

    public init(routes: [RouteHealth], attempts: Int, elapsedMilliseconds: Int, facts: Facts) {
        self.routes = routes
        self.attempts = attempts
        self.elapsedMilliseconds = elapsedMilliseconds
        self.facts = facts
    }

    /// Every route answered directly and (where probed) through the proxy.
    public var passed: Bool { !routes.isEmpty && routes.allSatisfy(\.answers) }

    /// One line of evidence per route, with the time it took.
    public var evidence: String {
        let state = passed ? "answers" : "still failing"
        return "\(state) after \(elapsedMilliseconds) ms (\(attempts) probe round\(attempts == 1 ? "" : "s")): "
            + routes.map(\.evidence).joined(separator: " | ")
    }
}
