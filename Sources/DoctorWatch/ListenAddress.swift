/// `--listen HOST:PORT` for the metrics endpoint, and the rule that keeps it private.
///
/// `/metrics` names every route, upstream address and failure of the machine: a map of the
/// site for anyone who can reach it. So only a loopback address is accepted unless the operator
/// also says `--allow-remote-listen` (then a scraper elsewhere, behind a firewall, may reach it).
public struct ListenAddress: Hashable, Sendable, CustomStringConvertible {
    public static let defaultValue = ListenAddress(host: "127.0.0.1", port: 9187)

    /// An IPv4 or IPv6 literal (no brackets), or `localhost`.
    public var host: String
    public var port: UInt16

    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// `127.0.0.1:9187`, `[::1]:9187`, `localhost:9187`, `:9187` (loopback); `nil` when malformed.
    public init?(parsing text: String) {
        var hostPart: Substring
        var portPart: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            hostPart = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            portPart = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":"), !text[..<colon].contains(":") else { return nil }
            hostPart = text[..<colon]
            portPart = text[text.index(after: colon)...]
        }
        if hostPart.isEmpty { hostPart = "127.0.0.1" }
        guard let port = UInt16(portPart), !hostPart.contains(where: { $0 == " " || $0 == "/" }) else { return nil }
        self.init(host: hostPart == "localhost" ? "127.0.0.1" : String(hostPart), port: port)
    }

    public var isIPv6: Bool { host.contains(":") }

    /// 127.0.0.0/8 or ::1 (only the loopback interface can reach it).
    public var isLoopback: Bool {
        if host == "::1" || host == "0:0:0:0:0:0:0:1" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }

    /// Refuses a non-loopback address unless `allowRemote`; the message says what to do.
    public func check(allowRemote: Bool) throws(WatchError) {
        if !isLoopback && !allowRemote {
            throw WatchError("--listen \(self) is not a loopback address: /metrics lists every route, upstream and failure "
                + "of this machine. Listen on 127.0.0.1 (and scrape through an SSH tunnel or a local agent), "
                + "or add --allow-remote-listen to serve it on \(host) deliberately.")
        }
    }

    public var description: String { isIPv6 ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// A watch setting or state that cannot work; the message is for the operator.
public struct WatchError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
