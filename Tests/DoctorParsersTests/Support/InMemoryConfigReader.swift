import DoctorFacts
import DoctorParsers

/// Config files held in memory, keyed by absolute path; directories are implied by
/// the paths. Failures can be injected per path (permission denied cannot be produced
/// with chmod when the tests run as root, so it is simulated here).
struct InMemoryConfigReader: ConfigFileReader {
    var files: [String: [UInt8]] = [:]
    var failures: [String: ConfigReadError] = [:]

    init(_ files: [String: String] = [:], failures: [String: ConfigReadError] = [:]) {
        self.files = files.mapValues { Array($0.utf8) }
        self.failures = failures
    }

    func readConfigFile(_ path: String, maxBytes: Int) -> Result<[UInt8], ConfigReadError> {
        if let failure = failures[path] { return .failure(failure) }
        guard let bytes = files[path] else {
            return .failure(isDirectory(path) ? .isDirectory : .notFound)
        }
        guard bytes.count <= maxBytes else { return .failure(.tooLarge(bytes: bytes.count, limit: maxBytes)) }
        return .success(bytes)
    }

    func listDirectory(_ path: String) -> Result<[String], ConfigReadError> {
        if let failure = failures[path] { return .failure(failure) }
        let prefix = path.hasSuffix("/") ? path : path + "/"
        var names: Set<String> = []
        for key in files.keys where key.hasPrefix(prefix) {
            if let name = key.dropFirst(prefix.count).split(separator: "/").first { names.insert(String(name)) }
        }
        return names.isEmpty ? .failure(.notFound) : .success(names.sorted())
    }

    private func isDirectory(_ path: String) -> Bool {
        files.keys.contains { $0.hasPrefix(path + "/") }
    }
}
