import DoctorFacts

/// Renders a report for a person at a terminal: verdict first, then evidence and the
/// next step, then other findings. Colour only when asked (the CLI asks on a TTY
/// without `NO_COLOR`).
public struct TextReportRenderer: Sendable {
    public var colour: Bool

    public init(colour: Bool) {
        self.colour = colour
    }

    public func render(_ report: Report) -> String {
        var lines: [String] = []
        let verdict = report.verdict
        let head = "\(statusWord(report.status)) \(verdict.layer == .none ? "" : "[\(verdict.layer.rawValue)] ")\(verdict.summary)"
        lines.append(head)
        if let check = verdict.check { lines.append("  check: \(check)   (explain: gwdoctor checks \(check))") }
        if !verdict.evidence.isEmpty {
            lines.append("")
            lines.append(bold("Evidence"))
            for item in verdict.evidence { lines.append("  - " + evidenceLine(item)) }
        }
        if !verdict.fix.isEmpty {
            lines.append("")
            lines.append(bold("Next steps"))
            for (index, step) in verdict.fix.enumerated() { lines.append("  \(index + 1). \(step)") }
        }
        let others = report.findings.filter { $0.check != verdict.check || $0.summary != verdict.summary }
        if !others.isEmpty {
            lines.append("")
            lines.append(bold("Other findings"))
            for finding in others {
                lines.append("  - [\(finding.severity.rawValue)] \(finding.check): \(finding.summary)")
            }
        }
        if !report.routes.isEmpty {
            lines.append("")
            lines.append(bold("Routes"))
            lines.append(contentsOf: RoutesTableRenderer.render(report.routes).split(separator: "\n").map { "  " + $0 })
        }
        if !report.unavailable.isEmpty {
            lines.append("")
            lines.append(bold("Could not check"))
            for item in report.unavailable { lines.append("  - \(item.what): \(item.reason)") }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func evidenceLine(_ evidence: Evidence) -> String {
        guard let source = evidence.source else { return "\(evidence.kind.rawValue): \(evidence.text)" }
        return "\(evidence.kind.rawValue): \(evidence.text)  (\(source))"
    }

    private func statusWord(_ status: Status) -> String {
        let word = status.rawValue.uppercased()
        guard colour else { return word + ":" }
        let code = switch status {
        case .ok: "32"
        case .warning: "33"
        case .critical: "31"
        case .unknown: "35"
        }
        return "\u{1B}[1;\(code)m\(word)\u{1B}[0m:"
    }

    private func bold(_ text: String) -> String {
        colour ? "\u{1B}[1m\(text)\u{1B}[0m" : text
    }
}
