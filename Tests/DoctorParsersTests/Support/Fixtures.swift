import DoctorFacts
import DoctorParsers
import Foundation

/// Paths of the fixture trees copied into the test bundle.
enum Fixtures {
    /// `Fixtures/<name>`, e.g. `debian` (a copy of Debian 12's /etc/nginx).
    static func root(_ name: String) throws -> String {
        guard let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
            throw FixtureError.missing("Fixtures")
        }
        let path = url.appendingPathComponent(name).path
        guard FileManager.default.fileExists(atPath: path) else { throw FixtureError.missing(path) }
        return path
    }

    /// The text of one fixture file.
    static func text(_ relative: String) throws -> String {
        try String(contentsOfFile: try root(relative), encoding: .utf8)
    }

    enum FixtureError: Error { case missing(String) }
}

/// A fresh temporary directory, removed when the test body ends.
func withTemporaryDirectory<T>(_ body: (String) throws -> T) throws -> T {
    let path = NSTemporaryDirectory() + "gwdoctor-parsers-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try body(path)
}

/// Loads and builds in one step, the way the gatherer will.
func loadModel(_ main: String, _ reader: some ConfigFileReader, prefix: String = "/usr/share/nginx/",
               maxFileBytes: Int = NginxConfigLoader.defaultMaxFileBytes) -> (NginxConfig, NginxModel) {
    let config = NginxConfigLoader.load(mainFile: main, reader: reader, maxFileBytes: maxFileBytes)
    return (config, NginxModel.build(config: config, prefix: prefix))
}

extension [ConfigDiagnostic] {
    func of(_ kind: ConfigDiagnostic.Kind) -> [ConfigDiagnostic] { filter { $0.kind == kind } }
}

extension [NginxDirective] {
    /// The first directive named `name`, searching blocks depth-first.
    func find(_ name: String) -> NginxDirective? {
        for directive in self {
            if directive.name == name { return directive }
            if let found = directive.block?.find(name) { return found }
        }
        return nil
    }

    /// Every directive in the tree, depth-first.
    var flattened: [NginxDirective] {
        flatMap { [$0] + ($0.block?.flattened ?? []) }
    }
}
