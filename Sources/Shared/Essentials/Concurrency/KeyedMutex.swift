/// Runs async work for one key at a time, in arrival order, while different keys proceed in
/// parallel: the deploy API's spawns of one user, the catalog's writes to one SQLite file.
/// (An actor alone does not do this: it lets other calls in at every `await`.)
public actor KeyedMutex<Key: Hashable & Sendable> {
    private var waiters: [Key: [CheckedContinuation<Void, Never>]] = [:]
    private var held: Set<Key> = []

    public init() {}

    public func withLock<Value: Sendable>(_ key: Key, _ body: @Sendable () async throws -> Value) async rethrows -> Value {
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
