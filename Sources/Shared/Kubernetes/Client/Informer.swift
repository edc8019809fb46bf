import Essentials
import Foundation
import Logging
import NIOConcurrencyHelpers

/// client-go's informer, small: list once, then watch from the list's resourceVersion, and
/// keep an in-memory copy of every matching object, reduced by `project` to what its readers
/// need and indexed by `index` (say, by owner), so a read costs a dictionary lookup instead of
/// an API call. A watch that ends resumes from the last resourceVersion seen (bookmarks
/// included); a 410 Gone lists again and replaces the copy (deletions missed meanwhile go);
/// errors back off (0.1 s doubling to 5 s). Reads are synchronous and lock-protected.
///
/// `hasSynced` turns true after the first list (a service is not ready before). For
/// read-your-writes, ``waitUntilSeen(resourceVersion:timeout:)`` waits until the copy has
/// caught up with a write's resourceVersion (numeric, as every API server's are in practice);
/// when it cannot tell or the deadline passes, the caller reads live.
public final class Informer<Item: Sendable>: Sendable {
    public let resource: ResourceDescriptor
    public let namespace: String?
    public let labelSelector: String?
    let client: KubernetesClient
    let project: @Sendable (UnstructuredObject) -> Item?
    let index: @Sendable (Item) -> [String]
    let watchTimeoutSeconds: Int
    private let state = NIOLockedValueBox(State())

    private struct State {
        var items: [String: Item] = [:]
        var byIndex: [String: Set<String>] = [:]
        var indexKeys: [String: [String]] = [:]
        /// The last resourceVersion seen, as a number (0: none yet, or not a number).
        var revision: UInt64 = 0
        var synced = false
        var lists = 0
        /// Bumped by every list and every add, change or removal applied.
        var changes: UInt64 = 0
        var waiters: [Int: Waiter] = [:]
        var nextWaiter = 0
    }

    private struct Waiter {
        let revision: UInt64
        let continuation: CheckedContinuation<Bool, Never>
    }

    /// - Parameters:
    ///   - project: what to keep of an object (nil: leave it out).
    ///   - index: the index keys an item is found under.
    public init(
        client: KubernetesClient, resource: ResourceDescriptor, namespace: String? = nil, labelSelector: String? = nil,
        watchTimeoutSeconds: Int = 290, project: @escaping @Sendable (UnstructuredObject) -> Item?,
        index: @escaping @Sendable (Item) -> [String] = { _ in [] }
    ) {
        self.client = client
        self.resource = resource
        self.namespace = namespace
        self.labelSelector = labelSelector
        self.watchTimeoutSeconds = watchTimeoutSeconds
        self.project = project
        self.index = index
    }

    // MARK: Reading

    public var hasSynced: Bool { state.withLockedValue(\.synced) }

    /// How many objects are kept.
    public var count: Int { state.withLockedValue(\.items.count) }

    /// Changes whenever the copy may have (a list, an event applied): readers that derived
    /// something from it know to derive it again.
    public var changes: UInt64 { state.withLockedValue(\.changes) }

    /// How many times the informer has listed (1 after its start; more after 410s).
    public var lists: Int { state.withLockedValue(\.lists) }

    public func item(namespace: String? = nil, name: String) -> Item? {
        let key = Self.key(namespace: namespace ?? self.namespace, name: name)
        return state.withLockedValue { $0.items[key] }
    }

    public func items(indexedBy key: String) -> [Item] {
        state.withLockedValue { state in (state.byIndex[key] ?? []).compactMap { state.items[$0] } }
    }

    public var items: [Item] { state.withLockedValue { Array($0.items.values) } }

    /// Waits until the first list has been applied; false at the deadline.
    public func waitUntilSynced(timeout: Duration) async -> Bool {
        await wait(for: 0, timeout: timeout)
    }

    /// Waits until the copy has seen `resourceVersion` (a write's answer); false at the
    /// deadline, or at once when the version is not a number (then read live).
    public func waitUntilSeen(resourceVersion: String, timeout: Duration) async -> Bool {
        guard let target = UInt64(resourceVersion) else { return false }
        return await wait(for: target, timeout: timeout)
    }

    // MARK: Running

