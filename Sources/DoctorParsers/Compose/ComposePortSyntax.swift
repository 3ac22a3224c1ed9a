import Foundation
import DoctorFacts

/// The `ports:` short syntax, `[[HOST_IP:]HOST_PORT[-END]:]CONTAINER_PORT[-END][/PROTOCOL]`
/// (`"8000"`, `"8000:8000"`, `"127.0.0.1:8080:80"`, `"[::1]:8080:80"`, `"9090-9091:8080-8081"`,
/// `"127.0.0.1::5000"`, `"6060:6060/udp"`), as the compose specification writes it.
public enum ComposePortSyntax {
    /// The port entry, or `nil` when the text is not one (the caller reports it).
    public static func parse(_ text: String, source: SourceLocation) -> ComposePort? {
        var rest = Substring(text.trimmingCharacters(in: .whitespaces))
        var protocolName = "tcp"
        if let slash = rest.lastIndex(of: "/") {
            protocolName = rest[rest.index(after: slash)...].lowercased()
            rest = rest[..<slash]
            guard protocolName == "tcp" || protocolName == "udp" || protocolName == "sctp" else { return nil }
        }
        var hostIP: String?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { return nil }
            hostIP = String(rest[rest.index(after: rest.startIndex)..<close])
            rest = rest[rest.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            rest = rest.dropFirst()
        }
        let parts = rest.split(separator: ":", omittingEmptySubsequences: false)
        let containerText: Substring
        var publishedText: Substring?
        switch parts.count {
        case 1:
            containerText = parts[0]
        case 2:
            publishedText = parts[0]
            containerText = parts[1]
        case 3 where hostIP == nil:
            hostIP = String(parts[0])
            publishedText = parts[1]
            containerText = parts[2]
        default:
            // An unbracketed IPv6 host address: everything before the last two parts.
            guard hostIP == nil, parts.count > 3 else { return nil }
            hostIP = parts.dropLast(2).joined(separator: ":")
            publishedText = parts[parts.count - 2]
            containerText = parts[parts.count - 1]
        }
        guard let container = range(containerText) else { return nil }
        var published: (Int, Int?)?
        if let publishedText, !publishedText.isEmpty {
            guard let value = range(publishedText) else { return nil }
            published = value
        }
        if hostIP?.isEmpty == true { hostIP = nil }
        return ComposePort(containerPort: container.0, containerPortEnd: container.1, publishedPort: published?.0,
                           publishedPortEnd: published?.1, hostIP: hostIP, protocolName: protocolName, raw: text, source: source)
    }

    /// `8000` or `8000-8010`; `nil` when not ports.
    static func range(_ text: Substring) -> (Int, Int?)? {
        let bounds = text.split(separator: "-", omittingEmptySubsequences: false)
        guard bounds.count == 1 || bounds.count == 2 else { return nil }
        guard let low = Int(bounds[0].trimmingCharacters(in: .whitespaces)), (0...65535).contains(low) else { return nil }
        guard bounds.count == 2 else { return (low, nil) }
        guard let high = Int(bounds[1].trimmingCharacters(in: .whitespaces)), (low...65535).contains(high) else { return nil }
        return (low, high)
    }
}
