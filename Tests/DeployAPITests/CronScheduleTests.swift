import Foundation
import Testing

@testable import DeployAPI

/// The cron schedules CronJobs are checked and (locally) run by.
@Suite("cron schedules")
struct CronScheduleTests {
    static func date(_ text: String) -> Date {
        try! Date(text, strategy: Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC")!))
    }

    @Test(
        "the next run after a moment, in UTC",
        arguments: [
            ("0 3 * * *", "2026-12-02T10:15:30Z", "2026-12-03T03:00:00Z"),
            ("*/15 * * * *", "2026-12-02T10:15:30Z", "2026-12-02T10:30:00Z"),
            ("*/15 * * * *", "2026-12-02T10:14:59Z", "2026-12-02T10:15:00Z"),
            ("5/20 * * * *", "2026-12-02T10:26:00Z", "2026-12-02T10:45:00Z"),
            ("0 9-17/4 * * mon-fri", "2026-12-04T18:00:00Z", "2026-12-07T09:00:00Z"),
            ("30 2 1 jan,JUL *", "2026-12-02T00:00:00Z", "2027-01-01T02:30:00Z"),
            ("0 0 29 2 *", "2026-03-01T00:00:00Z", "2028-02-29T00:00:00Z"),
            // Both day fields restricted: either matches (the 13th, or a Friday).
            ("0 0 13 * 5", "2026-12-02T00:00:00Z", "2026-12-04T00:00:00Z"),
            ("0 0 * * 7", "2026-12-02T00:00:00Z", "2026-12-06T00:00:00Z"),
            ("@hourly", "2026-12-02T10:59:59Z", "2026-12-02T11:00:00Z"),
            ("@weekly", "2026-12-02T10:00:00Z", "2026-12-06T00:00:00Z"),
            ("@yearly", "2026-12-02T10:00:00Z", "2027-01-01T00:00:00Z"),
            ("0 12 ? * *", "2026-12-02T12:00:00Z", "2026-12-03T12:00:00Z"),
        ])
    func next(schedule: String, after: String, expected: String) throws {
        #expect(try CronSchedule(schedule).next(after: Self.date(after)) == Self.date(expected))
    }

    @Test("a time zone moves the hour; a date that never comes has no next run")
    func zones() throws {
        let tokyo = try #require(TimeZone(identifier: "Asia/Tokyo"))
        #expect(try CronSchedule("0 9 * * *").next(after: Self.date("2026-12-02T10:00:00Z"), in: tokyo) == Self.date("2026-12-03T00:00:00Z"))
        #expect(try CronSchedule("0 0 30 2 *").next(after: Self.date("2026-12-02T10:00:00Z")) == nil)
    }

    @Test(
        "what is not a schedule is refused with the field and the reason",
        arguments: [
            ("61 * * * *", "the minute field \"61\" has 61, outside 0-59"),
            ("* * * *", "five fields"),
            ("* * * * * *", "five fields"),
            ("*/0 * * * *", "step that is not a positive number"),
            ("10-5 * * * *", "runs backwards"),
            ("* * * foo *", "neither a number nor a name"),
            ("1,,2 * * * *", "empty or malformed"),
            ("@every 5m", "five fields"),
            ("", "five fields"),
        ])
    func refused(schedule: String, reason: String) {
        #expect {
            try CronSchedule(schedule)
        } throws: { error in
            "\(error)".contains(reason)
        }
    }
}
