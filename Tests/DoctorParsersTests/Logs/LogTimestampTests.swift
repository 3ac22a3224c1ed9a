@testable import DoctorParsers
import Foundation
import Testing

/// `LogTimestamp` turns wall-clock stamps into instants by arithmetic instead of a `Calendar`
/// per line; Foundation's `Calendar` is the reference it must agree with.
@Suite("Log timestamps")
struct LogTimestampTests {
    static let zones = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "America/St_Johns"]

    @Test("wall times agree with Calendar in every zone, 1999-2040, outside the hours around a DST change", arguments: zones)
    func agreesWithCalendar(_ name: String) throws {
        let zone = try #require(TimeZone(identifier: name))
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        var compared = 0
        // Steps of 2 d 7 h 13 min 17 s walk through all hours, minutes and days of the month.
        var wall = DateComponents(year: 1999, month: 1, day: 1, hour: 0, minute: 0, second: 0)
        var reference = try #require(calendar.date(from: wall))
        let end = try #require(calendar.date(from: DateComponents(year: 2040, month: 12, day: 31)))
        while reference < end {
            let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: reference)
            wall = parts
            let expected = try #require(calendar.date(from: wall))
            let steady = zone.secondsFromGMT(for: expected.addingTimeInterval(-10_800)) == zone.secondsFromGMT(for: expected.addingTimeInterval(10_800))
            if steady {
                let got = LogTimestamp.date(parts.year!, parts.month!, parts.day!, parts.hour!, parts.minute!, parts.second!, zone: zone)
                #expect(got == expected, "\(name) \(parts)")
                compared += 1
            }
            reference = reference.addingTimeInterval(198_797)
        }
        #expect(compared > 6_000)
    }

    @Test("days roll over as Calendar's do, leap years count, and out-of-range fields are refused")
    func edges() throws {
        let utc = try #require(TimeZone(identifier: "UTC"))
        #expect(LogTimestamp.daysSinceEpoch(1970, 1, 1) == 0)
        #expect(LogTimestamp.daysSinceEpoch(2000, 3, 1) - LogTimestamp.daysSinceEpoch(2000, 2, 28) == 2, "2000 is a leap year")
        #expect(LogTimestamp.daysSinceEpoch(2100, 3, 1) - LogTimestamp.daysSinceEpoch(2100, 2, 28) == 1, "2100 is not")
        #expect(LogTimestamp.date(2026, 11, 31, 0, 0, 0, zone: utc) == LogTimestamp.date(2026, 12, 1, 0, 0, 0, zone: utc))
        #expect(LogTimestamp.date(2026, 13, 1, 0, 0, 0, zone: utc) == nil)
        #expect(LogTimestamp.date(2026, 11, 21, 24, 0, 0, zone: utc) == nil)
        #expect(LogTimestamp.date(2026, 11, 21, 7, 34, 0, zone: utc)?.timeIntervalSince1970 == 1_795_246_440)
    }

    @Test("the year of an instant agrees with Calendar, across New Year in zones either side of UTC", arguments: zones)
    func yearOfInstant(_ name: String) throws {
        let zone = try #require(TimeZone(identifier: name))
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        for year in [1969, 1970, 1999, 2000, 2026, 2027, 2100] {
            let newYear = try #require(calendar.date(from: DateComponents(year: year, month: 1, day: 1)))
            for delta: TimeInterval in [-86_400, -1, 0, 1, 3_600, 17_280_000] {
                let instant = newYear.addingTimeInterval(delta)
                #expect(LogTimestamp.year(of: instant, in: zone) == calendar.component(.year, from: instant), "\(name) \(instant)")
            }
        }
    }

    @Test("real stamps: nginx error log in local time, access log and Gunicorn with offsets, ISO 8601 with fractions")
    func realLines() throws {
        let berlin = try #require(TimeZone(identifier: "Europe/Berlin"))
        let error = "2026/11/21 08:34:00 [error] 4242#4242: *1 connect() failed (111: Connection refused) while connecting to upstream"
        #expect(LogTimestamp.parse(error[...], localZone: berlin)?.timeIntervalSince1970 == 1_795_246_440)
        let access = #"127.0.0.1 - - [21/Nov/2026:07:34:00 +0000] "GET / HTTP/1.1" 502 157 "-" "curl/7.88.1""#
        #expect(LogTimestamp.parse(access[...], localZone: berlin)?.timeIntervalSince1970 == 1_795_246_440)
        let gunicorn = "[2026-11-21 02:34:00 -0500] [4242] [ERROR] Exception in worker process"
        #expect(LogTimestamp.parse(gunicorn[...], localZone: berlin)?.timeIntervalSince1970 == 1_795_246_440)
        let iso = #"{"level":"error","ts":"2026-11-21T07:34:00.250Z","msg":"dial tcp 127.0.0.1:8000: connect: connection refused"}"#
        #expect(LogTimestamp.parse(iso[...], localZone: berlin)?.timeIntervalSince1970 == 1_795_246_440.25)
    }
}
