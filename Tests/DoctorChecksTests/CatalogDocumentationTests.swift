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

/// The ranker follows `explains` as a chain (docs/CHECKS.md, Ranking): every id named there
/// must be a real check, and the graph must have no cycle, else which finding becomes the
/// verdict would depend on the order the checks happen to fire in.
@Suite struct ExplainsGraphTests {
    @Test func explainsNamesOnlyCatalogChecks() {
        let ids = Set(CheckCatalog.all.map(\.id))
        for check in CheckCatalog.all {
            let unknown = check.explains.subtracting(ids)
            #expect(unknown.isEmpty, "\(check.id) explains unknown ids \(unknown.sorted())")
            #expect(!check.explains.contains(check.id), "\(check.id) explains itself")
        }
    }

    @Test func explainsHasNoCycle() {
        let explains = Dictionary(CheckCatalog.all.map { ($0.id, $0.explains) }, uniquingKeysWith: { first, _ in first })
        // Depth-first search; `path` holds the ids on the current chain.
        var done: Set<String> = []
        func visit(_ id: String, path: [String]) -> [String]? {
            if let start = path.firstIndex(of: id) { return Array(path[start...]) + [id] }
            guard !done.contains(id) else { return nil }
            for next in (explains[id] ?? []).sorted() {
                if let cycle = visit(next, path: path + [id]) { return cycle }
            }
            done.insert(id)
            return nil
        }
        for check in CheckCatalog.all {
            let cycle = visit(check.id, path: [])
            #expect(cycle == nil, "explains cycle: \(cycle?.joined(separator: " explains ") ?? "")")
        }
    }
}
