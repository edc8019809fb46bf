import NIOConcurrencyHelpers

/// Whether a dependency answered lately: `/status/` reports the catalog database and the S3
/// server on every call, and a round trip to each per status call would cost more than the
/// rest of the answer. A result is reused for `maximumAge`.
final class ConnectionProbe: Sendable {
    let maximumAge: Duration
    private let check: @Sendable () async -> Bool
    private let last = NIOLockedValueBox<(at: ContinuousClock.Instant, connected: Bool)?>(nil)

    init(maximumAge: Duration = .seconds(1), check: @escaping @Sendable () async -> Bool) {
        self.maximumAge = maximumAge
        self.check = check
    }

    func connected() async -> Bool {
        let now = ContinuousClock.now
        if let last = last.withLockedValue({ $0 }), now - last.at < maximumAge { return last.connected }
        let connected = await check()
        last.withLockedValue { $0 = (now, connected) }
        return connected
    }
}