    /// Keeps the copy current until the task is cancelled.
    public func run() async {
        var resourceVersion: String?
        var backoff = Duration.milliseconds(100)
        while !Task.isCancelled {
            do {
                if resourceVersion == nil {
                    let list = try await client.listAll(resource, namespace: namespace, labelSelector: labelSelector)
                    replace(list.items, resourceVersion: list.resourceVersion)
                    resourceVersion = list.resourceVersion
                }
                let stream = client.watch(
                    resource, namespace: namespace, labelSelector: labelSelector, resourceVersion: resourceVersion,
                    timeoutSeconds: watchTimeoutSeconds)
                for try await event in stream {
                    backoff = .milliseconds(100)
                    if let version = event.object.resourceVersion { resourceVersion = version }
                    apply(event)
                }
                // A clean end (the server's timeout, a restart): resume where we were.
            } catch let error as KubernetesError where error.isGone {
                client.logger.debug("informer: resourceVersion too old, listing again", metadata: ["resource": "\(resource.plural)"])
                resourceVersion = nil
            } catch {
                if Task.isCancelled { break }
                client.logger.debug("informer: watch interrupted, retrying", metadata: ["resource": "\(resource.plural)", "error": "\(error)"])
                try? await Sleep.for(backoff)
                backoff = min(backoff * 2, .seconds(5))
            }
        }
        let waiters = state.withLockedValue { state in
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.continuation.resume(returning: false) }
    }

    private func replace(_ objects: [UnstructuredObject], resourceVersion: String) {
        let ready = state.withLockedValue { state -> [Waiter] in
            state.items = [:]
            state.byIndex = [:]
            state.indexKeys = [:]
            for object in objects { Self.store(object, in: &state, project: project, index: index) }
            state.synced = true
            state.lists += 1
            state.changes &+= 1
            if let revision = UInt64(resourceVersion) { state.revision = revision }
            return Self.satisfied(&state)
        }
        for waiter in ready { waiter.continuation.resume(returning: true) }
    }

    private func apply(_ event: KubernetesWatchEvent) {
        let ready = state.withLockedValue { state -> [Waiter] in
            switch event.kind {
            case .added, .modified:
                Self.store(event.object, in: &state, project: project, index: index)
                state.changes &+= 1
            case .deleted:
                Self.remove(Self.key(event.object), from: &state)
                state.changes &+= 1
            case .bookmark: break
            }
            if let revision = event.object.resourceVersion.flatMap(UInt64.init) { state.revision = max(state.revision, revision) }
            return Self.satisfied(&state)
        }
        for waiter in ready { waiter.continuation.resume(returning: true) }
    }

    private static func store(
        _ object: UnstructuredObject, in state: inout State, project: (UnstructuredObject) -> Item?, index: (Item) -> [String]
    ) {
        let key = key(object)
        remove(key, from: &state)
        guard let item = project(object) else { return }
        state.items[key] = item
        let keys = index(item)
        state.indexKeys[key] = keys
        for indexKey in keys { state.byIndex[indexKey, default: []].insert(key) }
    }

    private static func remove(_ key: String, from state: inout State) {
        state.items[key] = nil
        for indexKey in state.indexKeys.removeValue(forKey: key) ?? [] {
            state.byIndex[indexKey]?.remove(key)
            if state.byIndex[indexKey]?.isEmpty == true { state.byIndex[indexKey] = nil }
        }
    }

    /// The waiters the state now satisfies, taken out (resumed outside the lock).
    private static func satisfied(_ state: inout State) -> [Waiter] {
        guard state.synced else { return [] }
        let revision = state.revision
        let ready = state.waiters.filter { $0.value.revision <= revision }
        for id in ready.keys { state.waiters[id] = nil }
        return Array(ready.values)
    }

    private func wait(for revision: UInt64, timeout: Duration) async -> Bool {
        if state.withLockedValue({ $0.synced && $0.revision >= revision }) { return true }
        let id = state.withLockedValue { state -> Int in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await withTaskCancellationHandler {
                    await withCheckedContinuation { continuation in
                        // Under the lock with the cancellation handler's check: a wait
                        // cancelled before it is registered is answered here, never lost.
                        let answer = self.state.withLockedValue { state -> Bool? in
                            if state.synced && state.revision >= revision { return true }
                            if Task.isCancelled { return false }
                            state.waiters[id] = Waiter(revision: revision, continuation: continuation)
                            return nil
                        }
                        if let answer { continuation.resume(returning: answer) }
                    }
                } onCancel: {
                    self.state.withLockedValue { $0.waiters.removeValue(forKey: id) }?.continuation.resume(returning: false)
                }
            }
            group.addTask {
                try? await Sleep.for(timeout)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    static func key(namespace: String?, name: String) -> String { "\(namespace ?? "")/\(name)" }

    static func key(_ object: UnstructuredObject) -> String { key(namespace: object.namespace, name: object.name ?? "") }
}
