import Essentials
import Foundation
import NIOConcurrencyHelpers

/// A monotonic clock in nanoseconds, injectable so cache expiry is testable without waiting.
public struct CacheClock: Sendable {
    public let now: @Sendable () -> UInt64

    public init(now: @escaping @Sendable () -> UInt64) {
        self.now = now
    }

    public static let system = CacheClock { DispatchTime.now().uptimeNanoseconds }
}

/// A clock that only moves when told to.
public final class ManualClock: Sendable {
    private let nanoseconds = NIOLockedValueBox<UInt64>(1_000_000_000)

    public init() {}

    public func advance(by duration: Duration) {
        nanoseconds.withLockedValue { $0 += UInt64(duration.nanoseconds) }
    }

    public var clock: CacheClock {
        CacheClock { [nanoseconds] in nanoseconds.withLockedValue { $0 } }
    }
}
