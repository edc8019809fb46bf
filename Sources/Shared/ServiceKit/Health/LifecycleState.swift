import NIOConcurrencyHelpers

/// Whether the process is draining: `/readyz` then answers 503 so load balancers stop
/// sending new work while in-flight requests finish. A service may set it before it stops
/// (nothing in the launcher does: `/readyz` sees the server's graceful shutdown directly).
public final class LifecycleState: Sendable {
    private let draining = NIOLockedValueBox(false)

    public init() {}

    public var isDraining: Bool { draining.withLockedValue { $0 } }

    public func beginDraining() {
        draining.withLockedValue { $0 = true }
    }
}
