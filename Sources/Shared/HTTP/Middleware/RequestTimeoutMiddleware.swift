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
            // withDeadline does not outlive this call, and this task only waits while its
            // child runs `next`, so handing the closure to the child is safe.
            let handler = UncheckedSendable(next)
            do {
                return try await withDeadline(timeout) { try await handler.value(request, context) }
            } catch is DeadlineExceeded {
                throw APIError(.serviceUnavailable, detail: "Request timed out after \(timeout.secondsDouble) seconds.")
            }
        }
    }
}

private struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
