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

    struct Result: Sendable {
        let name: String
        let up: Bool
        let latencyMilliseconds: Double
        let error: String?

        var json: JSONValue {
            var fields: [String: JSONValue] = [
                "status": .string(up ? "up" : "down"), "latency_ms": .number((latencyMilliseconds * 10).rounded() / 10),
            ]
            if let error { fields["error"] = .string(error) }
            return .object(fields)
        }
    }

    func run() async -> Result {
        let started = DispatchTime.now().uptimeNanoseconds
        let outcome: String? = await withTaskGroup(of: String?.self) { group in
            group.addTask {
                do {
                    try await probe()
                    return nil
                } catch {
                    return String(describing: error)
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return "no answer within \(timeout.secondsDouble) s"
            }
            let first = await group.next()!
            group.cancelAll()
            return first
        }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6
        return Result(name: name, up: outcome == nil, latencyMilliseconds: elapsed, error: outcome)
    }
}

/// Whether the process is draining: `/readyz` then answers 503 so load balancers stop
/// sending new work while in-flight requests finish. Set by the launcher's shutdown hook
/// or by tests; the server's own graceful shutdown is also seen directly by `/readyz`.
public final class LifecycleState: Sendable {
    private let draining = NIOLockedValueBox(false)

    public init() {}

    public var isDraining: Bool { draining.withLockedValue { $0 } }

    public func beginDraining() {
        draining.withLockedValue { $0 = true }
    }
}
