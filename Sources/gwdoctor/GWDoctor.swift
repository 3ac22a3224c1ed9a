import ArgumentParser

#if canImport(Glibc)
/// glibc's `mallopt(3)`; `<malloc.h>` is not part of the Glibc module map.
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif

/// The `gwdoctor` command: finds out why a reverse proxy answers 502/504.
@main
struct GWDoctor: AsyncParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "gwdoctor",
        abstract: "Find out why the reverse proxy answers 502 Bad Gateway (or 504), with evidence.",
        discussion: """
            Read-only: nothing on the machine is changed, except by `fix --apply` (and `rollback --apply`), \
            which show their plan first and write every step to an audit log. Exit codes: 0 ok, \
            1 warning, 2 critical, 3 unknown (could not decide).
            """,
        version: version,
        subcommands: [DiagnoseCommand.self, RoutesCommand.self, SnapshotCommand.self, ChecksCommand.self, FixCommand.self, RollbackCommand.self, WatchCommand.self, GateCommand.self],
        defaultSubcommand: DiagnoseCommand.self
    )

    static func main() async {
        #if canImport(Glibc)
        // gwdoctor builds large short-lived trees (a 2,000-site config is ~100k directives).
        // glibc's fastbins make freeing them trigger repeated consolidation; without them
        // `routes` on such a tree is ~10% faster. M_MXFAST is 1 in <malloc.h>.
        _ = glibcMallopt(1, 0)
        #endif
        await main(nil)
    }
}
