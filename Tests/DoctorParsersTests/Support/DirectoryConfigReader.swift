import DoctorFacts
import DoctorParsers
import Foundation

/// Reads real files, with every absolute config path taken under `root`, so a copied
/// `/etc/nginx` tree under `Fixtures/debian` is read as `/etc/nginx/...`. An empty
/// root reads the machine's own paths. Only for tests: the host layer has its own reader.
struct DirectoryConfigReader: ConfigFileReader {
    var root: String = ""

    func readConfigFile(_ path: String, maxBytes: Int) -> Result<[UInt8], ConfigReadError> {
        let descriptor = open(root + path, O_RDONLY)
        guard descriptor >= 0 else { return .failure(Self.error(errno)) }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return .failure(Self.error(errno)) }
        if (info.st_mode & S_IFMT) == S_IFDIR { return .failure(.isDirectory) }
        let size = Int(info.st_size)
        // Refuse before reading: a 50 MB file must not be loaded to be rejected.
        guard size <= maxBytes else { return .failure(.tooLarge(bytes: size, limit: maxBytes)) }
        var bytes = [UInt8](repeating: 0, count: size)
        var filled = 0
        while filled < size {
            let count = bytes.withUnsafeMutableBytes { buffer in
                read(descriptor, buffer.baseAddress! + filled, size - filled)
            }
            if count < 0 { return .failure(Self.error(errno)) }
            if count == 0 { break }
            filled += count
        }
        return .success(Array(bytes[..<filled]))
    }

    func listDirectory(_ path: String) -> Result<[String], ConfigReadError> {
        do {
            return .success(try FileManager.default.contentsOfDirectory(atPath: root + path))
        } catch let error as CocoaError where error.code == .fileReadNoPermission {
            return .failure(.permissionDenied)
        } catch let error as CocoaError where error.code == .fileReadNoSuchFile {
            return .failure(.notFound)
        } catch {
            return .failure(.other("\(error)"))
        }
    }

    private static func error(_ code: Int32) -> ConfigReadError {
        switch code {
        case ENOENT, ENOTDIR: .notFound
        case EACCES, EPERM: .permissionDenied
        case EISDIR: .isDirectory
        default: .other(String(cString: strerror(code)))
        }
    }
}
