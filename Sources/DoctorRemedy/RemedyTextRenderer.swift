import DoctorFacts

/// `gwdoctor fix`'s text output: the verdict, the plan with each step's guards, and after
/// `--apply` the results, the audit lines and the diagnosis afterwards. Pure.
public enum RemedyTextRenderer {
    /// The verdict and the plan (printed before any confirmation).
    public static func renderPlan(_ report: RemedyReport) -> String {
        var text = "Diagnosis: \(report.status.rawValue)"
        if let check = report.verdict.check {
            text += ", \(report.verdict.layer.rawValue), \(check)" + (report.verdict.cause.map { " (\($0))" } ?? "")
        }
        text += "\n  \(report.verdict.summary)\n\n"
        if report.plan.isEmpty {
            text += "Plan: nothing to do.\n"
        } else {
            let automatic = report.plan.filter(\.automatic).count
            let heading = switch report.mode {
            case .dryRun where automatic == 0: "Plan (nothing in it is automatic; gwdoctor changes nothing):"
            case .dryRun: "Plan (dry run: nothing is changed; `--apply` carries out the \(automatic) automatic step\(automatic == 1 ? "" : "s")):"
            default: "Plan:"
            }
            text += heading + "\n"
            for step in report.plan {
                text += "  \(step.index). [\(step.automatic ? "auto" : "manual")] \(step.summary)\n"
                for command in step.commands {
                    text += "       \(step.automatic ? "runs" : "do"): \(command)\n"
                }
                if step.automatic {
                    for guardText in step.guards { text += "       guard: \(guardText)\n" }
                }
            }
        }
        for note in report.notes { text += "Note: \(note)\n" }
        return text
    }

    /// Results, audit lines and the diagnosis after an applied plan.
    public static func renderResults(_ report: RemedyReport) -> String {
        guard !report.results.isEmpty || report.after != nil else { return "" }
        var text = "\nResults:\n"
        for result in report.results where result.outcome != .manual {
            text += "  \(result.index). \(result.outcome.rawValue): \(result.summary)\n"
            for ran in result.ran { text += "       ran: \(ran)\n" }
            if let verification = result.verification { text += "       verified: \(verification)\n" }
            if let detail = result.detail {
                for (number, line) in detail.split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
                    text += number == 0 ? "       why: \(line)\n" : "            \(line)\n"
                }
            }
        }
        let manual = report.results.filter { $0.outcome == .manual }
        if !manual.isEmpty {
            text += "  Left for a person: step\(manual.count == 1 ? "" : "s") \(manual.map { String($0.index) }.joined(separator: ", ")) (not applied).\n"
        }
        if let path = report.auditLog {
            text += "\nAudit log \(path) (\(report.audit.count) line\(report.audit.count == 1 ? "" : "s") appended):\n"
            for entry in report.audit { text += "  \(entry.line)\n" }
        }
        if let after = report.after {
            text += "\nAfter: \(after.status.rawValue)"
            if let check = after.verdict.check { text += ", \(after.verdict.layer.rawValue), \(check)" }
            text += "\n  \(after.verdict.summary)\n"
        }
        return text
    }
}
