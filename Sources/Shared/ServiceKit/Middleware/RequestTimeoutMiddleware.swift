import Essentials
import Hummingbird

/// Bounds how long a handler may take to produce its response head. A handler that overruns
/// is cancelled and the caller gets 503, instead of a connection that hangs forever.
///
/// Cancellation is cooperative: handlers waiting on HTTP calls, sleeps or task groups stop
/// at once; CPU-bound code stops at its next cancellation check.
///
/// The handler runs in a task of its own, so a timeout cancels that task only (cancelling the
/// connection's task would poison every later request on the connection); one
/// ``DeadlineSweeper`` per middleware enforces all deadlines, within its resolution.
public struct RequestTimeoutMiddleware<Context: ServiceRequestContext>: RouterMiddleware {
    let timeout: Duration
    let sweeper: DeadlineSweeper
    /// Routes that read a long body before answering (uploads) and bound themselves.
    let exempt: StreamingPaths

    public init(timeout: Duration, sweeper: DeadlineSweeper = DeadlineSweeper(), exempt: StreamingPaths = StreamingPaths()) {
        self.timeout = timeout
        self.sweeper = sweeper
        self.exempt = exempt
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if exempt.contains(request) { return try await next(request, context) }
        let timeout = self.timeout
        return try await withoutActuallyEscaping(next) { next in
            // The task is awaited before this closure returns, so `next` never outlives it.
            let handler = UncheckedSendable(next)
            let task = Task { try await handler.value(request, context) }
            let registration = sweeper.register(deadline: .now + timeout) { task.cancel() }
            let result = await withTaskCancellationHandler {
                await task.result
            } onCancel: {
                task.cancel()
            }
            if sweeper.remove(registration) {
                throw APIError(.serviceUnavailable, detail: "Request timed out after \(timeout.seconds) seconds.")
            }
            return try result.get()
        }
    }
}

private struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
