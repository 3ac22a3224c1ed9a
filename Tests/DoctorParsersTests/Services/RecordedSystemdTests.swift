@testable import DoctorParsers
import DoctorFacts
import Foundation
import Testing

/// Parsers on REAL systemd 252 outputs, recorded from a systemd run as PID 1 of a private PID +
/// mount namespace on this host (Fixtures/services/README.md, "Real recordings from systemd in a namespace").
@Suite("recorded systemd outputs")
struct RecordedSystemdTests {
    @Test func showOfSixUnitsInOneCall() throws {
        let states = SystemctlShow.states(try Fixtures.text("services/recorded/show-six-units.txt"))
        #expect(states.count == 6)
        // gw-crash: Restart=on-failure with StartLimitBurst=3. After the limit stops the auto-restart
        // loop systemd 252 keeps Result=exit-code (not start-limit-hit): failed with 3 restarts.
        #expect(states[0].activeState == "failed" && states[0].result == "exit-code" && states[0].restarts == 3)
        #expect(states[0].execMainCodeName == "exited" && states[0].execMainStatus == 3 && states[0].mainPID == nil)
        // gw-kill: running, main pid inside the namespace.
        #expect(states[1].activeState == "active" && states[1].subState == "running" && states[1].mainPID == 24)
        #expect(states[1].inactiveEnterTimestamp == nil)
        // gw-loop: Restart=always, StartLimitIntervalSec=0 — waiting to restart again.
        #expect(states[2].activeState == "activating" && states[2].subState == "auto-restart" && states[2].restarts == 6)
        // gw-ok: a drop-in.
        #expect(states[3].dropInPaths == ["/run/systemd/system/gw-ok.service.d/env.conf"])
        #expect(states[3].activeEnterTimestamp == SystemctlShow.timestamp("Sat 2026-11-21 10:14:47 UTC"))
        // gw-oom: the main process OOM-killed under a cgroup v1 memory limit: systemd says only
        // `signal` / status 9 (it detects `oom-kill` on the unified hierarchy only).
        #expect(states[4].result == "signal" && states[4].execMainCodeName == "killed" && states[4].execMainStatus == 9)
        // gw-missing: no such unit.
        #expect(states[5].loadState == "not-found" && states[5].fragmentPath == nil)
    }

    @Test func realStartLimitHit() throws {
        // gunicorn --daemon under Type=simple: each start exits 0 at once, Restart=always, 5 restarts.
        let state = try #require(SystemctlShow.states(try Fixtures.text("services/recorded/show-start-limit-hit.txt")).first)
        #expect(state.result == "start-limit-hit" && state.restarts == 5 && state.activeState == "failed")
        #expect(state.execMainStatus == 0)
    }

    @Test func cannotOperateOnAHostWithoutSystemd() throws {
        let stderr = try Fixtures.text("services/recorded/systemctl-cannot-operate.stderr.txt")
        #expect(SystemctlShow.cannotOperate(stderr)?.contains("has not been booted with systemd") == true)
        #expect(SystemctlShow.cannotOperate("") == nil)
    }

    @Test func journalOfAStartLimitHitHasSystemdsOwnLines() throws {
        let entries = JournalJSON.parse(try Fixtures.text("services/recorded/journal-start-limit-hit.json"))
        #expect(entries.count == 23)
        let manager = entries.filter { $0.pid == 1 }
        #expect(manager.contains { $0.message == "gw-daemon.service: Start request repeated too quickly." })
        #expect(manager.contains { $0.message == "gw-daemon.service: Failed with result 'start-limit-hit'." })
        #expect(manager.allSatisfy { $0.aboutUnit == "gw-daemon.service" && $0.systemdUnit == "init.scope" })
    }

    @Test func hybridCgroupNamesTheUnit() throws {
        // Recorded /proc/PID/cgroup of gunicorn under systemd on this cgroup v1 hybrid host.
        #expect(SystemdCgroup.serviceUnit(try Fixtures.text("services/recorded/proc-cgroup-hybrid.txt")) == "myapp.service")
    }

    @Test func unifiedAndNestedCgroups() {
        // Written for the test in the kernel's format (no cgroup v2-only systemd host here).
        #expect(SystemdCgroup.serviceUnit("0::/system.slice/gunicorn.service\n") == "gunicorn.service")
        #expect(SystemdCgroup.serviceUnit("0::/system.slice/system-app.slice/app@2.service/worker\n") == "app@2.service")
        #expect(SystemdCgroup.serviceUnit("0::/user.slice/user-0.slice/session-3.scope\n") == nil)
        #expect(SystemdCgroup.serviceUnit("0::/\n") == nil)
        #expect(SystemdCgroup.serviceUnit("garbage\u{0}\n") == nil)
        #expect(SystemdCgroup.template(of: "app@2.service") == "app@.service")
        #expect(SystemdCgroup.template(of: "app.service") == "app.service")
    }

    @Test func socketUnitListenStreams() {
        let unit = SystemdUnitFile.parse("""
            [Socket]
            ListenStream=/run/myapp.sock
            ListenStream=8000
            ListenStream=127.0.0.1:8001
            ListenStream=[::1]:8002
            ListenStream=@abstract
            """, file: "/etc/systemd/system/myapp.socket")
        let binds = SystemdSocketListen.binds(unit)
        #expect(binds.map(\.endpoint) == [.unix(path: "/run/myapp.sock"), .tcp(host: "0.0.0.0", port: 8000),
                                          .tcp(host: "127.0.0.1", port: 8001), .tcp(host: "::1", port: 8002), nil])
        #expect(binds[0].source == "/etc/systemd/system/myapp.socket:2")
    }
}
