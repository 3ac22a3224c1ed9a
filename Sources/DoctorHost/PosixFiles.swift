#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import SystemPackage

/// File-system reads for `LiveHost`, with every errno turned into a `HostError`.
///
/// Reads go through one descriptor (`open`, `fstat`, `pread`) so the size check and the
/// read refer to the same file even if a log is rotated in between.
enum PosixFiles {
    /// Largest single `pread`; bounds the temporary buffer, not the result.
    static let chunkSize = 64 * 1024

    static func readFile(_ path: String, maxBytes: Int) throws(HostError) -> [UInt8] {
        let fd = try openForReading(path)
        defer { try? fd.close() }
        let info = try stat(of: fd, path: path)
        let size = Int(clamping: info.size)
        if size > maxBytes { throw .tooLarge(path, bytes: size, limit: maxBytes) }
        // /proc and sysfs files report size 0, and a file may grow after fstat: read to EOF,
        // but stop one byte past the limit so an endless file cannot be slurped.
        let bytes = try read(fd, path: path, from: 0, upTo: maxBytes < Int.max ? max(0, maxBytes) + 1 : Int.max,
                             sizeHint: size)
        if bytes.count > maxBytes { throw .tooLarge(path, bytes: bytes.count, limit: maxBytes) }
        return bytes
    }

    static func readTail(_ path: String, maxBytes: Int) throws(HostError) -> FileTail {
        let fd = try openForReading(path)
        defer { try? fd.close() }
        let info = try stat(of: fd, path: path)
        let size = UInt64(clamping: info.size)
        let limit = UInt64(max(0, maxBytes))
        if size == 0 {
            // Size unknown (/proc): read forward keeping only the last maxBytes.
            let (bytes, total) = try readKeepingTail(fd, path: path, maxBytes: maxBytes)
            return FileTail(bytes: bytes, offset: total - UInt64(bytes.count), fileSize: total)
        }
        let offset = size > limit ? size - limit : 0
        // Read only up to the size fstat saw: bytes appended meanwhile belong to the next read.
        let bytes = try read(fd, path: path, from: Int64(offset), upTo: Int(size - offset))
        return FileTail(bytes: bytes, offset: offset, fileSize: size)
    }

    static func status(_ path: String, followLinks: Bool) throws(HostError) -> FileStatus {
        do {
            let info = try Stat(FilePath(path), followTargetSymlink: followLinks)
            return fileStatus(info)
        } catch {
            throw hostError(error, path: path)
        }
    }

    static func readLink(_ path: String) throws(HostError) -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = buffer.withUnsafeMutableBufferPointer { raw -> Int in
            guard let base = raw.baseAddress else { return -1 }
            return readlink(path, base, raw.count - 1)
        }
        guard count >= 0 else { throw hostError(errno: errno, path: path) }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func list(_ path: String) throws(HostError) -> [String] {
        guard let directory = opendir(path) else { throw hostError(errno: errno, path: path) }
        defer { closedir(directory) }
        var names: [String] = []
        while true {
            errno = 0
            guard let entry = readdir(directory) else {
                if errno != 0 { throw hostError(errno: errno, path: path) }
                break
            }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != ".", name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    // MARK: - Helpers

    static func openForReading(_ path: String) throws(HostError) -> FileDescriptor {
        do {
            // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever.
            return try FileDescriptor.open(FilePath(path), .readOnly, options: [.closeOnExec, .nonBlocking])
        } catch {
            throw hostError(error, path: path)
        }
    }

    static func stat(of fd: FileDescriptor, path: String) throws(HostError) -> Stat {
        let info: Stat
        do {
            info = try fd.stat()
        } catch {
            throw hostError(error, path: path)
        }
        switch info.type {
        case .regular, .characterSpecial, .blockSpecial:
            return info
        case .directory:
            throw .io(path, errno: EISDIR, message: message(EISDIR))
        default:
            // A FIFO or socket has no contents to read; waiting on it would hang the tool.
            throw .io(path, errno: EINVAL, message: "not a regular file")
        }
    }

    /// `sizeHint` (fstat's size) sizes the buffer: configs are many small files, and a
    /// zeroed 64 KiB chunk per file was most of the cost of reading a 400-file tree.
    static func read(_ fd: FileDescriptor, path: String, from start: Int64, upTo limit: Int,
                     sizeHint: Int? = nil) throws(HostError) -> [UInt8] {
        var out: [UInt8] = []
        var chunkLength = min(max(limit, 1), chunkSize)
        // +1 so a file that did not grow reaches EOF within the first chunk's follow-up read.
        if let sizeHint, sizeHint > 0 { chunkLength = min(chunkLength, sizeHint + 1) }
        out.reserveCapacity(min(limit, max(chunkLength, sizeHint ?? 0)))
        var offset = start
        var chunk = [UInt8](repeating: 0, count: chunkLength)
        while out.count < limit {
            let want = min(chunk.count, limit - out.count)
            let got: Int
            do {
                got = try chunk.withUnsafeMutableBytes { buffer in
                    try fd.read(fromAbsoluteOffset: offset, into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want]))
                }
            } catch let error as Errno where error == .resourceTemporarilyUnavailable {
                break
            } catch {
                throw hostError(error, path: path)
            }
            if got == 0 { break }
            out.append(contentsOf: chunk[0..<got])
            offset += Int64(got)
        }
        return out
    }

    /// Reads a file of unknown size to its end, keeping the last `maxBytes`.
    static func readKeepingTail(_ fd: FileDescriptor, path: String, maxBytes: Int) throws(HostError) -> ([UInt8], UInt64) {
        // Bound the scan too: a character device never ends.
        let scanLimit: UInt64 = 256 * 1024 * 1024
        var kept: [UInt8] = []
        var total: UInt64 = 0
        while total < scanLimit {
            let chunk = try read(fd, path: path, from: Int64(total), upTo: chunkSize)
            if chunk.isEmpty { break }
            total += UInt64(chunk.count)
            kept.append(contentsOf: chunk)
            if kept.count > maxBytes { kept.removeFirst(kept.count - maxBytes) }
        }
        return (kept, total)
    }

    static func fileStatus(_ info: Stat) -> FileStatus {
        let kind: FileStatus.Kind = switch info.type {
        case .regular: .regular
        case .directory: .directory
        case .symbolicLink: .symlink
        case .socket: .socket
        case .fifo: .fifo
        default: .other
        }
        let modified = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1_000_000_000
        return FileStatus(kind: kind, mode: UInt32(info.mode.rawValue) & 0o7777, uid: Int(info.userID.rawValue),
                          gid: Int(info.groupID.rawValue), size: UInt64(clamping: info.size), modified: modified)
    }

    static func hostError(_ error: any Error, path: String) -> HostError {
        if let errno = error as? Errno { return hostError(errno: errno.rawValue, path: path) }
        return .io(path, errno: 0, message: "\(error)")
    }

    /// ENOTDIR counts as not found: a path through a regular file names nothing.
    static func hostError(errno code: Int32, path: String) -> HostError {
        switch code {
        case ENOENT, ENOTDIR: .notFound(path)
        case EACCES, EPERM: .permissionDenied(path)
        default: .io(path, errno: code, message: message(code))
        }
    }

    static func message(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "errno \(code)" }
        return String(cString: text)
    }
}
