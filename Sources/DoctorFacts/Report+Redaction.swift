extension Report {
    /// The report with `Redactor` applied to every text a person will see, and log lines
    /// quoted by `LogLineQuote` (every report — diagnose, fix, watch's incidents — is
    /// rendered from this copy, in text, JSON and Markdown alike). Facts are
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

    /// A log line is also quoted without its query strings and cut to a readable length
    /// (`LogLineQuote`), after redaction so a cut can never leave half a secret unmasked.
    private static func redact(_ evidence: Evidence) -> Evidence {
        let text = Redactor.redact(evidence.text)
        return Evidence(kind: evidence.kind, text: evidence.kind == .log ? LogLineQuote.quote(text) : text,
                        source: evidence.source.map(Redactor.redact))
    }
}
