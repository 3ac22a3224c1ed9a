@testable import DoctorParsers
import Foundation
import Testing

/// Files edited on Windows end lines in CRLF, which Swift treats as one Character:
/// every parser here must still see separate lines.
@Suite("service parsers and CRLF")
struct ServiceLineEndingTests {
    @Test func unitFileWithCRLFAndBOM() {
        let unit = SystemdUnitFile.parse("\u{FEFF}[Service]\r\nExecStart=/bin/a \\\r\n  b\r\nUser=x\r\n", file: "u")
        #expect(unit.execStart.first?.argv == ["/bin/a", "b"])
        #expect(unit.user == "x")
        #expect(unit.warnings.isEmpty)
    }

    @Test func systemctlShowWithCRLF() {
        let units = SystemctlShow.parseUnits("ActiveState=active\r\n\r\nActiveState=failed\r\n")
        #expect(units == [["ActiveState": "active"], ["ActiveState": "failed"]])
    }

    @Test func supervisorConfigAndStatusWithCRLF() {
        let config = SupervisorConfig.parse("[program:x]\r\ncommand=/bin/a b\r\nstdout_logfile=OFF\r\n", file: "/etc/s.conf")
        #expect(config.programs.first?.argv == ["/bin/a", "b"])
        #expect(config.programs.first?.stdoutLogfile == SupervisorLogFile.none)
        let status = SupervisorStatus.parse("a  RUNNING   pid 1, uptime 0:00:01\r\nb  FATAL     Exited too quickly\r\n")
        #expect(status.map(\.state) == ["RUNNING", "FATAL"])
        #expect(status.first?.uptime == 1)
    }

    @Test func journalWithCRLF() {
        let entries = JournalJSON.parse("{\"MESSAGE\":\"a\"}\r\n{\"MESSAGE\":\"b\"}\r\n")
        #expect(entries.map(\.message) == ["a", "b"])
    }
}
