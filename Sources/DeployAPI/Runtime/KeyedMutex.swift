/// Runs work for one key at a time (per user, here), in arrival order, while different
/// keys proceed in parallel. Within one process this keeps concurrent spawns of one user
/// from racing; across replicas Kubernetes' own conflict answers do that.
actor KeyedMutex<Key: Hashable & Sendable> {
    private var waiters: [Key: [CheckedContinuation<Void, Never>]] = [:]
    private var held: Set<Key> = []

    func withLock<Value: Sendable>(_ key: Key, _ body: @Sendable () async throws -> Value) async rethrows -> Value {
        await acquire(key)
        defer { release(key) }
        return try await body()
    }

    private func acquire(_ key: Key) async {
        guard held.contains(key) else {
            held.insert(key)
            return
        }
        await withCheckedContinuation { waiters[key, default: []].append($0) }
    }

    private func release(_ key: Key) {
        if var queue = waiters[key], !queue.isEmpty {
            // Ownership passes straight to the next waiter; the key stays held.
            let next = queue.removeFirst()
            waiters[key] = queue.isEmpty ? nil : queue
            next.resume()
        } else {
            held.remove(key)
        }
    }
}
