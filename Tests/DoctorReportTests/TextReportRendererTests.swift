import DoctorFacts
import DoctorReport
import Testing

@Suite struct TextReportRendererTests {
    private let report = Report(
        status: .warning,
        verdict: Verdict(layer: .proxy, check: "proxy-config-invalid", summary: "config fails nginx -t",
                         evidence: [Evidence(kind: .command, text: "[emerg] unexpected \"}\"", source: "/etc/nginx/nginx.conf:9")],
                         fix: ["Fix /etc/nginx/nginx.conf:9"]),
        findings: [], routes: [], unavailable: [Unavailable(what: "listeners", reason: "permission denied")])

    @Test func verdictEvidenceAndStepsComeFirstWithSources() {
        let text = TextReportRenderer(colour: false).render(report)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.first == "WARNING: [proxy] config fails nginx -t")
        #expect(text.contains("(/etc/nginx/nginx.conf:9)"))
        #expect(text.contains("1. Fix /etc/nginx/nginx.conf:9"))
        #expect(text.contains("gwdoctor checks proxy-config-invalid"))
        #expect(text.contains("listeners: permission denied"))
    }

    @Test func noEscapeCodesWithoutColour() {
        #expect(!TextReportRenderer(colour: false).render(report).contains("\u{1B}["))
        #expect(TextReportRenderer(colour: true).render(report).contains("\u{1B}["))
    }

    @Test func routesTableMarksNothingListening() {
        let route = Route(proxy: .nginx, listen: ["80"], serverNames: [""], location: "/", directive: "proxy_pass",
                          target: .endpoint(scheme: "http", .unix(path: "/run/app.sock")),
                          source: SourceLocation(file: "/etc/nginx/nginx.conf", line: 20))
        let table = RoutesTableRenderer.render([RouteRow(route)])
        #expect(table.contains("nothing listening"))
        #expect(table.contains("http://unix:/run/app.sock"))
        #expect(table.hasPrefix("LISTEN"))
        #expect(RoutesTableRenderer.render([RouteRow(route)], servedByUnknown: true).contains("unknown"))
    }
}
