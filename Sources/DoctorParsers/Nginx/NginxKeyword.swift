/// The directive names the model reads, recognised from a name's bytes.
///
/// A `switch` over `String` compares one literal after another through the full
/// Unicode comparison path; on 100,000 directives that cost more than the walk itself.
enum NginxKeyword {
    case http, stream, mail, server, location, upstream
    case listen, serverName, user, pid, errorLog, accessLog, logFormat, resolver
    case `if`, limitExcept
    case pass
    case other

    init(_ name: String) {
        // Lengths no keyword has are settled without touching (or retaining) the bytes.
        switch name.utf8.count {
        case 2, 3, 4, 6, 8, 9, 10, 11, 12:
            var name = name
            self = name.withUTF8 { NginxKeyword.classify($0) }
        default:
            self = .other
        }
    }

    private static func classify(_ bytes: UnsafeBufferPointer<UInt8>) -> NginxKeyword {
        guard let first = bytes.first else { return .other }
        func equals(_ literal: StaticString) -> Bool {
            literal.utf8CodeUnitCount == bytes.count
                && memcmpEqual(literal.utf8Start, bytes.baseAddress, bytes.count)
        }
        switch (first, bytes.count) {
        case (UInt8(ascii: "h"), 4): return equals("http") ? .http : .other
        case (UInt8(ascii: "s"), 6):
            if equals("stream") { return .stream }
            return equals("server") ? .server : .other
        case (UInt8(ascii: "s"), 11): return equals("server_name") ? .serverName : .other
        case (UInt8(ascii: "m"), 4): return equals("mail") ? .mail : .other
        case (UInt8(ascii: "l"), 8): return equals("location") ? .location : .other
        case (UInt8(ascii: "l"), 6): return equals("listen") ? .listen : .other
        case (UInt8(ascii: "l"), 10): return equals("log_format") ? .logFormat : .other
        case (UInt8(ascii: "l"), 12): return equals("limit_except") ? .limitExcept : .other
        case (UInt8(ascii: "u"), 8): return equals("upstream") ? .upstream : .other
        case (UInt8(ascii: "u"), 4): return equals("user") ? .user : .other
        case (UInt8(ascii: "u"), 10): return equals("uwsgi_pass") ? .pass : .other
        case (UInt8(ascii: "p"), 3): return equals("pid") ? .pid : .other
        case (UInt8(ascii: "p"), 10): return equals("proxy_pass") ? .pass : .other
        case (UInt8(ascii: "e"), 9): return equals("error_log") ? .errorLog : .other
        case (UInt8(ascii: "a"), 10): return equals("access_log") ? .accessLog : .other
        case (UInt8(ascii: "r"), 8): return equals("resolver") ? .resolver : .other
        case (UInt8(ascii: "i"), 2): return equals("if") ? .if : .other
        case (UInt8(ascii: "f"), 12): return equals("fastcgi_pass") ? .pass : .other
        case (UInt8(ascii: "g"), 9): return equals("grpc_pass") ? .pass : .other
        case (UInt8(ascii: "s"), 9): return equals("scgi_pass") ? .pass : .other
        default: return .other
        }
    }
}

private func memcmpEqual(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>?, _ count: Int) -> Bool {
    guard let b else { return count == 0 }
    for index in 0..<count where a[index] != b[index] { return false }
    return true
}
