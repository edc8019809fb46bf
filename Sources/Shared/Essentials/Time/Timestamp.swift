import Foundation

/// Timestamps in the text form upstream's Python services write.
public enum Timestamp {
    /// A value type, so one shared instance is safe across threads (no formatter per call).
    private static let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: TimeZone(identifier: "UTC")!)

    private static let kubernetesStyle = Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC")!)

    /// `2026-11-21T10:00:00Z`: whole seconds in UTC, as the Kubernetes API writes its times
    /// (`creationTimestamp`, `startTime`, conditions).
    public static func kubernetes(_ date: Date) -> String {
        kubernetesStyle.format(date)
    }

    /// `2026-11-21T10:00:00.123+00:00`: UTC with an explicit offset, like upstream's `isoformat()`.
    public static func isoUTC(_ date: Date) -> String {
        let text = style.format(date)
        return text.hasSuffix("Z") ? String(text.dropLast()) + "+00:00" : text
    }

    /// The date an ``isoUTC(_:)`` (or any ISO 8601 time with fractional seconds) names.
    public static func parseISO(_ text: String) -> Date? {
        try? style.parse(text)
    }
}
