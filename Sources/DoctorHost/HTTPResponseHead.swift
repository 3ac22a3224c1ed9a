/// Incremental parse of an HTTP/1.x response head (status line and headers).
enum HTTPResponseHead: Equatable, Sendable {
    /// More bytes are needed; what came so far can still become a response head.
    case incomplete
    /// A full head: the status code and the `Server` header, if any.
    case complete(status: Int, server: String?)
    /// The bytes cannot be the start of an HTTP response.
    case notHTTP

    /// Upper bound on a head; past this the peer is not answering like an HTTP server.
    static let maximumSize = 64 * 1024

    /// Looks at everything received so far. Decides `notHTTP` as early as the first
    /// bytes allow, so a peer speaking another protocol does not have to time out.
    static func parse(_ bytes: [UInt8]) -> HTTPResponseHead {
        let prefix = Array("HTTP/".utf8)
        let checked = min(bytes.count, prefix.count)
        guard bytes[0..<checked].elementsEqual(prefix[0..<checked]) else { return .notHTTP }

        guard let statusEnd = bytes.firstIndex(of: UInt8(ascii: "\n")) else {
            return bytes.count > 1024 ? .notHTTP : .incomplete
        }
        guard let status = statusCode(bytes[0..<statusEnd]) else { return .notHTTP }
        guard let headEnd = endOfHead(bytes, from: statusEnd) else { return .incomplete }

        var server: String?
        // headEnd == statusEnd when no header follows the status line.
        let lines = headEnd > statusEnd ? bytes[(statusEnd + 1)..<headEnd].split(separator: UInt8(ascii: "\n")) : []
        for line in lines {
            let text = String(decoding: line, as: UTF8.self)
            guard let colon = text.firstIndex(of: ":") else { continue }
            if text[..<colon].lowercased() == "server" {
                server = text[text.index(after: colon)...].trimmingCharacters(in: " \t\r")
                break
            }
        }
        return .complete(status: status, server: server)
    }

    /// `HTTP/1.1 502 Bad Gateway` → 502; the reason phrase may be empty.
    private static func statusCode(_ line: ArraySlice<UInt8>) -> Int? {
        let text = String(decoding: line, as: UTF8.self).trimmingCharacters(in: "\r")
        let parts = text.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), parts[1].count == 3,
              let code = Int(parts[1]), (100...999).contains(code) else { return nil }
        return code
    }

    /// Index of the blank line ending the head (`\r\n\r\n`, or a bare `\n\n` from sloppy servers).
    private static func endOfHead(_ bytes: [UInt8], from start: Int) -> Int? {
        var index = start
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "\n") {
                var next = index + 1
                if next < bytes.count, bytes[next] == UInt8(ascii: "\r") { next += 1 }
                if next < bytes.count, bytes[next] == UInt8(ascii: "\n") { return index }
            }
            index += 1
        }
        return nil
    }
}

private extension StringProtocol {
    func trimmingCharacters(in set: String) -> String {
        let trimmed = drop(while: { set.contains($0) })
        var end = trimmed.endIndex
        while end > trimmed.startIndex, set.contains(trimmed[trimmed.index(before: end)]) {
            end = trimmed.index(before: end)
        }
        return String(trimmed[trimmed.startIndex..<end])
    }
}
