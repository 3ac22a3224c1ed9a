import ArgumentParser
import DoctorFacts
import DoctorHost
import DoctorReport

/// `gwdoctor routes`: every proxy route with its source line and who serves it.
/// Replaces `nginx -T | grep proxy_pass` from the runbook.
struct RoutesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "routes",
        abstract: "List every route (listen + server_name + location → target) with its file:line and serving process."
    )

    @OptionGroup var hostOptions: HostOptions

    @Option(help: "Output format.")
    var format: OutputFormat = .text

    func run() async throws {
        let status = try await Terminal.guardingErrors {
            let host = try hostOptions.makeHost()
            var options = hostOptions.gatherOptions(runConfigTest: false, resolveCompiledPaths: false)
            options.forDiagnosis = false
            let facts = await FactGatherer(host: host, options: options).gather()
            let rows = facts.routes.map(RouteRow.init)
            let diagnostics = facts.proxies.flatMap(\.diagnostics)
            let listenersUnknown = facts.unavailable.contains { $0.what == Unavailable.listenerTable }
            switch format {
            case .json:
                Terminal.write(bytes: JSONReportRenderer.renderRoutesBytes(rows, unavailable: facts.unavailable, diagnostics: diagnostics))
            case .text, .markdown:
                if rows.isEmpty {
                    Terminal.write("No routes found.\n")
                } else {
                    Terminal.write(RoutesTableRenderer.render(rows, servedByUnknown: listenersUnknown) + "\n")
                }
                for diagnostic in diagnostics { Terminal.writeError("config: \(diagnostic)\n") }
                let said = Set(diagnostics.map(\.message))
                for item in facts.unavailable where !said.contains(item.reason) {
                    Terminal.writeError("could not check \(item.what): \(item.reason)\n")
                }
            }
            let status: Status = facts.proxies.isEmpty ? .unknown : diagnostics.isEmpty ? .ok : .warning
            Terminal.exitNow(status)
        }
        throw ExitCode(status.exitCode)
    }
}
