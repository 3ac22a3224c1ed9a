@testable import DoctorHost
import Foundation
import Testing

@Suite("Log window reader")
struct LogWindowReaderTests {
    private func stamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = .current
        formatter.dateFormat = "yyyy/MM/dd HH:mm:ss"
        return formatter.string(from: date)
    }

    @Test func keepsOnlyTheWindowWithTrueLineNumbers() throws {
        let dir = try TemporaryDirectory()
        let now = Date()
        var text = ""
        for minutes in [60, 40, 20] { text += "\(stamp(now.addingTimeInterval(Double(-minutes * 60)))) [error] 1#1: *1 old \(minutes)\n" }
        text += "\n" // a blank line still counts as a line
        text += "\(stamp(now.addingTimeInterval(-300))) [crit] 1#1: *2 recent\n  continuation\n"
        text += "\(stamp(now.addingTimeInterval(-60))) [error] 1#1: *3 newest\n"
        let path = try dir.write("error.log", text)
        let window = try LogWindowReader(host: LiveHost()).read(path, since: now.addingTimeInterval(-900))
        #expect(window.lines.count == 3)
        #expect(window.lines.first?.contains("recent") == true)
        #expect(window.firstLineNumber == 5)
        #expect(!window.cutShort)
    }

    @Test func growsTheTailOnlyAsFarAsTheWindowAndNeverReadsABigFileWhole() throws {
        let dir = try TemporaryDirectory()
        let now = Date()
        let old = "\(stamp(now.addingTimeInterval(-7200))) [error] 1#1: *1 old line padding padding padding padding\n"
        let recent = "\(stamp(now.addingTimeInterval(-30))) [error] 1#1: *2 recent\n"
        // 8 MB of old lines, then a few recent ones: the reader must stop after a small tail.
        let path = dir.file("big.log")
        try #require(FileManager.default.createFile(atPath: path, contents: nil))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        let block = Data(String(repeating: old, count: (1 << 20) / old.utf8.count).utf8)
        for _ in 0..<8 { handle.write(block) }
        handle.write(Data(String(repeating: recent, count: 5).utf8))
        try handle.close()
        let window = try LogWindowReader(host: LiveHost(), initialBytes: 4096).read(path, since: now.addingTimeInterval(-900))
        #expect(window.lines.count == 5)
        #expect(window.firstLineNumber == nil, "the start of the file was not read")
        #expect(!window.cutShort)
    }

    @Test func aWindowLargerThanTheCapIsCutShort() throws {
        let dir = try TemporaryDirectory()
        let now = Date()
        let line = "\(stamp(now.addingTimeInterval(-10))) [error] 1#1: *2 recent padding padding padding\n"
        let path = try dir.write("busy.log", String(repeating: line, count: 2000))
        let window = try LogWindowReader(host: LiveHost(), maxBytes: 8192, initialBytes: 1024).read(path, since: now.addingTimeInterval(-900))
        #expect(window.cutShort)
        #expect(window.lines.count < 2000 && !window.lines.isEmpty)
    }

    @Test func aLogWithoutTimesCountsByItsModificationTime() throws {
        // Uvicorn's boot crash on stderr, as supervisord captured it: no line has a time.
        let dir = try TemporaryDirectory()
        let text = "Traceback (most recent call last):\n  File \"<frozen os>\", line 679, in __getitem__\nKeyError: 'DJANGO_SECRET_KEY'\n"
        let path = try dir.write("app.err.log", text)
        let now = Date()
        let recent = try LogWindowReader(host: LiveHost()).read(path, since: now.addingTimeInterval(-900))
        #expect(recent.lines.count == 3)
        #expect(recent.firstLineNumber == 1)
        // Last written two hours ago: outside a 15-minute window.
        var times = [timespec(tv_sec: Int(now.timeIntervalSince1970) - 7200, tv_nsec: 0),
                     timespec(tv_sec: Int(now.timeIntervalSince1970) - 7200, tv_nsec: 0)]
        #expect(utimensat(AT_FDCWD, path, &times, 0) == 0)
        let old = try LogWindowReader(host: LiveHost()).read(path, since: now.addingTimeInterval(-900))
        #expect(old.lines.isEmpty)
    }
}
