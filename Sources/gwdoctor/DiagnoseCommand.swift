import ArgumentParser
import DoctorChecks
import DoctorFacts
import DoctorHost
import DoctorReport

/// `gwdoctor diagnose`: the runbook, as one read-only command.
struct DiagnoseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diagnose",
        abstract: "Diagnose the proxy and its upstreams; print the verdict with evidence (read-only)."
    )

    @OptionGroup var hostOptions: HostOptions

    @Option(help: "Output format.")
    var format: OutputFormat = .text

    @Flag(name: .customLong("no-probe"), help: "Do not probe the upstreams or the proxy (read config, processes and logs only).")
    var noProbe = false

    @Option(help: "How far back to read logs (e.g. 90s, 15m, 2h).")
    var since = TimeWindow(argument: "15m")!

    func run() async throws {
        let status = try await Terminal.guardingErrors {
            let host = try hostOptions.makeHost()
            let facts = await FactGatherer(host: host, options: hostOptions.gatherOptions(runConfigTest: true, probe: !noProbe, sinceSeconds: since.seconds)).gather()
            let diagnosis = VerdictRanker.diagnose(facts)
            let report = Report(status: diagnosis.status, verdict: diagnosis.verdict, findings: diagnosis.findings,
                                routes: facts.routes.map(RouteRow.init), unavailable: facts.unavailable).redacted()
            switch format {
            case .json: Terminal.write(JSONReportRenderer.render(report) + "\n")
            case .text: Terminal.write(TextReportRenderer(colour: Terminal.wantsColour).render(report))
            case .markdown: Terminal.write(MarkdownReportRenderer.render(report))
            }
            return report.status
        }
        throw ExitCode(status.exitCode)
    }
}
