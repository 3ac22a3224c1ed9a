import DoctorFacts

/// What `gwdoctor fix` proposes for one diagnosis: the steps in order (manual edits first,
/// then the automatic steps: app services, sockets, and a proxy reload last), and notes
/// saying why something was not planned.
public struct RemedyPlan: Hashable, Sendable {
    /// The diagnosis's status and verdict the plan answers (its cause names what restarts cannot fix).
    public var status: Status
    public var verdict: Verdict
    public var steps: [RemedyStep]
    /// Why nothing (or not more) is planned: healthy, a snapshot, a service gwdoctor cannot drive.
    public var notes: [String]

    public init(status: Status, verdict: Verdict, steps: [RemedyStep] = [], notes: [String] = []) {
        self.status = status
        self.verdict = verdict
        self.steps = steps
        self.notes = notes
    }

    public var automaticSteps: [RemedyStep] { steps.filter(\.isAutomatic) }
    public var manualSteps: [RemedyStep] { steps.filter { !$0.isAutomatic } }

    /// The verdict's cause in one sentence, for "a person must look" messages:
    /// `app-startup-crash (missing-env-var): supervisor app fails to boot: KeyError 'DJANGO_SECRET_KEY' …`.
    public var causeText: String {
        var text = verdict.check ?? "no finding"
        if let cause = verdict.cause { text += " (\(cause))" }
        return text + ": " + verdict.summary
    }
}
