import DoctorFacts
import DoctorParsers
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Reads each access log the routes write to, over the `--since` window, with the
/// log's own `log_format`, and counts statuses per route and upstream.
///
/// The window is found from the end: probes step back from the end of the file
/// (256 KiB, ×4 each time) until a line older than the window start, then a binary
/// search narrows it to 256 KiB; only then is the window read forward in 4 MiB
/// chunks through one reused buffer. A 15-minute window at the end of a 1 GB log
/// costs a few MB of reads and constant memory. On a live host the file is read with
/// pread(2); through a snapshot or a recording (anything not `LiveHost`) it goes
/// through `readTail`, growing ×4 up to `tailCap`, so a snapshot keeps only the window.
struct AccessLogGatherer: Sendable {
    let host: any Host
    /// Largest tail read through `readTail` (snapshots, recordings).
    var tailCap = 64 << 20
    static let chunk = 4 << 20
    static let probe = 256 << 10

    /// One log to read and the routes writing to it.
    struct Target {
        var path: String
        var formatName: String
        var source: SourceLocation?
        var routes: [Route]
    }

    func gather(_ proxies: [ProxyInstance], routes: [Route], since start: Date) -> (windows: [AccessLogWindow], unavailable: [Unavailable]) {
        var windows: [AccessLogWindow] = []
        var unavailable: [Unavailable] = []
        let formats = proxies.reduce(into: [String: String]()) { $0.merge($1.logFormats) { first, _ in first } }
        for target in Self.targets(proxies, routes: routes) {
            guard let text = formats[target.formatName] ?? (target.formatName == "combined" ? NginxModel.combinedLogFormat : nil) else {
                unavailable.append(Unavailable(what: "access log \(target.path)",
                                               reason: "log_format \(target.formatName) is not defined in the configuration"))
                continue
            }
            let format = AccessLogFormat(text)
            do {
                // Up, as the error log's window compares: a line stamped in the start's second may predate
                // the start (fix's after-diagnosis starts 1 s back, mid-second, right after its own 502 probe).
                windows.append(try read(target, format: format, since: Int(start.timeIntervalSince1970.rounded(.up))))
            } catch {
                unavailable.append(Unavailable(what: "access log \(target.path)", reason: error.description))
            }
        }
        return (windows, unavailable)
    }

    /// Each file once, with the routes whose effective `access_log` names it (the
    /// first format named for it wins: nginx writes each directive's lines in its own format,
    /// but two formats in one file would not be one log).
    static func targets(_ proxies: [ProxyInstance], routes: [Route]) -> [Target] {
        var targets: [Target] = []
        let compiledDefault = proxies.lazy.flatMap(\.accessLogs).first { $0.source == nil }
        for route in routes where route.proxy == .nginx {
            for log in route.settings.accessLogs {
                var path = log.args.first ?? ""
                if log.isDefault, let compiledDefault { path = compiledDefault.path }
                guard path.hasPrefix("/") else { continue }
                let format = log.args.dropFirst().first ?? "combined"
                if let index = targets.firstIndex(where: { $0.path == path }) {
                    if !targets[index].routes.contains(route) { targets[index].routes.append(route) }
                } else {
                    targets.append(Target(path: path, formatName: format, source: log.source, routes: [route]))
                }
            }
        }
        if targets.isEmpty {
            for proxy in proxies {
                for log in proxy.accessLogs where log.isFile && !targets.contains(where: { $0.path == log.path }) {
                    targets.append(Target(path: log.path, formatName: log.qualifier ?? "combined", source: log.source, routes: []))
                }
            }
        }
        return targets
    }

    private func read(_ target: Target, format: AccessLogFormat, since start: Int) throws(HostError) -> AccessLogWindow {
        if host is LiveHost {
            return try readLive(target, format: format, since: start)
        }
        return try readThroughTail(target, format: format, since: start)
    }

    private func scanner(_ target: Target, format: AccessLogFormat, since start: Int, fromFileStart: Bool) -> AccessLogScanner {
        AccessLogScanner(format: format, path: target.path, windowStart: start, routeLabels: target.routes.map(\.label),
                         routeLocations: target.routes.map(\.location), firstLineNumber: fromFileStart ? 1 : nil)
    }

    // MARK: Snapshot / recording: tails

