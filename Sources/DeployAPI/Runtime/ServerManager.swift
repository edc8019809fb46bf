import BrokerWire
import Essentials
import Foundation
import Logging
import RexecWire

/// The deploy API's rules over a runtime (docs/specs/rexec.md §5.9): no server → create; same
/// requirements → no-op; different requirements → conflict unless forced; forced →
/// replace. One user's requests are handled one at a time in this process.
struct ServerManager: Sendable {
    enum SpawnOutcome: Sendable, Equatable {
        case created, unchanged, replaced
    }

    /// A different server exists and the caller did not ask to replace it.
    struct Conflict: Error, Sendable {
        let existing: ServerRecord
    }

    /// A server's state for `GET /status`.
    struct Status: Sendable {
        let record: ServerRecord
        let broker: BrokerServerState?
    }

    let runtime: any ServerRuntime
    let broker: BrokerStatusClient?
    let metrics: DeployMetrics
    let logger: Logger
    private let mutex = KeyedMutex<UserKey>()

    init(runtime: any ServerRuntime, broker: BrokerStatusClient?, metrics: DeployMetrics, logger: Logger) {
        self.runtime = runtime
        self.broker = broker
        self.metrics = metrics
        self.logger = logger
    }

    func spawn(_ spec: ServerSpec, force: Bool) async throws -> SpawnOutcome {
        let started = ContinuousClock.now
        try await runtime.validate(spec.requirements)
        let outcome = try await mutex.withLock(spec.user) {
            if let existing = try await runtime.server(for: spec.user), existing.phase != .terminating {
                return try await settle(spec, existing: existing, force: force)
            }
            switch try await runtime.create(spec) {
            case .created:
                return SpawnOutcome.created
            case .alreadyExists(let existing):
                return try await settle(spec, existing: existing, force: force)
            }
        }
        metrics.recordSpawn(outcome, duration: ContinuousClock.now - started)
        logger.info(
            "spawn", metadata: ["user": "\(spec.user)", "outcome": "\(outcome)", "digest": "\(spec.requirements.digest.prefix(12))"]
        )
        return outcome
    }

    private func settle(_ spec: ServerSpec, existing: ServerRecord, force: Bool) async throws -> SpawnOutcome {
        if !force, existing.digest == spec.requirements.digest {
            guard !existing.credentialed else { return .unchanged }
            // The broker refuses a server without a credential: give it one.
            logger.notice("replacing a rexec server that has no credential", metadata: ["user": "\(spec.user)"])
            try await runtime.replace(spec)
            return .replaced
        }
        guard force else {
            metrics.conflicts.increment()
            throw Conflict(existing: existing)
        }
        try await runtime.replace(spec)
        return .replaced
    }

    func terminate(_ user: UserKey) async throws -> Bool {
        let removed = try await mutex.withLock(user) { try await runtime.terminate(user) }
        if removed {
            metrics.terminations.increment()
            logger.info("terminate", metadata: ["user": "\(user)"])
        }
        return removed
    }

    func status(_ user: UserKey) async throws -> Status? {
        guard let record = try await runtime.server(for: user) else { return nil }
        return Status(record: record, broker: try? await broker?.server(user.sub))
    }

    /// Waits until the user's server runs the requirements with `digest` and, when the
    /// broker can tell, is connected to it. Throws ``DeadlineExceeded`` after `timeout`.
    func waitUntilReady(_ user: UserKey, digest: String, timeout: Duration) async throws -> ServerRecord {
        try await withDeadline(timeout) {
            var delay: Duration = .milliseconds(50)
            while true {
                if let record = try await runtime.server(for: user), record.digest == digest {
                    if record.phase == .failed {
                        throw RuntimeError(kind: .unavailable, message: "the rexec server failed to start: \(record.message ?? "no reason given")")
                    }
                    if record.ready, try await connected(user) { return record }
                }
                // Readiness has no event to wait on across runtimes and the broker, so poll
                // with a growing interval (50 ms to 1 s) inside the deadline.
                try await Sleep.for(delay)
                delay = min(delay * 2, .seconds(1))
            }
        }
    }

    private func connected(_ user: UserKey) async throws -> Bool {
        guard let broker else { return true }
        return (try? await broker.server(user.sub))?.connected ?? false
    }
}
