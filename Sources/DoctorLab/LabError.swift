/// Why a lab could not do what a test asked. Descriptions carry the log tails a
/// person needs to see what went wrong, so a failing test explains itself.
public enum LabError: Error, CustomStringConvertible {
    /// The machine lacks something the lab needs (a program, the venv).
    case notSetUp(String)
    case spawnFailed(String, String)
    /// A wait passed its deadline.
    case timedOut(String, details: String)
    /// A lab process ended while the lab waited for it.
    case processExited(name: String, status: String, log: String)
    /// nginx refused to start or stop.
    case nginx(String)
    /// The `gwdoctor` executable was not found.
    case doctorNotBuilt(searched: [String])
    case io(String)
    /// A lab call that makes no sense in the lab's state (stopping an nginx that never ran).
    case usage(String)

    public var description: String {
        switch self {
        case let .notSetUp(what): "lab not set up: \(what) (scripts/test installs everything the lab needs)"
        case let .spawnFailed(program, reason): "could not start \(program): \(reason)"
        case let .timedOut(what, details): "timed out: \(what)\n\(details)"
        case let .processExited(name, status, log): "\(name) \(status) while the lab waited for it\n\(log)"
        case let .nginx(message): "nginx: \(message)"
        case let .doctorNotBuilt(searched):
            "the gwdoctor executable is not built (looked at \(searched.joined(separator: ", "))); run `swift build` with the same --scratch-path as `swift test` (scripts/test does), or set GWDOCTOR_BIN"
        case let .io(message): message
        case let .usage(message): "lab misuse: \(message)"
        }
    }
}
