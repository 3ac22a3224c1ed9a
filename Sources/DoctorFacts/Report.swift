/// What a diagnosis prints: the JSON contract of DESIGN.md (version 1; additive changes only).
public struct Report: Hashable, Codable, Sendable {
    public static let currentVersion = 1

    public var version: Int
    public var status: Status
    public var verdict: Verdict
    public var findings: [Finding]
    public var routes: [RouteRow]
    public var unavailable: [Unavailable]

    public init(status: Status, verdict: Verdict, findings: [Finding], routes: [RouteRow], unavailable: [Unavailable]) {
        self.version = Self.currentVersion
        self.status = status
        self.verdict = verdict
        self.findings = findings
        self.routes = routes
        self.unavailable = unavailable
    }
}

/// One route as reports print it (the `routes` shape of the JSON contract).
public struct RouteRow: Hashable, Codable, Sendable {
    public var proxy: String
    public var listen: String
    public var serverName: String
    public var location: String
    public var directive: String
    public var target: String
    public var source: String
    /// `gunicorn pid 412 (www-data)`, or `nil` when nothing listens at the target.
    public var servedBy: String?

    enum CodingKeys: String, CodingKey {
        case proxy, listen, location, directive, target, source
        case serverName = "server_name"
        case servedBy = "served_by"
    }

    public init(_ route: Route) {
        proxy = route.proxy.rawValue
        listen = route.listen.joined(separator: ", ")
        serverName = route.serverNames.filter { !$0.isEmpty }.joined(separator: " ")
        location = route.location
        directive = route.directive
        target = route.target.description
        source = route.source.description
        servedBy = route.servedBy
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(proxy, forKey: .proxy)
        try container.encode(listen, forKey: .listen)
        try container.encode(serverName, forKey: .serverName)
        try container.encode(location, forKey: .location)
        try container.encode(directive, forKey: .directive)
        try container.encode(target, forKey: .target)
        try container.encode(source, forKey: .source)
        // The contract shows `served_by: null` explicitly: nothing listening is information.
        try container.encode(servedBy, forKey: .servedBy)
    }
}