    private func readThroughTail(_ target: Target, format: AccessLogFormat, since start: Int) throws(HostError) -> AccessLogWindow {
        // `access_log /dev/stdout` (containers) is a pipe or a terminal: reading it would block or eat
        // someone else's output. Only regular files are logs to read.
        // A snapshot captured before this check may hold the tail without the stat: then read the tail.
        if let status = try? host.status(target.path, followLinks: true), status.kind != .regular {
            throw .io(target.path, errno: EINVAL, message: "not a regular file (\(status.kind.rawValue))")
        }
        var size = Self.probe
        while true {
            let tail = try host.readTail(target.path, maxBytes: size)
            let first = tail.bytes.withUnsafeBufferPointer {
                AccessLogScanner.firstTime(in: $0, format: format, skipPartial: tail.offset > 0)
            }
            let reached = first.map { $0 < start } ?? true
            if tail.offset == 0 || reached || size >= tailCap {
                var scanner = scanner(target, format: format, since: start, fromFileStart: tail.offset == 0)
                tail.bytes.withUnsafeBufferPointer { buffer in
                    var from = 0
                    if tail.offset > 0, let newline = buffer.firstIndex(of: 0x0A) { from = newline + 1 }
                    _ = scanner.consume(UnsafeBufferPointer(rebasing: buffer[from...]), final: true)
                }
                var window = scanner.summary(format: target.formatName, source: target.source, bytesRead: tail.bytes.count)
                window.cutShort = tail.offset > 0 && !reached
                return window
            }
            size = min(size * 4, tailCap)
        }
    }

    // MARK: Live host: pread

    private func readLive(_ target: Target, format: AccessLogFormat, since start: Int) throws(HostError) -> AccessLogWindow {
        let fd = open(target.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Self.error(errno, target.path) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw Self.error(errno, target.path) }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw .io(target.path, errno: EINVAL, message: "not a regular file")
        }
        let size = Int(info.st_size)
        var bytesRead = 0
        var buffer = [UInt8](repeating: 0, count: Self.chunk)

        func readAt(_ offset: Int, _ count: Int, into buffer: inout [UInt8], at index: Int = 0) throws(HostError) -> Int {
            var done = 0
            while done < count {
                let got = buffer.withUnsafeMutableBytes { raw in
                    pread(fd, raw.baseAddress! + index + done, count - done, off_t(offset + done))
                }
                if got < 0 {
                    if errno == EINTR { continue }
                    throw Self.error(errno, target.path)
                }
                if got == 0 { break }
                done += got
            }
            bytesRead += done
            return done
        }
        /// The time of the first full line at `offset`; `nil` when none can be read there.
        func timeAt(_ offset: Int) throws(HostError) -> Int? {
            let count = try readAt(offset, min(Self.probe, size - offset), into: &buffer)
            return buffer.withUnsafeBufferPointer {
                AccessLogScanner.firstTime(in: UnsafeBufferPointer(rebasing: $0[0..<count]), format: format, skipPartial: offset > 0)
            }
        }

        // Step back from the end until a line older than the window start, then bisect.
        var low = 0
        if size > Self.probe {
            var high = size
            var step = Self.probe
            var found: Int? = nil
            while step < size {
                let offset = size - step
                if let time = try timeAt(offset), time >= start {
                    high = offset
                    step *= 4
                } else {
                    found = offset
                    break
                }
            }
            if let older = found {
                low = older
                while high - low > Self.probe {
                    let middle = low + (high - low) / 2
                    if let time = try timeAt(middle), time >= start { high = middle } else { low = middle }
                }
            }
        }

        var scanner = scanner(target, format: format, since: start, fromFileStart: low == 0)
        var offset = low
        var carried = 0
        var skipFirst = low > 0
        while offset < size {
            let got = try readAt(offset, min(Self.chunk - carried, size - offset), into: &buffer, at: carried)
            if got == 0 { break }
            offset += got
            let filled = carried + got
            let atEnd = offset >= size
            let used = buffer.withUnsafeBufferPointer { all -> Int in
                var from = 0
                if skipFirst {
                    guard let newline = all[0..<filled].firstIndex(of: 0x0A) else { return filled }
                    from = newline + 1
                    skipFirst = false
                }
                return from + scanner.consume(UnsafeBufferPointer(rebasing: all[from..<filled]), final: atEnd)
            }
            carried = filled - used
            if carried == Self.chunk {
                // One line longer than the buffer: drop it rather than grow.
                carried = 0
                skipFirst = true
            } else if carried > 0 {
                buffer.withUnsafeMutableBytes { raw in
                    _ = memmove(raw.baseAddress!, raw.baseAddress! + used, carried)
                }
            }
        }
        return scanner.summary(format: target.formatName, source: target.source, bytesRead: bytesRead)
    }

    private static func error(_ code: Int32, _ path: String) -> HostError {
        switch code {
        case ENOENT, ENOTDIR: .notFound(path)
        case EACCES, EPERM: .permissionDenied(path)
        default: .io(path, errno: code, message: String(cString: strerror(code)))
        }
    }
}
