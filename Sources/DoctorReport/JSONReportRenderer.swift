import DoctorFacts

/// Renders a report as the stable, versioned JSON of DESIGN.md.
public enum JSONReportRenderer {
    public static func render(_ report: Report) -> String {
        JSONText.object([
            ("version", .number(report.version)),
            ("status", .string(report.status.rawValue)),
            ("verdict", json(report.verdict)),
            ("findings", .array(report.findings.map(json))),
            ("routes", .array(report.routes.map(json))),
            ("unavailable", .array(report.unavailable.map(json))),
        ]).serialized()
    }

    static func json(_ verdict: Verdict) -> JSONText {
        var members: [(String, JSONText)] = [
            ("layer", .string(verdict.layer.rawValue)), ("summary", .string(verdict.summary)),
            ("evidence", .array(verdict.evidence.map(json))), ("fix", .array(verdict.fix.map(JSONText.string))),
        ]
        if let check = verdict.check { members.append(("check", .string(check))) }
        if let cause = verdict.cause { members.append(("cause", .string(cause))) }
        return .object(members)
    }

    static func json(_ finding: Finding) -> JSONText {
        var members: [(String, JSONText)] = [
            ("check", .string(finding.check)), ("layer", .string(finding.layer.rawValue)),
            ("severity", .string(finding.severity.rawValue)), ("summary", .string(finding.summary)),
            ("evidence", .array(finding.evidence.map(json))), ("fix", .array(finding.fix.map(JSONText.string))),
        ]
        if let route = finding.route { members.append(("route", .string(route))) }
        if let cause = finding.cause { members.append(("cause", .string(cause))) }
        return .object(members)
    }

    static func json(_ evidence: Evidence) -> JSONText {
        var members: [(String, JSONText)] = [("kind", .string(evidence.kind.rawValue)), ("text", .string(evidence.text))]
        if let source = evidence.source { members.append(("source", .string(source))) }
        return .object(members)
    }

    static func json(_ item: Unavailable) -> JSONText {
        .object([("what", .string(item.what)), ("reason", .string(item.reason))])
    }

    /// The `routes` command's JSON: `{"version": 1, "routes": [...], "config_problems": [...], "unavailable": [...]}`.
    public static func renderRoutes(_ routes: [RouteRow], unavailable: [Unavailable], diagnostics: [ConfigDiagnostic]) -> String {
        String(decoding: renderRoutesBytes(routes, unavailable: unavailable, diagnostics: diagnostics), as: UTF8.self)
    }

    /// The same document as UTF-8 bytes ending in a newline.
    public static func renderRoutesBytes(_ routes: [RouteRow], unavailable: [Unavailable], diagnostics: [ConfigDiagnostic]) -> [UInt8] {
        JSONText.object([
            ("version", .number(Report.currentVersion)),
            ("routes", .array(routes.map(json))),
            ("config_problems", .array(diagnostics.map { diagnostic in
                .object([("kind", .string(diagnostic.kind.rawValue)), ("message", .string(diagnostic.message)),
                         ("source", .optional(diagnostic.location?.description))])
            })),
            ("unavailable", .array(unavailable.map(json))),
        ]).serializedBytes(capacity: 512 * (routes.count + 8))
    }

    /// One route in the contract's `routes` shape (the same keys `RouteRow` encodes).
    static func json(_ route: RouteRow) -> JSONText {
        .object([
            ("proxy", .string(route.proxy)), ("listen", .string(route.listen)),
            ("server_name", .string(route.serverName)), ("location", .string(route.location)),
            ("directive", .string(route.directive)), ("target", .string(route.target)),
            ("source", .string(route.source)), ("served_by", .optional(route.servedBy)),
        ])
    }
}
