import DoctorFacts

/// Renders a report as Markdown for pasting into an incident ticket: the verdict as a
/// heading, evidence as a list with sources in code spans, the fix as numbered steps,
/// routes as a table.
public enum MarkdownReportRenderer {
    public static func render(_ report: Report) -> String {
        var lines: [String] = []
        let verdict = report.verdict
        lines.append("## gwdoctor: \(report.status.rawValue.uppercased()) — \(escape(verdict.summary))")
        lines.append("")
        if let check = verdict.check {
            lines.append("- **Layer:** `\(verdict.layer.rawValue)`  ")
            lines.append("- **Check:** `\(check)` (`gwdoctor checks \(check)`)")
            lines.append("")
        }
        if !verdict.evidence.isEmpty {
            lines.append("### Evidence")
            lines.append("")
            for item in verdict.evidence {
                let source = item.source.map { " — `\(code($0))`" } ?? ""
                lines.append("- \(item.kind.rawValue): `\(code(item.text))`\(source)")
            }
            lines.append("")
        }
        if !verdict.fix.isEmpty {
            lines.append("### Next steps")
            lines.append("")
            for (index, step) in verdict.fix.enumerated() { lines.append("\(index + 1). \(escape(step))") }
            lines.append("")
        }
        let others = report.findings.filter { $0.check != verdict.check || $0.summary != verdict.summary }
        if !others.isEmpty {
            lines.append("### Other findings")
            lines.append("")
            for finding in others {
                lines.append("- **\(finding.severity.rawValue)** `\(finding.check)` (\(finding.layer.rawValue)): \(escape(finding.summary))")
            }
            lines.append("")
        }
        if !report.routes.isEmpty {
            lines.append("### Routes")
            lines.append("")
            lines.append("| listen | server_name | location | target | served by | source |")
            lines.append("|---|---|---|---|---|---|")
            for route in report.routes {
                let cells = [route.listen, route.serverName.isEmpty ? "_" : route.serverName, route.location, route.target,
                             route.servedBy ?? "nothing listening", route.source]
                lines.append("| " + cells.map { "`\(cell($0))`" }.joined(separator: " | ") + " |")
            }
            lines.append("")
        }
        if !report.unavailable.isEmpty {
            lines.append("### Could not check")
            lines.append("")
            for item in report.unavailable { lines.append("- \(escape(item.what)): \(escape(item.reason))") }
            lines.append("")
        }
        return lines.joined(separator: "\n")
    }

    /// Inside a code span only a backtick can break out; a single one becomes an apostrophe-like prime.
    private static func code(_ text: String) -> String {
        text.replacingOccurrences(of: "`", with: "ʹ").replacingOccurrences(of: "\n", with: " ")
    }

    private static func cell(_ text: String) -> String {
        code(text).replacingOccurrences(of: "|", with: "\\|")
    }

    /// Markdown that would change the meaning of plain text (emphasis, links, HTML) is escaped.
    private static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            if "\\`*_[]<>#|".contains(character) { out.append("\\") }
            out.append(character == "\n" ? " " : character)
        }
        return out
    }
}
