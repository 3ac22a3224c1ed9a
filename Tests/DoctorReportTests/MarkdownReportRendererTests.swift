import DoctorFacts
import DoctorReport
import Testing

@Suite struct MarkdownReportRendererTests {
    private let report = Report(
        status: .critical,
        verdict: Verdict(layer: .socket, check: "socket-permission",
                         summary: "www-data cannot search /run/app (drwx------ root root)",
                         evidence: [Evidence(kind: .file, text: "drwx------ root root /run/app", source: "namei -l /run/app/gunicorn.sock"),
                                    Evidence(kind: .log, text: "connect() to unix:/run/app/gunicorn.sock failed (13: Permission denied) `x`",
                                             source: "/var/log/nginx/error.log:42")],
                         fix: ["chgrp www-data /run/app && chmod g+x /run/app"]),
        findings: [Finding(check: "proxy-config-invalid", layer: .proxy, severity: .warning, summary: "uses *stars* and <html>")],
        routes: [RouteRow(Route(proxy: .nginx, listen: ["80"], serverNames: ["a|b.test"], location: "/", directive: "proxy_pass",
                                target: .endpoint(scheme: "http", .unix(path: "/run/app/gunicorn.sock")),
                                source: SourceLocation(file: "/etc/nginx/sites-enabled/app", line: 9)))],
        unavailable: [])

    @Test func headingEvidenceStepsAndTable() {
        let markdown = MarkdownReportRenderer.render(report)
        #expect(markdown.hasPrefix("## gwdoctor: CRITICAL — www-data cannot search /run/app"))
        #expect(markdown.contains("- **Check:** `socket-permission`"))
        #expect(markdown.contains("— `/var/log/nginx/error.log:42`"))
        #expect(markdown.contains("1. chgrp www-data /run/app && chmod g+x /run/app"))
        #expect(markdown.contains("| `80` | `a\\|b.test` | `/` |"))
    }

    @Test func backticksAndMarkupCannotBreakOut() {
        let markdown = MarkdownReportRenderer.render(report)
        #expect(!markdown.contains("`x`"))
        #expect(markdown.contains("uses \\*stars\\* and \\<html\\>"))
    }
}
