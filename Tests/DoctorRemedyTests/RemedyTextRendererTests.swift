import DoctorFacts
@testable import DoctorRemedy
import Testing

@Suite("RemedyTextRenderer")
struct RemedyTextRendererTests {
    private let tcp = Endpoint.tcp(host: "127.0.0.1", port: 8000)

    @Test("the dry-run plan says nothing changes, shows what each automatic step runs and its guards, and manual steps as things to do")
    func dryRun() {
        var facts = Facts(routes: [Build.route(tcp)])
        facts.services = [Build.service(state: "STOPPED", bind: tcp)]
        let mismatch = Build.finding("secret-key-missing", layer: .startup, severity: .warning,
                                     fix: ["Add DJANGO_SECRET_KEY to environment= at /etc/supervisor/conf.d/app.conf:4"])
        let findings = [Build.finding("target-not-listening"), mismatch]
        let plan = RemedyPlanner.plan(facts: facts, status: .critical, verdict: Build.verdict(findings[0]), findings: findings)
        let text = RemedyTextRenderer.renderPlan(RemedyReport(plan: plan, mode: .dryRun))
        #expect(text.hasPrefix("Diagnosis: critical, upstream, target-not-listening\n"), "\(text)")
        #expect(text.contains("Plan (dry run: nothing is changed; `--apply` carries out the 1 automatic step):"), "\(text)")
        #expect(text.contains("1. [manual] secret-key-missing: secret-key-missing summary\n       do: Add DJANGO_SECRET_KEY"), "\(text)")
        #expect(text.contains("2. [auto] restart supervisor program app"), "\(text)")
        #expect(text.contains("runs: supervisorctl -c /etc/supervisor/supervisord.conf restart app"), "\(text)")
        #expect(text.contains("guard: restart budget: at most 3 restarts per 15 min"), "\(text)")
    }

    @Test("results list what ran, the verification and why a step stopped, then the audit lines and the diagnosis after")
    func results() {
        let plan = RemedyPlan(status: .critical, verdict: Build.verdict(Build.finding("target-not-listening")))
        let results = [StepResult(index: 1, kind: "manual", summary: "m", outcome: .manual),
                       StepResult(index: 2, kind: "validate-then-reload", summary: "test nginx config", outcome: .refused,
                                  ran: ["nginx -t -q -c /etc/nginx/nginx.conf"],
                                  detail: "config test failed (exit status 1); nginx NOT reloaded:\nnginx: [emerg] unexpected \"}\" in /etc/nginx/nginx.conf:30")]
        let entry = AuditEntry(run: "r", step: "config-test", argv: ["nginx", "-t"], exitStatus: 1, outcome: .refused, detail: "failed")
        let report = RemedyReport(plan: plan, mode: .applied,
                                  outcome: RemedyExecutor.Outcome(results: results, audited: [entry], auditFailure: nil),
                                  auditLog: "/var/lib/gwdoctor/audit.jsonl",
                                  after: .init(status: .warning, verdict: Verdict(layer: .proxy, check: "proxy-config-invalid", summary: "still broken")))
        let text = RemedyTextRenderer.renderResults(report)
        #expect(text.contains("2. refused: test nginx config\n       ran: nginx -t -q -c /etc/nginx/nginx.conf\n       why: config test failed"), "\(text)")
        #expect(text.contains("why: config test failed (exit status 1); nginx NOT reloaded:\n            nginx: [emerg] unexpected \"}\" in /etc/nginx/nginx.conf:30"), "\(text)")
        #expect(text.contains("Left for a person: step 1 (not applied)."), "\(text)")
        #expect(text.contains("Audit log /var/lib/gwdoctor/audit.jsonl (1 line appended):\n  refused   config-test: nginx -t (exit 1) — failed"), "\(text)")
        #expect(text.hasSuffix("After: warning, proxy, proxy-config-invalid\n  still broken\n"), "\(text)")
    }
}
