@testable import DoctorParsers
import Foundation
import Testing

/// `systemctl show` fixtures are reconstructed in systemd's format (no systemd runs
/// here); the "cannot operate" stderr is a real recording (Fixtures/services/README.md).
@Suite("systemctl show")
struct SystemctlShowTests {
    private func state(_ name: String) throws -> ServiceState {
        ServiceState(properties: SystemctlShow.parse(try Fixtures.text("services/systemd/show-\(name).txt")))
    }

    @Test func failedWithExitCode() throws {
        let state = try state("exit-code")
        #expect(state.activeState == "failed" && state.subState == "failed" && state.result == "exit-code")
        #expect(state.execMainStatus == 3)
        #expect(state.execMainCodeName == "exited")
        #expect(state.mainPID == nil)
    }

    @Test func autoRestartStartLimitOOMAndRunning() throws {
        let restarting = try state("auto-restart")
        #expect(restarting.activeState == "activating" && restarting.subState == "auto-restart")
        #expect(restarting.restarts == 4)
        let limit = try state("start-limit-hit")
        #expect(limit.result == "start-limit-hit" && limit.restarts == 5)
        let oom = try state("oom-kill")
        #expect(oom.result == "oom-kill" && oom.execMainCodeName == "killed" && oom.execMainStatus == 9)
        let running = try state("running")
        #expect(running.activeState == "active" && running.subState == "running" && running.mainPID == 4242)
        #expect(running.result == "success")
    }

    @Test func severalUnitsSeparatedByBlankLines() throws {
        let states = SystemctlShow.states(try Fixtures.text("services/systemd/show-two-units.txt"))
        #expect(states.count == 2)
        #expect(states[0].fragmentPath == "/etc/systemd/system/gunicorn.service")
        #expect(states[0].dropInPaths.count == 2)
        #expect(states[0].activeEnterTimestamp == Date(timeIntervalSince1970: 1_795_252_323))
        #expect(states[0].inactiveEnterTimestamp == Date(timeIntervalSince1970: 1_795_252_318))
        #expect(states[1].loadState == "not-found")
        #expect(states[1].fragmentPath == nil && states[1].dropInPaths.isEmpty && states[1].activeEnterTimestamp == nil)
    }

    @Test func timestampFormats() {
        #expect(SystemctlShow.timestamp("Sat 2026-11-21 09:12:03.250000 UTC") == Date(timeIntervalSince1970: 1_795_252_323.25))
        #expect(SystemctlShow.timestamp("@1795252323") == Date(timeIntervalSince1970: 1_795_252_323))
        #expect(SystemctlShow.timestamp("n/a") == nil)
        #expect(SystemctlShow.timestamp("Sat 2026-13-45 09:12:03 UTC") == nil)
        #expect(SystemctlShow.timestamp("Sat 2026-11-21 09:12:03 NOSUCHZONE") == nil)
    }

    @Test func valuesKeepTheirEqualsSigns() {
        let properties = SystemctlShow.parse("Environment=A=1 B=2\ngarbage\n=x\nStatusText=\n")
        #expect(properties == ["Environment": "A=1 B=2", "StatusText": ""])
    }

    @Test func recordedCannotOperateMessage() throws {
        let stderr = try Fixtures.text("services/systemd/systemctl-show-nginx.stderr.txt")
        #expect(SystemctlShow.cannotOperate(stderr) == "System has not been booted with systemd as init system (PID 1). Can't operate.")
        #expect(SystemctlShow.cannotOperate("Failed to connect to bus: No such file or directory\n") != nil)
        #expect(SystemctlShow.cannotOperate("Unit nosuch.service could not be found.\n") == nil)
        #expect(SystemctlShow.cannotOperate("") == nil)
    }

    @Test func hostileInput() {
        let huge = String(repeating: "A", count: 2_000_000) + "=" + String(repeating: "\n", count: 100_000) + "\u{0}\u{FFFF}=x"
        let units = SystemctlShow.parseUnits(huge)
        #expect(units.count == 2)
    }
}
