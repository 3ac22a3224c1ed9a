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

    static func writeError(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
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
