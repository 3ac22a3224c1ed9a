/// The JSON contract of DESIGN.md (version 1), decoded leniently: fields the tests do
/// not read may be added freely.
struct ReportJSON: Decodable {
    var version: Int
    var status: String
    var verdict: VerdictJSON
    var findings: [FindingJSON]
    var routes: [RouteJSON]
    var unavailable: [UnavailableJSON]
}

struct VerdictJSON: Decodable {
    var layer: String
    var check: String?
    var summary: String
    var evidence: [EvidenceJSON]?
    var fix: [String]?
}

struct FindingJSON: Decodable {
    var check: String
    var layer: String
    var severity: String
    var summary: String
    var route: String?
    var evidence: [EvidenceJSON]
    var fix: [String]
}

struct EvidenceJSON: Decodable {
    var kind: String
    var text: String
    var source: String?

    /// Text and source together, for "does this evidence name X" questions.
    var all: String { "\(text) \(source ?? "")" }
}

struct RouteJSON: Decodable {
    var proxy: String
    var listen: String
    var serverName: String
    var location: String
    var target: String
    var source: String
    var servedBy: String?

    enum CodingKeys: String, CodingKey {
        case proxy, listen, location, target, source
        case serverName = "server_name"
        case servedBy = "served_by"
    }
}

struct UnavailableJSON: Decodable {
    var what: String
    var reason: String
}

/// `gwdoctor routes --format json`.
struct RoutesJSON: Decodable {
    var version: Int
    var routes: [RouteJSON]
}

/// The exit code the contract gives each status.
func exitCode(forStatus status: String) -> Int32? {
    ["ok": 0, "warning": 1, "critical": 2, "unknown": 3][status]
}
