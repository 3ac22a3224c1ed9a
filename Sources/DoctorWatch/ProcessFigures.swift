#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// watch's own cost as a scraper sees it, under the names Prometheus client libraries use
/// (`process_resident_memory_bytes`, `process_cpu_seconds_total`), so the idle-cost budget
/// (docs/WATCH.md) can be alerted on like any other exporter's.
public struct ProcessFigures: Sendable, Equatable {
    public var residentBytes: Int
    public var cpuSeconds: Double

    public init(residentBytes: Int, cpuSeconds: Double) {
        self.residentBytes = residentBytes
        self.cpuSeconds = cpuSeconds
    }

    /// This process now; `nil` when /proc/self/statm cannot be read.
    public static func current() -> ProcessFigures? {
        let fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        // statm: size resident shared text lib data dt, in pages.
        let fields = String(decoding: buffer[0..<count], as: UTF8.self).split(separator: " ")
        guard fields.count >= 2, let pages = Int(fields[1]) else { return nil }
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let cpu = Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1_000_000
        return ProcessFigures(residentBytes: pages * sysconf(Int32(_SC_PAGESIZE)), cpuSeconds: cpu)
    }
}
