@testable import DoctorParsers
import DoctorFacts
import Foundation
import Testing

/// Worker deaths on lines recorded here by hand (2026-11-21) from the real programs in a
/// private network namespace: Gunicorn 27.0.1 (sync, `--timeout 2`, one worker) serving a
/// view that sleeps in Python, one that calls `libc.sleep` through ctypes, one that deadlocks
/// on a C mutex; uWSGI 2.0.21-debian (`--harakiri 2`, `--master`) serving a view that sleeps.
@Suite("worker death lines")
struct WorkerDeathLinesTests {
    /// Gunicorn's error log of the three requests, as written (tracebacks shortened to their ends).
    static let gunicorn: [Substring] = [
        "[2026-11-21 10:58:00 +0000] [6540] [INFO] Booting worker with pid: 6542",
        "[2026-11-21 10:58:04 +0000] [6540] [CRITICAL] WORKER TIMEOUT (pid:6542)",
        "[2026-11-21 10:58:04 +0000] [6542] [ERROR] Error handling request GET /py",
        "Traceback (most recent call last):",
        "    sys.exit(1)",
        "SystemExit: 1",
        "[2026-11-21 10:58:04 +0000] [6542] [INFO] Worker exiting (pid: 6542)",
        "[2026-11-21 10:58:04 +0000] [6540] [INFO] Booting worker with pid: 6664",
        "[2026-11-21 10:58:09 +0000] [6540] [CRITICAL] WORKER TIMEOUT (pid:6664)",
        "[2026-11-21 10:58:09 +0000] [6664] [ERROR] Error handling request GET /libcsleep",
        "SystemExit: 1",
        "[2026-11-21 10:58:09 +0000] [6664] [INFO] Worker exiting (pid: 6664)",
        "[2026-11-21 10:58:09 +0000] [6540] [INFO] Booting worker with pid: 6785",
        "[2026-11-21 10:58:14 +0000] [6540] [CRITICAL] WORKER TIMEOUT (pid:6785)",
        "[2026-11-21 10:58:15 +0000] [6540] [ERROR] Worker (pid:6785) was sent SIGKILL! Perhaps out of memory?",
        "[2026-11-21 10:58:15 +0000] [6540] [INFO] Booting worker with pid: 7166",
    ]

    @Test func timeoutsTheAbortEndedAreKeptAndTheKilledOneIsOneKill() {
        let kills = WorkerKillLog.parse(lines: Self.gunicorn, source: "/var/log/gunicorn/error.log", firstLineNumber: 1)
        #expect(kills.map(\.pid) == [6542, 6664, 6785])
        #expect(kills.allSatisfy { $0.reason == .workerTimeout })
        // The two the abort ended (Gunicorn answered 500): their TIMEOUT lines.
        #expect(kills[0].line.hasSuffix("WORKER TIMEOUT (pid:6542)") && kills[0].source == "/var/log/gunicorn/error.log:2")
        #expect(kills[1].line.hasSuffix("WORKER TIMEOUT (pid:6664)"))
        // The one stuck in C: one kill, its SIGKILL line (no second entry for its TIMEOUT).
        #expect(kills[2].line.contains("Worker (pid:6785) was sent SIGKILL!") && kills[2].source == "/var/log/gunicorn/error.log:15")
        #expect(kills[0].time == Date(timeIntervalSince1970: 1_795_258_684))
    }

    @Test func uwsgiHarakiriCarriesItsCtimeStamp() throws {
        let lines: [Substring] = [
            "spawned uWSGI worker 1 (pid: 5960, cores: 1)",
            "Sat Nov 21 10:57:47 2026 - *** HARAKIRI ON WORKER 1 (pid: 5960, try: 1) ***",
            "Sat Nov 21 10:57:47 2026 - HARAKIRI !!! worker 1 status !!!",
            "Sat Nov 21 10:57:47 2026 - HARAKIRI [core 0] 127.0.0.1 - GET /sleep since 1795258664",
            "Sat Nov 21 10:57:47 2026 - HARAKIRI !!! end of worker 1 status !!!",
            "DAMN ! worker 1 (pid: 5960) died, killed by signal 9 :( trying respawn ...",
            "Respawned uWSGI worker 1 (new pid: 6118)",
        ]
        let utc = try #require(TimeZone(identifier: "UTC"))
        let kills = WorkerKillLog.parse(lines: lines, source: "/var/log/uwsgi/app.log", firstLineNumber: 20, localZone: utc)
        #expect(kills.count == 1)
        let kill = try #require(kills.first)
        #expect(kill.reason == .workerTimeout && kill.pid == 5960 && kill.source == "/var/log/uwsgi/app.log:21")
        #expect(kill.time == Date(timeIntervalSince1970: 1_795_258_667))
        // ctime pads days below 10 with a space; a local zone moves the instant.
        let paris = try #require(TimeZone(identifier: "Europe/Paris"))
        #expect(LogTimestamp.ctime("Sun Nov  1 10:00:00 2026 - x", localZone: utc) == Date(timeIntervalSince1970: 1_793_527_200))
        #expect(LogTimestamp.ctime("Sun Nov  1 11:00:00 2026 - x", localZone: paris) == Date(timeIntervalSince1970: 1_793_527_200))
        #expect(LogTimestamp.ctime("Sunday Nov 1 10:00:00 2026", localZone: utc) == nil)
        #expect(LogTimestamp.ctime("Sun Foo 1 10:00:00 2026", localZone: utc) == nil)
    }
}
