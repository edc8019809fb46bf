/// `Duration` in the units our APIs, timers and settings use. One definition each, so
/// "seconds" means the same everywhere: the exact value as a `Double`.
extension Duration {
    /// Whole nanoseconds, saturating at `Int64.max`.
    public var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : scaled + attoseconds / 1_000_000_000
    }

    /// Seconds, exact to the nanosecond, e.g. for `Date.addingTimeInterval` and messages.
    public var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    /// Whole milliseconds, rounded up (a poll timeout of 0.2 ms must not become 0, which
    /// means "do not wait").
    public var millisecondsRoundedUp: Int {
        let (seconds, attoseconds) = components
        return Int(seconds) * 1000 + Int((attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
    }
}
