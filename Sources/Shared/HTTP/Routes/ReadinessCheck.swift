import Dispatch
import NIOConcurrencyHelpers

/// A dependency `/readyz` probes, e.g. the IdP or the Kubernetes API.
public struct ReadinessCheck: Sendable {
    public let name: String
    public let timeout: Duration
    public let probe: @Sendable () async throws -> Void

    public init(name: String, timeout: Duration = .seconds(2), probe: @escaping @Sendable () async throws -> Void) {
        self.name = name
        self.timeout = timeout
        self.probe = probe
    }

    public struct Result: Sendable {
        public let name: String
        public let up: Bool
        public let latencyMilliseconds: Double
        public let error: String?

        public var json: JSONValue {
            var fields: [String: JSONValue] = [
                "status": .string(up ? "up" : "down"), "latency_ms": .number((latencyMilliseconds * 10).rounded() / 10),
            ]
            if let error { fields["error"] = .string(error) }
            return .object(fields)
        }
    }

    func run() async -> Result {
        let started = DispatchTime.now().uptimeNanoseconds
        let outcome: String?
        do {
            try await withDeadline(timeout, probe)
            outcome = nil
        } catch is DeadlineExceeded {
            outcome = "no answer within \(timeout.secondsDouble) s"
        } catch {
            outcome = String(describing: error)
        }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6
        return Result(name: name, up: outcome == nil, latencyMilliseconds: elapsed, error: outcome)
    }
}

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
