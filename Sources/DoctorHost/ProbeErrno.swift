import DoctorFacts
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Which step of a probe an errno came from; the same number means different things
/// in different steps (EAGAIN from a unix `connect` is a full backlog, elsewhere a retry).
public enum ProbeStep: Sendable, Hashable {
    case connect(unixSocket: Bool)
    case send
    case receive

    /// The phase named in a timeout, as nginx words it.
    public var phase: String {
        switch self {
        case .connect: "connecting"
        case .send: "sending the request"
        case .receive: "waiting for response headers"
        }
    }
}

/// Maps an errno from a probe to the class that tells "nothing listens" from
/// "cannot reach" from "too slow".
public enum ProbeErrno {
    /// The failure class of `code` met during `step`. Pure, so the mapping is tested
    /// for every errno, including those a test running as root cannot provoke (EACCES).
    public static func classify(_ code: Int32, during step: ProbeStep) -> ProbeFailure {
        switch code {
        case ECONNREFUSED: return .refused
        case ENOENT: return .noSuchFile
        case EACCES, EPERM: return .permissionDenied
        case ECONNRESET: return .reset
        case EPIPE: return .closedEarly
        case ETIMEDOUT: return .timedOut(phase: step.phase)
        case EAGAIN, EWOULDBLOCK:
            // Linux answers a non-blocking connect to a unix socket whose accept queue is
            // full with EAGAIN: nginx logs exactly this as "(11: Resource temporarily unavailable)".
            if case .connect(unixSocket: true) = step { return .backlogFull }
            return .other(errno: code, message: message(code))
        default:
            return .other(errno: code, message: message(code))
        }
    }

    /// strerror(3) text.
    public static func message(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "errno \(code)" }
        return String(cString: text)
    }
}
