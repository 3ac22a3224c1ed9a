@testable import DoctorParsers
import Foundation
import Testing

/// `journalctl -o json` lines, reconstructed in journald's format (no journal here).
@Suite("journalctl -o json")
struct JournalJSONTests {
    @Test func fixtureEntries() throws {
        let entries = JournalJSON.parse(try Fixtures.text("services/journal/gunicorn-json.txt"))
        #expect(entries.count == 5)  // the two garbage lines are skipped
        let first = entries[0]
        #expect(first.message?.hasSuffix("Listening at: http://127.0.0.1:8000 (4242)") == true)
        #expect(first.date == Date(timeIntervalSince1970: 1_795_252_323.123456))
        #expect(first.pid == 4242 && first.priority == 6)
        #expect(first.syslogIdentifier == "gunicorn" && first.systemdUnit == "gunicorn.service")
        #expect(!first.messageWasBinary)
        let binary = entries[1]
        #expect(binary.messageWasBinary)
        #expect(binary.message == "\u{1B}[31mError\u{1B}[0m: caf\u{FFFD}")
        #expect(entries[2].message?.contains("status=3/NOTIMPLEMENTED") == true)
        #expect(entries[2].aboutUnit == "gunicorn.service" && entries[2].systemdUnit == "init.scope")
        #expect(first.aboutUnit == nil)
        #expect(entries[3].message == nil && entries[3].pid == 4244)
        #expect(entries[4].syslogIdentifier == "gunicorn")
    }

    @Test func garbageAndHostileLines() {
        #expect(JournalJSON.parse(line: "") == nil)
        #expect(JournalJSON.parse(line: "-- No entries --") == nil)
        #expect(JournalJSON.parse(line: "[1,2,3]") == nil)
        #expect(JournalJSON.parse(line: "{\"MESSAGE\":[300,1]}")?.message == nil)
        #expect(JournalJSON.parse(line: "{\"MESSAGE\":\"x\",\"_PID\":\"abc\"}")?.pid == nil)
        let deep = String(repeating: "[", count: 100_000)
        #expect(JournalJSON.parse(line: "{\"a\":" + deep) == nil)
        let huge = "{\"MESSAGE\":\"" + String(repeating: "x", count: 2_000_000) + "\"}"
        #expect(JournalJSON.parse(line: huge) == nil)
    }
}
