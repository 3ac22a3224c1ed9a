import ArgumentParser
import DoctorChecks

/// `gwdoctor checks [ID]`: the catalog, or one check explained (like `ruff rule`).
struct ChecksCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checks",
        abstract: "List the checks, or explain one: gwdoctor checks proxy-down"
    )

    @Argument(help: "A check id to explain.")
    var id: String?

    func run() throws {
        guard let id else {
            let width = CheckCatalog.all.map(\.id.count).max() ?? 0
            for check in CheckCatalog.all {
                let padded = check.id + String(repeating: " ", count: width - check.id.count)
                Terminal.write("\(padded)  \(check.layer.rawValue.padding(9))  \(check.title)\n")
            }
            return
        }
        guard let check = CheckCatalog.check(id: id) else {
            Terminal.writeError("gwdoctor: unknown check '\(id)'; `gwdoctor checks` lists them\n")
            throw ExitCode(3)
        }
        Terminal.write("""
            \(check.id) — \(check.title)
            layer: \(check.layer.rawValue)

            Why: \(check.rationale)

            Fix: \(check.fixText)

            """)
    }
}

extension String {
    fileprivate func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
