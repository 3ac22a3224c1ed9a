import Foundation

/// Writes the files of one snapshot directory.
struct SnapshotWriter {
    let directory: String

    /// Creates the directory, or accepts an existing empty one.
    func prepare() throws(SnapshotError) {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw .io(path: directory, message: "exists and is not a directory") }
            let entries = (try? manager.contentsOfDirectory(atPath: directory)) ?? []
            guard entries.isEmpty else { throw .directoryNotEmpty(directory) }
            return
        }
        do {
            try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw .io(path: directory, message: error.localizedDescription)
        }
    }

    func write(_ data: Data, to relative: String) throws(SnapshotError) {
        let url = URL(fileURLWithPath: directory).appendingPathComponent(relative)
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: url)
        } catch {
            throw .io(path: url.path, message: error.localizedDescription)
        }
    }

    func writeJSON(_ value: some Encodable, to relative: String) throws(SnapshotError) {
        let data: Data
        do {
            data = try SnapshotLayout.encoder().encode(value)
        } catch {
            throw .invalid(file: relative, reason: "cannot encode: \(error)")
        }
        try write(data + Data("\n".utf8), to: relative)
    }
}
