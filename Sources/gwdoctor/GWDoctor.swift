import ArgumentParser

/// The `gwdoctor` command: finds out why a reverse proxy answers 502/504.
@main
struct GWDoctor: AsyncParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "gwdoctor",
        abstract: "Find out why the reverse proxy answers 502 Bad Gateway (or 504), with evidence.",
        discussion: """
            Read-only: nothing on the machine is changed. Exit codes: 0 ok, 1 warning, 2 critical, \
            3 unknown (could not decide).
            """,
        version: version,
        subcommands: [DiagnoseCommand.self, RoutesCommand.self, SnapshotCommand.self, ChecksCommand.self],
        defaultSubcommand: DiagnoseCommand.self
    )
}
