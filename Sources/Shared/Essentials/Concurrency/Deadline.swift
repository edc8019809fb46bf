/// `operation` did not finish within the allowed time.
public struct DeadlineExceeded: Error, Sendable, Equatable {
    public let duration: Duration
}

/// Runs `operation`, cancelling it and throwing ``DeadlineExceeded`` if it takes longer than
/// `duration`. Cancellation is cooperative: the call returns once `operation` has stopped.
public func withDeadline<Value: Sendable>(
    _ duration: Duration, _ operation: @escaping @Sendable () async throws -> Value
) async throws -> Value {
    try await withThrowingTaskGroup(of: Value.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Sleep.for(duration)
            throw DeadlineExceeded(duration: duration)
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}
