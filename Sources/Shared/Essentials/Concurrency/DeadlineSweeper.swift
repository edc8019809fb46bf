import NIOConcurrencyHelpers

/// Cancels registered tasks whose deadline has passed, checking every `resolution`.
///
/// For per-request timeouts this replaces a timer per request (a task group racing a
/// `Task.sleep`, which armed and disarmed a dispatch timer and woke its thread on every
/// request) with one sweep of a table a few times a second. A sweeping task runs only while
/// something is registered.
public final class DeadlineSweeper: Sendable {
    private struct Entry {
        let deadline: ContinuousClock.Instant
        let cancel: @Sendable () -> Void
    }

    private struct State {
        var entries: [UInt64: Entry] = [:]
        var nextID: UInt64 = 0
        var sweeping = false
        var expired: Set<UInt64> = []
    }

    public let resolution: Duration
    private let state = NIOLockedValueBox(State())

    public init(resolution: Duration = .milliseconds(100)) {
        self.resolution = resolution
    }

    /// Registers `cancel` to run once `deadline` has passed; returns the registration's id.
    public func register(deadline: ContinuousClock.Instant, cancel: @escaping @Sendable () -> Void) -> UInt64 {
        let (id, startSweeping) = state.withLockedValue { state -> (UInt64, Bool) in
            state.nextID += 1
            state.entries[state.nextID] = Entry(deadline: deadline, cancel: cancel)
            let start = !state.sweeping
            state.sweeping = true
            return (state.nextID, start)
        }
        if startSweeping { Task { await self.sweep() } }
        return id
    }

    /// Removes a registration; true if its deadline had passed and it was cancelled.
    @discardableResult
    public func remove(_ id: UInt64) -> Bool {
        state.withLockedValue { state in
            state.entries[id] = nil
            return state.expired.remove(id) != nil
        }
    }

    private func sweep() async {
        while true {
            try? await Sleep.for(resolution)
            let now = ContinuousClock.now
            let due = state.withLockedValue { state -> [Entry]? in
                if state.entries.isEmpty {
                    state.sweeping = false
                    return nil
                }
                var due: [Entry] = []
                for (id, entry) in state.entries where entry.deadline <= now {
                    due.append(entry)
                    state.entries[id] = nil
                    state.expired.insert(id)
                }
                return due
            }
            guard let due else { return }
            for entry in due { entry.cancel() }
        }
    }
}
