import Foundation

/// A CronJob's `schedule` as Kubernetes reads it: five fields (minute, hour, day of month,
/// month, day of week) of numbers, names (`jan`, `mon`), `*`, `?`, ranges, lists and steps,
/// or one of the macros (`@hourly`, `@daily`/`@midnight`, `@weekly`, `@monthly`,
/// `@yearly`/`@annually`). As in Vixie cron, when both day fields are restricted a day
/// matching either runs. Submissions are checked with it on every runtime; the local runtime
/// also schedules by it. No cron library is mirrored here, so this is a small one.
struct CronSchedule: Sendable, Equatable, CustomStringConvertible {
    let minutes: Set<Int>
    let hours: Set<Int>
    let daysOfMonth: Set<Int>
    let months: Set<Int>
    /// 0 is Sunday (7 is read as 0 too).
    let daysOfWeek: Set<Int>
    let dayOfMonthIsRestricted: Bool
    let dayOfWeekIsRestricted: Bool
    let description: String

    struct Invalid: Error, CustomStringConvertible {
        let description: String
    }

    private struct Field {
        let name: String
        let range: ClosedRange<Int>
        var names: [String] = []
        /// The number of the first name (`jan` is 1, `sun` is 0).
        var firstNameValue = 0
    }

    private static let fields = [
        Field(name: "minute", range: 0...59),
        Field(name: "hour", range: 0...23),
        Field(name: "day of month", range: 1...31),
        Field(
            name: "month", range: 1...12, names: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
            firstNameValue: 1),
        Field(name: "day of week", range: 0...7, names: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]),
    ]

    private static let macros = [
        "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0", "@daily": "0 0 * * *",
        "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
    ]

    init(_ text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let expanded = Self.macros[trimmed.lowercased()] ?? trimmed
        let parts = expanded.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard parts.count == 5 else {
            throw Invalid(
                description: "\"\(text)\" is not a cron schedule: five fields (minute hour day-of-month month day-of-week) or a macro such as @daily")
        }
        var sets: [Set<Int>] = []
        for (part, field) in zip(parts, Self.fields) { sets.append(try Self.parse(part, field)) }
        minutes = sets[0]
        hours = sets[1]
        daysOfMonth = sets[2]
        months = sets[3]
        daysOfWeek = Set(sets[4].map { $0 % 7 })
        dayOfMonthIsRestricted = !(parts[2] == "*" || parts[2] == "?")
        dayOfWeekIsRestricted = !(parts[4] == "*" || parts[4] == "?")
        description = trimmed
    }

    private static func parse(_ text: String, _ field: Field) throws -> Set<Int> {
        func invalid(_ why: String) -> Invalid { Invalid(description: "the \(field.name) field \"\(text)\" \(why)") }
        func value(_ token: Substring) throws -> Int {
            if let number = Int(token) {
                guard field.range.contains(number) else {
                    throw invalid("has \(number), outside \(field.range.lowerBound)-\(field.range.upperBound)")
                }
                return number
            }
            if let index = field.names.firstIndex(of: token.lowercased()) { return index + field.firstNameValue }
            throw invalid("has \"\(token)\", which is neither a number nor a name")
        }
        var values = Set<Int>()
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let stepParts = item.split(separator: "/", omittingEmptySubsequences: false)
            guard stepParts.count <= 2, !stepParts[0].isEmpty else { throw invalid("has an empty or malformed item") }
            var step = 1
            if stepParts.count == 2 {
                guard let given = Int(stepParts[1]), given > 0 else { throw invalid("has a step that is not a positive number") }
                step = given
            }
            let range: ClosedRange<Int>
            if stepParts[0] == "*" || stepParts[0] == "?" {
                range = field.range
            } else if let dash = stepParts[0].firstIndex(of: "-") {
                let low = try value(stepParts[0][..<dash])
                let high = try value(stepParts[0][stepParts[0].index(after: dash)...])
                guard low <= high else { throw invalid("has a range that runs backwards") }
                range = low...high
            } else {
                let single = try value(stepParts[0])
                // `5/15` means from 5 to the end, every 15.
                range = stepParts.count == 2 ? single...field.range.upperBound : single...single
            }
            values.formUnion(stride(from: range.lowerBound, through: range.upperBound, by: step))
        }
        return values
    }

    /// The first time after `date` (whole minutes, strictly later) the schedule fires in
    /// `timeZone`; nil if none within five years (`0 0 30 2 *`: February never has a 30th).
    func next(after date: Date, in timeZone: TimeZone = TimeZone(identifier: "UTC")!) -> Date? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let start = Date(timeIntervalSince1970: (date.timeIntervalSince1970 / 60).rounded(.down) * 60 + 60)
        let sortedHours = hours.sorted()
        let sortedMinutes = minutes.sorted()
        var day = calendar.startOfDay(for: start)
        for _ in 0..<(366 * 5) {
            let parts = calendar.dateComponents([.year, .month, .day, .weekday], from: day)
            if let month = parts.month, let dayOfMonth = parts.day, let weekday = parts.weekday, months.contains(month),
                matches(dayOfMonth: dayOfMonth, dayOfWeek: weekday - 1)
            {
                for hour in sortedHours {
                    for minute in sortedMinutes {
                        var wanted = parts
                        wanted.weekday = nil
                        wanted.hour = hour
                        wanted.minute = minute
                        if let candidate = calendar.date(from: wanted), candidate >= start { return candidate }
                    }
                }
            }
            guard let following = calendar.date(byAdding: .day, value: 1, to: day) else { return nil }
            day = following
        }
        return nil
    }

    private func matches(dayOfMonth: Int, dayOfWeek: Int) -> Bool {
        switch (dayOfMonthIsRestricted, dayOfWeekIsRestricted) {
        case (true, true): daysOfMonth.contains(dayOfMonth) || daysOfWeek.contains(dayOfWeek)
        case (true, false): daysOfMonth.contains(dayOfMonth)
        case (false, true): daysOfWeek.contains(dayOfWeek)
        case (false, false): true
        }
    }
}
