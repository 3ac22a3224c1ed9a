import DoctorFacts
import Subprocess
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
#if canImport(System)
import System
#else
import SystemPackage
#endif

/// Runs one command under a deadline and an output cap, for `LiveHost.run`.
///
/// swift-subprocess has no timeout: the run races a sleep, and the loser is cancelled.
/// The child gets its own session (so its own process group) and cancellation signals
/// the whole group, so a `sh -c` or a pager left behind by the command dies with it.
enum CommandRunner {
    /// How long the group gets between SIGTERM and SIGKILL after the deadline.
    static let gracePeriod: Duration = .milliseconds(300)

    /// Runs `arguments` with `executable`, which is either a path or a name looked up on PATH.
    ///
    /// Internal on purpose: the only public way in is `Host.run(_:)` with an `AllowedCommand`.
    /// - Parameters:
    ///   - environment: when not empty, the child's whole environment is `PATH` (gwdoctor's),
    ///     `LC_ALL`/`LANG` and these variables, not gwdoctor's own (an app command gets the
    ///     service's environment, not the operator's shell).
    ///   - workingDirectory: the child's working directory (gwdoctor's own when `nil`).
    static func run(argv: [String], executable: String, lookUpOnPath: Bool, arguments: [String],
                    timeout: Duration, outputLimit: Int, environment custom: [String: String] = [:],
                    workingDirectory: String? = nil) async -> CommandResult {
        let stdout = CappedOutput(limit: outputLimit)
        let stderr = CappedOutput(limit: outputLimit)

        let options = platformOptions()
        // Stable, untranslated, unpaged output: parsers match English text.
        let environment = custom.isEmpty
            ? Environment.inherit.updating(["LC_ALL": "C", "LANG": "C", "PAGER": "cat", "SYSTEMD_PAGER": "", "SYSTEMD_COLORS": "0"])
            : Self.customEnvironment(custom)
        let directory = workingDirectory.map { FilePath($0) }
        let target: Executable = lookUpOnPath ? .name(executable) : .path(FilePath(executable))

        let outcome = await withTaskGroup(of: RunOutcome.self) { group in
            group.addTask {
                do {
                    let result = try await Subprocess.run(
                        target, arguments: Arguments(arguments), environment: environment, workingDirectory: directory,
                        platformOptions: options, input: .none, output: .sequence, error: .sequence
                    ) { execution in
                        let out = execution.standardOutput, err = execution.standardError
                        // Both pipes at once: a child blocked on a full stderr pipe would never close stdout.
                        async let drainedOut: Void = stdout.drain(out)
                        async let drainedErr: Void = stderr.drain(err)
                        _ = await (drainedOut, drainedErr)
                        // A leader that exited leaves its background children behind in its group.
                        // Only while it is an unreaped zombie is its pid (the group id) sure not to
                        // be reused by someone else, so that is the one safe moment to kill the group.
                        let leader = execution.processIdentifier.value
                        if ProcessState.isZombie(Int(leader)) { killpg(leader, SIGKILL) }
                    }
                    return .finished(result.terminationStatus)
                } catch {
                    return .launchFailed(error)
                }
            }
            group.addTask {
                do {
                    try await Task.sleep(for: timeout)
                    return .deadline
                } catch {
                    return .cancelled
                }
            }
            // The first to finish decides; cancelling the run makes swift-subprocess tear the
            // process group down, and the group waits for that before returning.
            let first = await group.next() ?? .cancelled
            group.cancelAll()
            return first
        }

        var result = CommandResult(argv: argv, exitCode: nil, stdout: stdout.text, stderr: stderr.text,
                                   truncated: stdout.truncated || stderr.truncated)
        switch outcome {
        case let .finished(.exited(code)):
            result.exitCode = code
        case let .finished(.signaled(signal)):
            result.failure = "killed by signal \(signal)"
        case .deadline:
            result.failure = "timed out after \(Self.format(timeout))"
        case let .launchFailed(error):
            result.failure = Self.launchFailure(error, executable: executable, lookedUp: lookUpOnPath)
        case .cancelled:
            result.failure = "cancelled"
        }
        return result
    }

    /// gwdoctor's PATH, a UTF-8 C locale, then `values` (which win).
    static func customEnvironment(_ values: [String: String]) -> Environment {
        var entries = ["LC_ALL": "C.UTF-8", "LANG": "C.UTF-8",
                       "PATH": getenv("PATH").map { String(cString: $0) } ?? "/usr/local/bin:/usr/bin:/bin"]
        entries.merge(values) { _, given in given }
        return .custom(Dictionary(uniqueKeysWithValues: entries.map { (Environment.Key(stringLiteral: $0.key), $0.value) }))
    }

    /// A new session, so the child leads its own process group, and a teardown that
    /// signals that whole group: SIGTERM, then SIGKILL after the grace period.
    static func platformOptions() -> PlatformOptions {
        var options = PlatformOptions()
        options.createSession = true
        options.teardownSequence = [.gracefulShutDown(toProcessGroup: true, allowedDurationToNextStep: gracePeriod)]
        return options
    }

    /// `5s`, `0.5s`, `1.25s`: how a person writes a timeout.
    static func format(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let milliseconds = attoseconds / 1_000_000_000_000_000
        if milliseconds == 0 { return "\(seconds)s" }
        var fraction = String(milliseconds)
        while fraction.count < 3 { fraction = "0" + fraction }
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return "\(seconds).\(fraction)s"
    }

    static func launchFailure(_ error: any Error, executable: String, lookedUp: Bool) -> String {
        guard let error = error as? SubprocessError else { return "\(executable): \(error)" }
        let code = error.underlyingError?.rawValue
        if error.code == .executableNotFound || code == ENOENT {
            return lookedUp ? "\(executable): not installed (not found on PATH)" : "\(executable): not installed (no such file)"
        }
        if code == EACCES || code == EPERM { return "\(executable): permission denied" }
        if code == ENOEXEC { return "\(executable): not an executable" }
        return "\(executable): could not be started (\(error))"
    }
}

private enum RunOutcome: Sendable {
    case finished(TerminationStatus)
    case launchFailed(any Error)
    case deadline
    case cancelled
}

/// The first `limit` bytes of one output stream, shared with the draining task so a
/// timed-out command still reports what it printed before it was killed.
final class CappedOutput: Sendable {
    private struct State {
        var bytes: [UInt8] = []
        var truncated = false
    }

    let limit: Int
    private let state = Mutex(State())

    init(limit: Int) {
        self.limit = max(0, limit)
    }

    /// Reads the stream to its end, keeping the head and discarding the rest: reading on
    /// (rather than closing the pipe) lets the command finish normally instead of dying of SIGPIPE.
    /// A read error ends the capture quietly: whatever came before it is kept, and the
    /// exit status still tells how the command ended.
    func drain(_ sequence: SubprocessOutputSequence) async {
        do {
            for try await buffer in sequence {
                buffer.withUnsafeBytes { raw in append(raw) }
            }
        } catch {}
    }

    func append(_ raw: UnsafeRawBufferPointer) {
        state.withLock { state in
            let room = limit - state.bytes.count
            if raw.count > room { state.truncated = true }
            if room > 0 { state.bytes.append(contentsOf: raw.prefix(room)) }
        }
    }

    var text: String { state.withLock { String(decoding: $0.bytes, as: UTF8.self) } }
    var truncated: Bool { state.withLock { $0.truncated } }
}
