extension Report {
    /// The report with `Redactor` applied to every text a person will see. Facts are
    /// redacted where they are read (logs, command lines, snapshots); this is the last
    /// line of defence for anything a check quotes from a source that was not.
    public func redacted() -> Report {
        var copy = self
        copy.verdict.summary = Redactor.redact(verdict.summary)
        copy.verdict.evidence = verdict.evidence.map(Self.redact)
        copy.verdict.fix = verdict.fix.map(Redactor.redact)
        copy.findings = findings.map { finding in
            var finding = finding
            finding.summary = Redactor.redact(finding.summary)
            finding.evidence = finding.evidence.map(Self.redact)
            finding.fix = finding.fix.map(Redactor.redact)
            return finding
        }
        copy.unavailable = unavailable.map { Unavailable(what: Redactor.redact($0.what), reason: Redactor.redact($0.reason)) }
        return copy
    }

    private static func redact(_ evidence: Evidence) -> Evidence {
        Evidence(kind: evidence.kind, text: Redactor.redact(evidence.text), source: evidence.source.map(Redactor.redact))
    }
}
