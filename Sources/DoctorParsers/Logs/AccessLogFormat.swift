import Foundation

/// An nginx `log_format` compiled into literals and variables, matched against a
/// line's bytes without regexes or per-line allocations.
///
/// A variable runs up to the next literal of the format (the first byte that
/// starts it, checked whole), skipping any byte after a backslash: nginx's default
/// escaping writes `"` as `\x22` and `escape=json` as `\"`, so a quoted field never
/// holds its closing quote unescaped. Two variables with nothing between them
/// cannot be told apart; the first then takes the whole run.
public struct AccessLogFormat: Sendable {
    /// Variables the matcher extracts; anything else is skipped.
    public enum Field: Int, Sendable, CaseIterable {
        case status, upstreamStatus, upstreamAddr, upstreamResponseTime, upstreamHeaderTime,
             upstreamBytesReceived, upstreamResponseLength, requestTime, request, timeLocal, timeISO8601, msec,
             bodyBytesSent, requestLength, requestMethod, requestURI, other

        init(variable: String) {
            switch variable {
            case "status": self = .status
            case "upstream_status": self = .upstreamStatus
            case "upstream_addr": self = .upstreamAddr
            case "upstream_response_time": self = .upstreamResponseTime
            case "upstream_header_time": self = .upstreamHeaderTime
            case "upstream_bytes_received": self = .upstreamBytesReceived
            case "upstream_response_length": self = .upstreamResponseLength
            case "request_time": self = .requestTime
            case "request": self = .request
            case "time_local": self = .timeLocal
            case "time_iso8601": self = .timeISO8601
            case "msec": self = .msec
            case "body_bytes_sent": self = .bodyBytesSent
            case "request_length": self = .requestLength
            case "request_method": self = .requestMethod
            case "request_uri": self = .requestURI
            default: self = .other
            }
        }
    }

    enum Segment: Sendable {
        case literal([UInt8])
        case field(Field)
    }

    let segments: [Segment]
    /// The segments flattened for the hot loop (no array payloads to retain per line):
    /// per segment its field (`-1` for a literal) and its literal's range in `pool`.
    private let kinds: [Int]
    private let literalStarts: [Int]
    private let literalLengths: [Int]
    private let pool: [UInt8]
    /// The format as configured.
    public let text: String

    public init(_ format: String) {
        text = format
        var segments: [Segment] = []
        var literal: [UInt8] = []
        let bytes = Array(format.utf8)
        var index = 0
        func isNameByte(_ byte: UInt8) -> Bool {
            (byte >= 97 && byte <= 122) || (byte >= 65 && byte <= 90) || (byte >= 48 && byte <= 57) || byte == 95
        }
        while index < bytes.count {
            let byte = bytes[index]
            guard byte == UInt8(ascii: "$"), index + 1 < bytes.count else {
                literal.append(byte)
                index += 1
                continue
            }
            var start = index + 1
            var end = start
            if bytes[start] == UInt8(ascii: "{") {
                start += 1
                end = start
                while end < bytes.count, bytes[end] != UInt8(ascii: "}") { end += 1 }
                index = min(end + 1, bytes.count)
            } else {
                while end < bytes.count, isNameByte(bytes[end]) { end += 1 }
                index = end
            }
            guard end > start else {
                literal.append(byte)
                index = start
                continue
            }
            if !literal.isEmpty {
                segments.append(.literal(literal))
                literal = []
            }
            segments.append(.field(Field(variable: String(decoding: bytes[start..<end], as: UTF8.self))))
        }
        if !literal.isEmpty { segments.append(.literal(literal)) }
        self.segments = segments
        var kinds: [Int] = [], starts: [Int] = [], lengths: [Int] = [], pool: [UInt8] = []
        for segment in segments {
            switch segment {
            case let .literal(bytes):
                kinds.append(-1)
                starts.append(pool.count)
                lengths.append(bytes.count)
                pool += bytes
            case let .field(field):
                kinds.append(field.rawValue)
                starts.append(0)
                lengths.append(0)
            }
        }
        self.kinds = kinds
        literalStarts = starts
        literalLengths = lengths
        self.pool = pool
    }

