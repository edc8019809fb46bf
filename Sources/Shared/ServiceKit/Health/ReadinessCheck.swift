import Dispatch
import Essentials
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

    /// Runs every check concurrently, each within its own deadline.
    public static func runAll(_ checks: [ReadinessCheck]) async -> [Result] {
        await withTaskGroup(of: Result.self) { group in
            for check in checks { group.addTask { await check.run() } }
            var results: [Result] = []
            for await result in group { results.append(result) }
            return results
        }
    }

    func run() async -> Result {
        let started = DispatchTime.now().uptimeNanoseconds
        let outcome: String?
        do {
            try await withDeadline(timeout, probe)
            outcome = nil
        } catch is DeadlineExceeded {
            outcome = "no answer within \(timeout.seconds) s"
        } catch {
            outcome = String(describing: error)
        }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6
        return Result(name: name, up: outcome == nil, latencyMilliseconds: elapsed, error: outcome)
    }
}
