/// A JSON value with the line it starts on and its JSON pointer, so a fact read from a
/// Caddy JSON config can point at `caddy.json:12` and `/apps/http/servers/srv0/…`.
///
/// Foundation's `JSONSerialization` keeps neither positions nor object key order (Caddy
/// runs servers and loggers by name, but people read the file top to bottom), hence this
/// small reader. It is bounded: nesting deeper than `maxDepth` is an error, never a
/// stack overflow.
public struct CaddyJSONNode: Sendable {
    public indirect enum Value: Sendable {
        /// Members in file order (a repeated key: the last one wins on lookup, as in Go).
        case object([(key: String, node: CaddyJSONNode)])
        case array([CaddyJSONNode])
        case string(String)
        /// The number as written (`3000000000`, `1.5`).
        case number(String)
        case bool(Bool)
        case null
    }

    public var value: Value
    /// 1-based line of the value's first byte.
    public var line: Int
    /// RFC 6901 pointer from the document root (`""` for the root itself).
    public var pointer: String

    public static let maxDepth = 200

    /// The member `key` of an object (the last one written), else nil.
    public subscript(key: String) -> CaddyJSONNode? {
        guard case let .object(members) = value else { return nil }
        return members.last { $0.key == key }?.node
    }

    public var members: [(key: String, node: CaddyJSONNode)] {
        if case let .object(members) = value { return members }
        return []
    }

    public var elements: [CaddyJSONNode] {
        if case let .array(elements) = value { return elements }
        return []
    }

    public var string: String? {
        if case let .string(text) = value { return text }
        return nil
    }

    public var bool: Bool? {
        if case let .bool(flag) = value { return flag }
        return nil
    }

    public var int: Int? {
        if case let .number(text) = value { return Int(text) ?? Double(text).flatMap { $0.isFinite ? Int(exactly: $0.rounded()) : nil } }
        return nil
    }

    /// A scalar as text (`"3s"` → `3s`, `3000000000`, `true`); nil for objects, arrays and null.
    public var scalarText: String? {
        switch value {
        case let .string(text): text
        case let .number(text): text
        case let .bool(flag): flag ? "true" : "false"
        default: nil
        }
    }

    /// `[String]` of an array of strings (other elements skipped); a lone string as one element.
    public var strings: [String] {
        if case let .string(text) = value { return [text] }
        return elements.compactMap(\.string)
    }

    /// Why the bytes are not one JSON value; `line` is where reading stopped.
    public struct ParseError: Error, Hashable, Sendable, CustomStringConvertible {
        public var message: String
        public var line: Int
        public var description: String { "line \(line): \(message)" }
    }

    /// Parses exactly one JSON value (surrounding whitespace allowed, a UTF-8 BOM skipped).
    public static func parse(_ bytes: [UInt8]) -> Result<CaddyJSONNode, ParseError> {
        var reader = Reader(bytes: bytes)
        do {
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { reader.index = 3 }
            reader.skipSpace()
            let node = try reader.value(pointer: "", depth: 0)
            reader.skipSpace()
            if reader.index < bytes.count { throw reader.error("unexpected data after the JSON value") }
            return .success(node)
        } catch let error as ParseError {
            return .failure(error)
        } catch {
            return .failure(ParseError(message: "\(error)", line: reader.line))
        }
    }

    /// `~` and `/` escaped for a pointer segment.
    static func escape(_ segment: String) -> String {
        segment.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }

    private struct Reader {
        let bytes: [UInt8]
        var index = 0
        var line = 1

        init(bytes: [UInt8]) { self.bytes = bytes }

        func error(_ message: String) -> ParseError { ParseError(message: message, line: line) }

