import DoctorFacts
import DoctorReport
import Foundation
import Testing

/// The JSON report is a contract (DESIGN.md, version 1): these tests pin its shape.
@Suite struct JSONReportRendererTests {
    private func sampleReport() -> Report {
        let route = Route(proxy: .nginx, listen: ["80"], serverNames: ["example.com", "www.example.com"],
                          location: "/", directive: "proxy_pass",
                          target: .endpoint(scheme: "http", .tcp(host: "127.0.0.1", port: 8000)),
                          source: SourceLocation(file: "/etc/nginx/sites-enabled/app", line: 12), servedBy: nil)
        let finding = Finding(check: "proxy-down", layer: .proxy, severity: .critical, summary: "nginx is not running",
                              evidence: [Evidence(kind: .process, text: "no master", source: nil)], fix: ["start it"])
        return Report(status: .critical,
                      verdict: Verdict(layer: .proxy, check: "proxy-down", summary: "nginx is not running",
                                       evidence: finding.evidence, fix: finding.fix),
                      findings: [finding], routes: [RouteRow(route)],
                      unavailable: [Unavailable(what: "nginx -V", reason: "not installed")])
    }

    private func decode(_ text: String) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
        return try #require(object as? [String: Any])
    }

    @Test func topLevelKeysFollowTheContract() throws {
        let json = try decode(JSONReportRenderer.render(sampleReport()))
        #expect(Set(json.keys) == ["version", "status", "verdict", "findings", "routes", "unavailable"])
        #expect(json["version"] as? Int == 1)
        #expect(json["status"] as? String == "critical")
        let verdict = try #require(json["verdict"] as? [String: Any])
        #expect(verdict["layer"] as? String == "proxy")
        #expect(verdict["check"] as? String == "proxy-down")
        #expect((verdict["fix"] as? [String]) == ["start it"])
    }

    @Test func routeRowsUseSnakeCaseAndExplicitNullServedBy() throws {
        let text = JSONReportRenderer.render(sampleReport())
        let json = try decode(text)
        let route = try #require((json["routes"] as? [[String: Any]])?.first)
        #expect(route["server_name"] as? String == "example.com www.example.com")
        #expect(route["target"] as? String == "http://127.0.0.1:8000")
        #expect(route["source"] as? String == "/etc/nginx/sites-enabled/app:12")
        #expect(route["proxy"] as? String == "nginx")
        // Nothing listening is information: the key must be there with null.
        #expect(route.keys.contains("served_by"))
        #expect(route["served_by"] is NSNull)
    }

    @Test func findingCarriesLayerSeverityAndEvidence() throws {
        let json = try decode(JSONReportRenderer.render(sampleReport()))
        let finding = try #require((json["findings"] as? [[String: Any]])?.first)
        #expect(finding["layer"] as? String == "proxy")
        #expect(finding["severity"] as? String == "critical")
        let evidence = try #require((finding["evidence"] as? [[String: Any]])?.first)
        #expect(evidence["kind"] as? String == "process")
    }

    @Test func routesDocumentListsConfigProblemsWithSource() throws {
        let diagnostic = ConfigDiagnostic(kind: .missingInclude, message: "include /x/*.conf: no such file",
                                          location: SourceLocation(file: "/etc/nginx/nginx.conf", line: 3))
        let json = try decode(JSONReportRenderer.renderRoutes([], unavailable: [], diagnostics: [diagnostic]))
        let problem = try #require((json["config_problems"] as? [[String: Any]])?.first)
        #expect(problem["kind"] as? String == "missing-include")
        #expect(problem["source"] as? String == "/etc/nginx/nginx.conf:3")
    }
}

@Suite struct JSONTextTests {
    @Test func escapesAndSortsLikeAStrictParserExpects() throws {
        let text = JSONText.object([("b", .string("quote \" back \\ nl \n tab \t bell \u{07} é")), ("a", .null),
                                    ("c", .array([.number(-3), .bool(true), .object([])]))]).serialized()
        #expect(text.firstIndex(of: "a")! < text.firstIndex(of: "b")!)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["b"] as? String == "quote \" back \\ nl \n tab \t bell \u{07} é")
        #expect(object["a"] is NSNull)
        #expect((object["c"] as? [Any])?.count == 3)
    }

    @Test func routeRowsMatchTheCodableShape() throws {
        let route = Route(proxy: .nginx, listen: ["80"], serverNames: ["a.test"], location: "/", directive: "proxy_pass",
                          target: .endpoint(scheme: "http", .unix(path: "/run/a.sock")),
                          source: SourceLocation(file: "/etc/nginx/a", line: 3), servedBy: "gunicorn pid 4 (www-data)")
        let row = RouteRow(route)
        let viaEncoder = try JSONSerialization.jsonObject(with: JSONEncoder().encode(row)) as? NSDictionary
        let document = try JSONSerialization.jsonObject(with: Data(JSONReportRenderer.renderRoutes([row], unavailable: [], diagnostics: []).utf8)) as? [String: Any]
        let viaWriter = (document?["routes"] as? [Any])?.first as? NSDictionary
        #expect(viaEncoder != nil)
        #expect(viaEncoder == viaWriter)
    }
}

@Suite struct ReportRedactionTests {
    @Test func everyPrintedTextIsRedacted() {
        let finding = Finding(check: "proxy-down", layer: .proxy, severity: .critical,
                              summary: "master runs with DATABASE_URL=postgres://app:hunter2@db/app",
                              evidence: [Evidence(kind: .process, text: "nginx -g 'env API_TOKEN=abc123;'", source: "ps")],
                              fix: ["export SECRET_KEY=s3cr3t and restart"])
        let report = Report(status: .critical,
                            verdict: Verdict(layer: .proxy, check: "proxy-down", summary: finding.summary,
                                             evidence: finding.evidence, fix: finding.fix),
                            findings: [finding], routes: [], unavailable: [Unavailable(what: "x", reason: "password=pw1")]).redacted()
        let json = JSONReportRenderer.render(report)
        for secret in ["hunter2", "abc123", "s3cr3t", "pw1"] { #expect(!json.contains(secret), "\(secret) printed") }
        #expect(json.contains("proxy-down"))
        #expect(json.contains(Redactor.mask))
    }
}
