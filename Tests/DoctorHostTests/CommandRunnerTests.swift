import DoctorFacts
@testable import DoctorHost
import Foundation
import Testing

/// Commands other than `AllowedCommand`s go through `runUnchecked`, which is internal
/// and reachable only here through `@testable import`.
@Suite("Command runner")
struct CommandRunnerTests {
    let host = LiveHost()
    // Deadlines here are generous on purpose: these tests check what a finished command
    // gives back, and the whole suite (lab processes included) shares two cores; only
    // timeoutKillsTheWholeProcessGroup is about the deadline itself.

    @Test func capturesExitCodeAndBothStreams() async {
        let result = await host.runUnchecked(["/bin/sh", "-c", "echo out; echo err >&2; exit 3"], timeout: .seconds(30), outputLimit: 1000)
        #expect(result.exitCode == 3)
        #expect(result.stdout == "out\n")
        #expect(result.stderr == "err\n")
        #expect(result.failure == nil)
        #expect(!result.truncated)
        #expect(!result.succeeded)
    }

    @Test func keepsTheFirstBytesAndMarksTruncation() async {
        // 200 KB on each stream, more than a pipe buffer: the child must not block on either.
        let script = "head -c 200000 /dev/zero | tr '\\0' a; head -c 200000 /dev/zero | tr '\\0' b >&2; echo done >&2"
        let result = await host.runUnchecked(["/bin/sh", "-c", script], timeout: .seconds(30), outputLimit: 1000)
        #expect(result.exitCode == 0)
        #expect(result.stdout == String(repeating: "a", count: 1000))
        #expect(result.stderr == String(repeating: "b", count: 1000))
        #expect(result.truncated)
        #expect(result.failure == nil)
    }

    @Test func timeoutKillsTheWholeProcessGroup() async throws {
        let clock = ContinuousClock()
        let start = clock.now
        // The shell prints its own pid and its background child's, then waits forever.
        let result = await host.runUnchecked(["/bin/sh", "-c", "sleep 120 & echo $$ $!; wait"], timeout: .milliseconds(500), outputLimit: 1000)
        let elapsed = start.duration(to: clock.now)
        #expect(result.failure == "timed out after 0.5s")
        #expect(result.exitCode == nil)
        // Generous: the wall clock includes resuming on a cooperative pool other tests share.
        #expect(elapsed < .seconds(60), "a hang (sleep 120), not scheduling noise")
        let pids = result.stdout.split(whereSeparator: \.isWhitespace).compactMap { Int32($0) }
        #expect(pids.count == 2, "partial output before the deadline is kept")
        for pid in pids {
            #expect(await processIsDead(pid), "pid \(pid) survived the timeout")
        }
    }

    @Test func backgroundChildrenDieWithTheCommand() async throws {
        // The shell exits at once but leaves `sleep` holding its stdout: without the group
        // kill the run would wait for sleep, and sleep would outlive gwdoctor.
        let clock = ContinuousClock()
        let start = clock.now
        let result = await host.runUnchecked(["/bin/sh", "-c", "sleep 120 & echo $!"], timeout: .seconds(30), outputLimit: 1000)
        #expect(start.duration(to: clock.now) < .seconds(100), "without the group kill it would wait for sleep 120")
        #expect(result.exitCode == 0)
        let pid = try #require(Int32(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(await processIsDead(pid))
    }

    @Test func missingExecutableIsNotInstalled() async {
        let byName = await host.runUnchecked(["gwdoctor-no-such-program", "-V"], timeout: .seconds(30), outputLimit: 100)
        #expect(byName.failure == "gwdoctor-no-such-program: not installed (not found on PATH)")
        #expect(byName.exitCode == nil)
        let byPath = await host.run(.nginxVersion(executable: "/nonexistent/sbin/nginx"), timeout: .seconds(30), outputLimit: 100)
        #expect(byPath.failure == "/nonexistent/sbin/nginx: not installed (no such file)")
        #expect(byPath.argv == ["/nonexistent/sbin/nginx", "-V"])
    }

    @Test func signalIsReported() async {
        let result = await host.runUnchecked(["/bin/sh", "-c", "kill -9 $$"], timeout: .seconds(30), outputLimit: 100)
        #expect(result.exitCode == nil)
        #expect(result.failure == "killed by signal 9")
    }

    @Test func realAllowedCommand() async throws {
        // nginx is installed on the build machine; skip quietly elsewhere.
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/nginx") else { return }
        let result = await host.run(.nginxVersion(executable: nil), timeout: .seconds(30), outputLimit: 64 * 1024)
        #expect(result.exitCode == 0)
        #expect(result.stderr.contains("nginx version: nginx/"))
        #expect(result.argv == ["nginx", "-V"])
    }

    @Test(arguments: [
        (Duration.seconds(5), "5s"), (.milliseconds(500), "0.5s"), (.milliseconds(1250), "1.25s"), (.milliseconds(10), "0.01s"),
    ])
    func timeoutWording(duration: Duration, text: String) {
        #expect(CommandRunner.format(duration) == text)
    }
}
