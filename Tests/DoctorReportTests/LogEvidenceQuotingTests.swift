import DoctorFacts
import DoctorReport
import Foundation
import Testing

/// Every report (text, JSON, Markdown; `watch` writes its incidents from the same redacted
/// `Report`) quotes a log line through `LogLineQuote`: no query string, the path kept.
@Suite struct LogEvidenceQuotingTests {
    /// A real nginx 1.22.1 line: proxy_pass to a closed port, curl sending a query and a Referer.
    private static let line = #"2026/11/21 16:30:57 [error] 31102#31102: *1 connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: shop.example.com, request: "GET /reset/?code=8f3a91c2e7&sig=Zm9vYmFy HTTP/1.1", upstream: "http://127.0.0.1:18001/reset/?code=8f3a91c2e7&sig=Zm9vYmFy", host: "shop.example.com", referrer: "https://shop.example.com/account/?session=abc123&next=/x""#

    private func report() -> Report {
        let log = Evidence(kind: .log, text: Self.line, source: "/var/log/nginx/error.log:7")
        // A config quote is not a log line: left as written.
        let config = Evidence(kind: .config, text: "return 302 /login/?next=/reset/", source: "/etc/nginx/sites-enabled/shop:9")
        let long = Evidence(kind: .log, text: "request: \"GET /" + String(repeating: "a", count: 4000) + " HTTP/1.1\"", source: "x:1")
        let finding = Finding(check: "target-not-listening", layer: .upstream, severity: .critical, summary: "Nothing listens at 127.0.0.1:18001",
                              evidence: [log, config, long], fix: ["start it"])
        return Report(status: .critical,
                      verdict: Verdict(layer: .upstream, check: finding.check, summary: finding.summary, evidence: finding.evidence, fix: finding.fix),
                      findings: [finding], routes: [], unavailable: []).redacted()
    }

    @Test func redactedReportQuotesLogLinesWithoutQueries() throws {
        let report = report()
        let evidence = try #require(report.findings.first?.evidence)
        #expect(evidence[0].text == Self.line.replacingOccurrences(of: "?code=8f3a91c2e7&sig=Zm9vYmFy", with: "?…")
            .replacingOccurrences(of: "?session=abc123&next=/x", with: "?…"))
        #expect(evidence[0].source == "/var/log/nginx/error.log:7")
        #expect(evidence[1].text == "return 302 /login/?next=/reset/")
        #expect(evidence[2].text.count == LogLineQuote.maxCharacters && evidence[2].text.hasSuffix("…"))
        #expect(report.verdict.evidence == evidence)
    }

    @Test func everyFormatPrintsThePathAndNotTheQuery() {
        let report = report()
        let rendered = [
            "text": TextReportRenderer(colour: false).render(report),
            "json": JSONReportRenderer.render(report),
            "markdown": MarkdownReportRenderer.render(report),
        ]
        for (format, output) in rendered {
            for secret in ["8f3a91c2e7", "Zm9vYmFy", "abc123"] { #expect(!output.contains(secret), "\(secret) in \(format)") }
            #expect(output.contains("/reset/?…"), "\(format) keeps the path:\n\(output)")
            #expect(!output.contains(String(repeating: "a", count: 500)), "\(format) prints the 4 kB line whole")
        }
    }
}
