import DoctorFacts
import Foundation

/// Renders a report as the stable, versioned JSON of DESIGN.md.
public enum JSONReportRenderer {
    public static func render(_ report: Report) -> String {
        encode(report)
    }

    /// The `routes` command's JSON: `{"version": 1, "routes": [...], "unavailable": [...]}`.
    public static func renderRoutes(_ routes: [RouteRow], unavailable: [Unavailable], diagnostics: [ConfigDiagnostic]) -> String {
        encode(RoutesDocument(version: Report.currentVersion, routes: routes, unavailable: unavailable,
                              configProblems: diagnostics.map(ConfigProblem.init)))
    }

    static func encode(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        guard let data = try? encoder.encode(value) else {
            return #"{"version": 1, "status": "unknown", "error": "report could not be encoded"}"#
        }
        return String(decoding: data, as: UTF8.self)
    }
}

private struct RoutesDocument: Encodable {
    var version: Int
    var routes: [RouteRow]
    var unavailable: [Unavailable]
    var configProblems: [ConfigProblem]

    enum CodingKeys: String, CodingKey {
        case version, routes, unavailable
        case configProblems = "config_problems"
    }
}

private struct ConfigProblem: Encodable {
    var kind: String
    var message: String
    var source: String?

    init(_ diagnostic: ConfigDiagnostic) {
        kind = diagnostic.kind.rawValue
        message = diagnostic.message
        source = diagnostic.location?.description
    }
}
