import Hummingbird

/// Bounds how long a handler may take to produce its response head. A handler that overruns
/// is cancelled and the caller gets 503, instead of a connection that hangs forever.
///
/// Cancellation is cooperative: handlers waiting on HTTP calls, sleeps or task groups stop
/// at once; CPU-bound code stops at its next cancellation check.
public struct RequestTimeoutMiddleware: RouterMiddleware {
    public typealias Context = ServiceRequestContext
    let timeout: Duration

    public init(timeout: Duration) {
        self.timeout = timeout
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let timeout = self.timeout
        return try await withoutActuallyEscaping(next) { next in
            // The task group does not outlive this call, and this task only waits while the
            // child runs `next`, so handing the closure to the child is safe.
            let handler = UncheckedSendable(next)
            return try await withThrowingTaskGroup(of: Response?.self) { group in
                group.addTask { try await handler.value(request, context) }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let response = first else {
                    throw APIError(.serviceUnavailable, detail: "Request timed out after \(timeout.secondsDouble) seconds.")
                }
                return response
            }
        }
    }
}

private struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