        mutating func skipSpace() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x0A: line += 1; index += 1
                case 0x20, 0x09, 0x0D: index += 1
                default: return
                }
            }
        }

        mutating func value(pointer: String, depth: Int) throws -> CaddyJSONNode {
            guard depth < CaddyJSONNode.maxDepth else { throw error("nested deeper than \(CaddyJSONNode.maxDepth) levels") }
            guard index < bytes.count else { throw error("unexpected end of input") }
            let start = line
            switch bytes[index] {
            case UInt8(ascii: "{"):
                index += 1
                var members: [(key: String, node: CaddyJSONNode)] = []
                skipSpace()
                if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                    index += 1
                    return CaddyJSONNode(value: .object(members), line: start, pointer: pointer)
                }
                while true {
                    skipSpace()
                    guard index < bytes.count else { throw error("unexpected end of input") }
                    guard bytes[index] == UInt8(ascii: "\"") else { throw error("expected a quoted object key") }
                    let key = try string()
                    skipSpace()
                    guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error("expected ':' after key \"\(key)\"") }
                    index += 1
                    skipSpace()
                    members.append((key, try value(pointer: pointer + "/" + CaddyJSONNode.escape(key), depth: depth + 1)))
                    skipSpace()
                    guard index < bytes.count else { throw error("unexpected end of input inside an object") }
                    if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                    if bytes[index] == UInt8(ascii: "}") { index += 1; break }
                    throw error("expected ',' or '}' in an object")
                }
                return CaddyJSONNode(value: .object(members), line: start, pointer: pointer)
            case UInt8(ascii: "["):
                index += 1
                var elements: [CaddyJSONNode] = []
                skipSpace()
                if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                    index += 1
                    return CaddyJSONNode(value: .array(elements), line: start, pointer: pointer)
                }
                while true {
                    skipSpace()
                    elements.append(try value(pointer: pointer + "/\(elements.count)", depth: depth + 1))
                    skipSpace()
                    guard index < bytes.count else { throw error("unexpected end of input inside an array") }
                    if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                    if bytes[index] == UInt8(ascii: "]") { index += 1; break }
                    throw error("expected ',' or ']' in an array")
                }
                return CaddyJSONNode(value: .array(elements), line: start, pointer: pointer)
            case UInt8(ascii: "\""):
                return CaddyJSONNode(value: .string(try string()), line: start, pointer: pointer)
            case UInt8(ascii: "t"):
                try literal("true")
                return CaddyJSONNode(value: .bool(true), line: start, pointer: pointer)
            case UInt8(ascii: "f"):
                try literal("false")
                return CaddyJSONNode(value: .bool(false), line: start, pointer: pointer)
            case UInt8(ascii: "n"):
                try literal("null")
                return CaddyJSONNode(value: .null, line: start, pointer: pointer)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                let begin = index
                index += 1
                while index < bytes.count, Self.isNumberByte(bytes[index]) { index += 1 }
                let text = String(decoding: bytes[begin..<index], as: UTF8.self)
                guard Double(text) != nil else { throw error("bad number \(text)") }
                return CaddyJSONNode(value: .number(text), line: start, pointer: pointer)
            default:
                throw error("unexpected character '\(Self.shown(bytes[index]))'")
            }
        }

        static func isNumberByte(_ byte: UInt8) -> Bool {
            (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: ".")
                || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-")
        }

        static func shown(_ byte: UInt8) -> String {
            (0x21...0x7E).contains(byte) ? String(UnicodeScalar(byte)) : "\\x" + String(byte, radix: 16)
        }

        mutating func literal(_ word: String) throws {
            let utf8 = Array(word.utf8)
            guard index + utf8.count <= bytes.count, Array(bytes[index..<index + utf8.count]) == utf8 else {
                throw error("unexpected word (expected \(word))")
            }
            index += utf8.count
        }

        /// A quoted string at `index` (the opening quote), escapes decoded.
        mutating func string() throws -> String {
            index += 1
            var out: [UInt8] = []
            while index < bytes.count {
                let byte = bytes[index]
                switch byte {
                case UInt8(ascii: "\""):
                    index += 1
                    return String(decoding: out, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard index + 1 < bytes.count else { throw error("unterminated string") }
                    let escaped = bytes[index + 1]
                    index += 2
                    switch escaped {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escaped)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "u"):
                        var scalar = try hex4()
                        if (0xD800..<0xDC00).contains(scalar), index + 1 < bytes.count,
                           bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") {
                            index += 2
                            let low = try hex4()
                            scalar = (0xDC00..<0xE000).contains(low) ? 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00) : 0xFFFD
                        }
                        out += Array(String(Character(UnicodeScalar(scalar) ?? "\u{FFFD}")).utf8)
                    default:
                        throw error("bad escape \\\(Self.shown(escaped)) in a string")
                    }
                case 0x00..<0x20:
                    throw error(byte == 0x0A ? "newline inside a string" : "control character \\x\(String(byte, radix: 16)) inside a string")
                default:
                    out.append(byte)
                    index += 1
                }
            }
            throw error("unterminated string")
        }

        mutating func hex4() throws -> UInt32 {
            guard index + 4 <= bytes.count, let value = UInt32(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16) else {
                throw error("bad \\u escape")
            }
            index += 4
            return value
        }
    }
}
