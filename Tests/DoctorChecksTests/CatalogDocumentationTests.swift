import DoctorChecks
import Foundation
import Testing

/// docs/CHECKS.md must describe every check the code has, so operators can look up any id they see.
@Suite struct CatalogDocumentationTests {
    private var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    @Test func everyCheckHasASectionInTheCatalog() throws {
        let catalog = try String(contentsOf: repositoryRoot.appendingPathComponent("docs/CHECKS.md"), encoding: .utf8)
        for check in CheckCatalog.all {
            #expect(catalog.contains("### `\(check.id)`"), "docs/CHECKS.md has no section for \(check.id)")
        }
    }
}