    /// Whether the format logs this variable.
    public func logs(_ field: Field) -> Bool {
        segments.contains { if case let .field(value) = $0 { return value == field }; return false }
    }

    /// The byte ranges of one matched line's fields (offsets into the buffer passed to `match`).
    public struct Match {
        var starts = [Int](repeating: -1, count: Field.allCases.count)
        var ends = [Int](repeating: -1, count: Field.allCases.count)

        public func range(_ field: Field) -> Range<Int>? {
            let start = starts[field.rawValue]
            return start < 0 ? nil : start..<ends[field.rawValue]
        }

        mutating func reset() {
            for index in starts.indices { starts[index] = -1 }
        }
    }

    /// Matches `line` (no newline) of `buffer`, filling `match`; `false` when the line does not fit the format.
    public func match(_ buffer: UnsafeBufferPointer<UInt8>, _ line: Range<Int>, into match: inout Match) -> Bool {
        kinds.withUnsafeBufferPointer { kinds in
            literalStarts.withUnsafeBufferPointer { literalStarts in
                literalLengths.withUnsafeBufferPointer { literalLengths in
                    pool.withUnsafeBufferPointer { pool in
                        match.starts.withUnsafeMutableBufferPointer { starts in
                            match.ends.withUnsafeMutableBufferPointer { ends in
                                for index in 0..<starts.count { starts[index] = -1 }
                                return Self.match(buffer, line, kinds, literalStarts, literalLengths, pool, starts, ends)
                            }
                        }
                    }
                }
            }
        }
    }

    @inline(__always)
    private static func match(_ buffer: UnsafeBufferPointer<UInt8>, _ line: Range<Int>, _ kinds: UnsafeBufferPointer<Int>,
                              _ literalStarts: UnsafeBufferPointer<Int>, _ literalLengths: UnsafeBufferPointer<Int>,
                              _ pool: UnsafeBufferPointer<UInt8>, _ starts: UnsafeMutableBufferPointer<Int>,
                              _ ends: UnsafeMutableBufferPointer<Int>) -> Bool {
        var cursor = line.lowerBound
        let end = line.upperBound
        let count = kinds.count
        let other = Field.other.rawValue
        var index = 0
        while index < count {
            let kind = kinds[index]
            if kind < 0 {
                let length = literalLengths[index], from = literalStarts[index]
                guard cursor + length <= end else { return false }
                for offset in 0..<length where buffer[cursor + offset] != pool[from + offset] { return false }
                cursor += length
            } else {
                let start = cursor
                if index + 1 < count, kinds[index + 1] < 0 {
                    let from = literalStarts[index + 1], length = literalLengths[index + 1]
                    let first = pool[from]
                    var found = -1
                    var scan = cursor
                    let base = buffer.baseAddress!
                    // memchr for the literal's first byte, then: not escaped (an odd run of
                    // backslashes before it), and the whole literal there.
                    while scan < end {
                        guard let hit = memchr(base + scan, Int32(first), end - scan) else { break }
                        let position = UnsafePointer<UInt8>(hit.assumingMemoryBound(to: UInt8.self)) - base
                        var backslashes = 0
                        while position - backslashes - 1 >= cursor, buffer[position - backslashes - 1] == 0x5C { backslashes += 1 }
                        if backslashes & 1 == 0, position + length <= end {
                            var same = true
                            var offset = 1
                            while offset < length {
                                if buffer[position + offset] != pool[from + offset] {
                                    same = false
                                    break
                                }
                                offset += 1
                            }
                            if same {
                                found = position
                                break
                            }
                        }
                        scan = position + 1
                    }
                    guard found >= 0 else { return false }
                    cursor = found
                } else if index + 1 == count {
                    cursor = end
                }
                if kind != other {
                    starts[kind] = start
                    ends[kind] = cursor
                }
            }
            index += 1
        }
        return true
    }
}
