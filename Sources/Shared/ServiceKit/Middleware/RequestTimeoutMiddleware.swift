import Essentials
import Hummingbird
import NIOConcurrencyHelpers
import NIOCore

/// Bounds how long a handler may take to produce its response head. A handler that overruns
/// is cancelled and the caller gets 503, instead of a connection that hangs forever. Streaming
/// routes are bounded by the gaps in their request body instead (408).
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
        if exempt.contains(request) { return try await streaming(request, context: context, next: next) }
        let timeout = self.timeout
        var registration: UInt64 = 0
        let result = await Self.inOwnTask(request, context, next) { task in
            registration = sweeper.register(deadline: .now + timeout) { task.cancel() }
        }
        if sweeper.remove(registration) {
            throw APIError(.serviceUnavailable, detail: "Request timed out after \(timeout.seconds) seconds.")
        }
        return try result.get()
    }

    /// A streaming route has no overall deadline (an upload takes as long as its bytes), but
    /// its body must keep coming: a wait of more than `timeout` for the next chunk cancels the
    /// handler and answers 408, so a client that stops sending cannot hold a task forever.
    private func streaming(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let timeout = self.timeout
        let stalled = NIOLockedValueBox(false)
        let running = NIOLockedValueBox<Task<Response, any Error>?>(nil)
        var guarded = request
        guarded.body = RequestBody(
            asyncSequence: StallGuardedBody(base: request.body, timeout: timeout, sweeper: sweeper) {
                stalled.withLockedValue { $0 = true }
                running.withLockedValue { $0 }?.cancel()
            })
        let result = await Self.inOwnTask(guarded, context, next) { task in running.withLockedValue { $0 = task } }
        if stalled.withLockedValue({ $0 }) {
            throw APIError(.requestTimeout, detail: "The request body stopped arriving for \(timeout.seconds) seconds.")
        }
        return try result.get()
    }

    /// Runs the handler in a task of its own, handed to `started` so a deadline can cancel it
    /// (cancelling the connection's task would poison every later request on the connection).
    private static func inOwnTask(
        _ request: Request, _ context: Context, _ next: (Request, Context) async throws -> Response,
        started: (Task<Response, any Error>) -> Void
    ) async -> Result<Response, any Error> {
        await withoutActuallyEscaping(next) { next in
            // The task is awaited before this closure returns, so `next` never outlives it.
            let handler = UncheckedSendable(next)
            let task = Task { try await handler.value(request, context) }
            started(task)
            return await withTaskCancellationHandler {
                await task.result
            } onCancel: {
                task.cancel()
            }
        }
    }
}

/// A request body whose every chunk must arrive within `timeout` of being asked for;
/// `onStall` runs when one does not.
struct StallGuardedBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let base: RequestBody
    let timeout: Duration
    let sweeper: DeadlineSweeper
    let onStall: @Sendable () -> Void

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: RequestBody.AsyncIterator
        let timeout: Duration
        let sweeper: DeadlineSweeper
        let onStall: @Sendable () -> Void

        mutating func next() async throws -> ByteBuffer? {
            let registration = sweeper.register(deadline: .now + timeout, cancel: onStall)
            defer { sweeper.remove(registration) }
            return try await base.next()
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base.makeAsyncIterator(), timeout: timeout, sweeper: sweeper, onStall: onStall)
    }
}

private struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
