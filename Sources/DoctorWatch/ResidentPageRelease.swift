#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Gives back the resident pages of code and read-only data that start-up or a diagnosis
/// touched and an idle probe round does not need.
///
/// Why: watch is measured on its idle RSS, and most of it is not heap but clean pages of its
/// own binary (and shared libraries) that reading the routes, parsing configs and diagnosing
/// faulted in — the kernel also maps the cached neighbours of every faulting page
/// (fault-around), so the figure grew with whatever else had read the binary lately. Those
/// pages stay mapped for the life of the process although a probe round uses a small part of
/// them. `madvise(MADV_DONTNEED)` on a mapping drops its pages from this process's page tables;
/// the page cache keeps them, and the next use is a minor fault, not disk I/O.
///
/// Safe only where the dropped pages are exactly the file's contents: a private mapping of a
/// file that is not writable *and* holds no private copies (`Anonymous: 0 kB` and `Swap: 0 kB`
/// in smaps). A
/// read-only mapping with private copies — the relocated `.data.rel.ro` of a position-
/// independent binary after RELRO — would be reset to the unrelocated file bytes, so it is
/// left alone, as is every writable, shared, anonymous or special (`[vdso]`) mapping.
/// Nothing is freed that cannot be faulted back exactly as it was.
public enum ResidentPageRelease {
    /// What one release did.
    public struct Outcome: Sendable, Equatable {
        /// Mappings given back.
        public var mappings: Int
        /// Resident bytes they held before (smaps `Rss`).
        public var bytes: Int
        /// Read-only file mappings left alone because they hold private (relocated) copies.
        public var keptWithPrivateCopies: Int
    }

    /// One mapping of an smaps file, with what the decision needs.
    struct Mapping: Equatable {
        var start: UInt
        var end: UInt
        var permissions: String
        var path: String
        var residentKilobytes = 0
        var anonymousKilobytes = 0
        var lockedKilobytes = 0
        /// Private copies swapped out: `Anonymous` no longer counts them, but they are still copies.
        var swappedKilobytes = 0

        /// A private, non-writable mapping of a file with no private copies and something resident.
        var isReleasable: Bool {
            let flags = Array(permissions.utf8)
            return flags.count == 4 && flags[0] == UInt8(ascii: "r") && flags[1] == UInt8(ascii: "-")
                && flags[3] == UInt8(ascii: "p") && path.hasPrefix("/") && !path.hasPrefix("/dev/") && !path.hasSuffix(" (deleted)")
                && anonymousKilobytes == 0 && swappedKilobytes == 0 && lockedKilobytes == 0 && residentKilobytes > 0
        }

        /// Read-only file mapping that holds private copies (relocated data): never released.
        var holdsPrivateCopies: Bool {
            permissions.hasPrefix("r-") && permissions.hasSuffix("p") && path.hasPrefix("/") && (anonymousKilobytes > 0 || swappedKilobytes > 0)
        }
    }

    /// Releases what `isReleasable` allows in this process. `nil` when smaps cannot be read
    /// (not Linux, or /proc not mounted): nothing is released then.
    @discardableResult
    public static func releaseIdlePages(smapsPath: String = "/proc/self/smaps") -> Outcome? {
        guard let text = readWhole(smapsPath) else { return nil }
        let mappings = parse(text)
        var outcome = Outcome(mappings: 0, bytes: 0, keptWithPrivateCopies: 0)
        for mapping in mappings {
            if mapping.holdsPrivateCopies { outcome.keptWithPrivateCopies += 1 }
            guard mapping.isReleasable, let address = UnsafeMutableRawPointer(bitPattern: mapping.start) else { continue }
            #if os(Linux)
            if madvise(address, Int(mapping.end - mapping.start), MADV_DONTNEED) == 0 {
                outcome.mappings += 1
                outcome.bytes += mapping.residentKilobytes * 1024
            }
            #endif
        }
        return outcome
    }

    /// The mappings of an smaps text (`/proc/PID/smaps`): a header line per mapping, then
    /// `Key: value kB` lines.
    static func parse(_ text: String) -> [Mapping] {
        var mappings: [Mapping] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            if let mapping = header(line) {
                mappings.append(mapping)
                continue
            }
            guard !mappings.isEmpty, let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon]
            guard key == "Rss" || key == "Anonymous" || key == "Locked" || key == "Swap" else { continue }
            let number = line[line.index(after: colon)...].split(separator: " ").first.flatMap { Int($0) } ?? 0
            switch key {
            case "Rss": mappings[mappings.count - 1].residentKilobytes = number
            case "Anonymous": mappings[mappings.count - 1].anonymousKilobytes = number
            case "Swap": mappings[mappings.count - 1].swappedKilobytes = number
            default: mappings[mappings.count - 1].lockedKilobytes = number
            }
        }
        return mappings
    }

    /// `7f0c2a000000-7f0c2a200000 r-xp 00000000 08:01 1234   /usr/lib/x.so` → a mapping;
    /// a `Key: value` line → nil.
    static func header(_ line: Substring) -> Mapping? {
        let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
        guard fields.count >= 5, let dash = fields[0].firstIndex(of: "-"),
              let start = UInt(fields[0][..<dash], radix: 16),
              let end = UInt(fields[0][fields[0].index(after: dash)...], radix: 16), end > start,
              fields[1].count == 4 else { return nil }
        let path = fields.count == 6 ? String(fields[5].drop(while: { $0 == " " })) : ""
        return Mapping(start: start, end: end, permissions: String(fields[1]), path: path)
    }

    /// The whole of a /proc file (its size reads as 0, so it is read to EOF).
    private static func readWhole(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { return nil }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
