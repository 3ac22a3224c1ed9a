import DoctorFacts
import DoctorParsers
import Foundation

/// Reads the part of a log that falls inside a time window, from the end, growing the
/// tail until it reaches a line older than the window, so a multi-GB log costs only the
/// bytes of the window (plus one chunk) — the file is never read whole unless it is small.
public struct LogWindowReader: Sendable {
    public let host: any Host
    /// Where growth stops even if the window is not reached: logs far busier than that
    /// are summarised from their last `maxBytes`.
    public var maxBytes: Int
    public var initialBytes: Int

    public init(host: any Host, maxBytes: Int = 16 << 20, initialBytes: Int = 64 << 10) {
        self.host = host
        self.maxBytes = maxBytes
        self.initialBytes = initialBytes
    }

    /// The window's lines, oldest first.
    public struct Window: Sendable {
        public var path: String
        public var lines: [Substring]
        /// Line number of `lines[0]` in the file, known when the read reached the file's start.
        public var firstLineNumber: Int?
        /// The read stopped at `maxBytes` before reaching the start of the window.
        public var cutShort: Bool
    }

    public func read(_ path: String, since start: Date) throws(HostError) -> Window {
        var size = initialBytes
        while true {
            let tail = try host.readTail(path, maxBytes: size)
            let text = String(decoding: tail.bytes, as: UTF8.self)
            var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            if lines.last?.isEmpty == true { lines.removeLast() }
            // The first line of a partial tail is usually cut mid-line.
            let cutFirst = tail.offset > 0 && !lines.isEmpty
            if cutFirst { lines.removeFirst() }
            let firstStamp = lines.lazy.compactMap { LogTimestamp.parse($0) }.first
            if firstStamp == nil {
                // No line carries a time (Uvicorn's default format, a bare traceback on
                // stderr): the lines cannot place the window, so the file's modification
                // time does. Written inside the window, its tail counts whole.
                let modified = (try? host.status(path, followLinks: true))?.modified
                let inside = modified.map { $0 >= start.timeIntervalSince1970 } ?? false
                return Window(path: path, lines: inside ? lines : [], firstLineNumber: tail.offset == 0 ? 1 : nil, cutShort: false)
            }
            let reachedWindowStart = firstStamp.map { $0 < start } ?? false
            if tail.offset == 0 || reachedWindowStart || size >= maxBytes {
                // Lines before the first stamp inside the window (old lines, or continuation
                // lines of an old entry) are not part of it.
                let skipped = lines.prefix { line in LogTimestamp.parse(line).map { $0 < start } ?? true }.count
                let inside = Array(lines.dropFirst(skipped))
                return Window(path: path, lines: inside, firstLineNumber: tail.offset == 0 ? skipped + 1 : nil,
                              cutShort: tail.offset > 0 && !reachedWindowStart)
            }
            size = min(size * 4, maxBytes)
        }
    }
}
