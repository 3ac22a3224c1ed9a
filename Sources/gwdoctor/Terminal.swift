import ArgumentParser
import DoctorFacts
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Output helpers: stdout/stderr writes, colour only on a TTY without `NO_COLOR`.
enum Terminal {
    static var wantsColour: Bool {
        guard isatty(STDOUT_FILENO) == 1 else { return false }
        if let noColour = getenv("NO_COLOR"), noColour.pointee != 0 { return false }
        if let term = getenv("TERM"), String(cString: term) == "dumb" { return false }
        return true
    }

    static func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    /// Writes bytes to stdout as they are (a large JSON document is not copied again).
    static func write(bytes: [UInt8]) {
        bytes.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress else { return }
            var written = 0
            while written < buffer.count {
                let result = Glibc.write(STDOUT_FILENO, base + written, buffer.count - written)
                if result < 0 {
                    if errno == EINTR { continue }
                    return // stdout closed (e.g. `| head`): nothing useful left to do
                }
                written += result
            }
        }
    }

    static func writeError(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// Ends the process with `status`'s exit code right after the output is written.
    /// Called while the gathered facts are still in scope on purpose: freeing tens of
    /// thousands of directives and routes one by one took ~10% of `routes` on a large config,
    /// and the kernel reclaims it all at once anyway.
    static func exitNow(_ status: Status) -> Never {
        exit(status.exitCode)
    }

    /// Runs a command body; a `CLIError` becomes a one-line message and status unknown (exit 3),
    /// never a crash and never exit 2 (which means "critical finding").
    static func guardingErrors(_ body: () async throws -> Status) async throws -> Status {
        do {
            return try await body()
        } catch let error as CLIError {
            writeError("gwdoctor: \(error.description)\n")
            return .unknown
        }
    }
}
