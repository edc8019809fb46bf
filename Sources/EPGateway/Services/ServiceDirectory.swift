import Foundation
import NIOConcurrencyHelpers

/// Finds registered services by name for the proxy, remembering each answer (found or not)
/// for `maximumAge`: a catalog read per proxied request (a database round trip and a JSON
/// document decoded) cost more than the rest of the EP's part of the hop. A registration or
/// update is seen by the proxy within `maximumAge`.
final class ServiceDirectory: Sendable {
    let store: any CatalogStore
    let maximumAge: Duration
    /// Names remembered at most; past it the memory starts afresh (unknown names cannot grow it).
    let capacity: Int
    private let entries = NIOLockedValueBox<[String: (at: ContinuousClock.Instant, service: RegisteredService?)]>([:])

    init(store: any CatalogStore, maximumAge: Duration = .seconds(1), capacity: Int = 1024) {
        self.store = store
        self.maximumAge = maximumAge
        self.capacity = capacity
    }

    func service(named name: String) async throws -> RegisteredService? {
        let now = ContinuousClock.now
        if let entry = entries.withLockedValue({ $0[name] }), now - entry.at < maximumAge { return entry.service }
        let found = try await store.dataset(name).flatMap(RegisteredService.init).flatMap { $0.name == name ? $0 : nil }
        entries.withLockedValue { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[name] = (now, found)
        }
        return found
    }
}
