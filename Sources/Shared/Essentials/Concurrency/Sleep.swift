import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Sleeping on a SwiftNIO event-loop timer rather than a Dispatch timer.
///
/// `Task.sleep(for:)` arms a Dispatch timer on the continuous clock (`CLOCK_BOOTTIME` on
/// Linux). Twice, under the full parallel test suite, every such timer in the process stopped
/// firing: Dispatch's boot-time timerfd had expired (`ticks: 1`) but its one-shot epoll
/// registration was never re-armed, so every `Task.sleep`, deadline and timeout waited forever
/// while the monotonic-clock timers kept working (seen in /proc/<pid>/fdinfo). NIO's event loops
/// run their own timers on their own epoll, which every HTTP request here already depends on.
public enum Sleep {
    /// Suspends for `duration`; throws `CancellationError` if the task is cancelled first.
    public static func `for`(_ duration: Duration) async throws {
        try Task.checkCancellation()
        let (seconds, attoseconds) = duration.components
        let nanoseconds = max(0, seconds) * 1_000_000_000 + attoseconds / 1_000_000_000
        let loop = MultiThreadedEventLoopGroup.singleton.any()
        let state = NIOLockedValueBox(State())
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let scheduled = loop.scheduleTask(in: .nanoseconds(nanoseconds)) {}
                scheduled.futureResult.whenComplete { result in
                    switch result {
                    case .success: continuation.resume()
                    case .failure: continuation.resume(throwing: CancellationError())
                    }
                }
                let cancelNow = state.withLockedValue { state -> Bool in
                    state.scheduled = scheduled
                    return state.cancelled
                }
                if cancelNow { scheduled.cancel() }
            }
        } onCancel: {
            let scheduled = state.withLockedValue { state -> Scheduled<Void>? in
                state.cancelled = true
                return state.scheduled
            }
            scheduled?.cancel()
        }
    }

    private struct State: @unchecked Sendable {
        var scheduled: Scheduled<Void>?
        var cancelled = false
    }
}
