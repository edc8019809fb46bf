import Essentials
import Foundation

/// kube-sim's state: every object by kind, namespace and name, a global monotonic
/// resourceVersion, and the recent history that watches replay from.
///
/// Semantics follow the API server: uid, generateName, creationTimestamp, optimistic
/// concurrency on replace, finalizers with deletionTimestamp, namespace deletion removing
/// its contents, ownerReference garbage collection, 410 for watches older than the history.
public actor ObjectStore {
    struct Key: Hashable, Comparable {
        let namespace: String
        let name: String
        static func < (lhs: Key, rhs: Key) -> Bool { (lhs.namespace, lhs.name) < (rhs.namespace, rhs.name) }
    }

    public struct ListResult: Sendable {
        public let items: [JSONValue]
        public let resourceVersion: Int
        public let continueToken: String?
        public let remaining: Int?
    }

    /// Called after every admitted write so the simulator can react (scheduling, binding…).
    public typealias Observer = @Sendable (WatchEvent, ResourceType) async -> Void

    private var objects: [String: [Key: JSONValue]] = [:]
    private(set) public var revision = 1000
    private var history: [WatchEvent] = []
    private let historyLimit: Int
    private var watchers: [UUID: (WatchFilter, AsyncStream<WatchEvent>.Continuation)] = [:]
    private let registry: ResourceRegistry
    private let now: @Sendable () -> Date
    private var observers: [Observer] = []
    private var network = NetworkAllocator()
    /// Owners being deleted in the foreground, by uid: they go once their dependents have.
    private var foregroundOwners: [String: (type: ResourceType, key: Key)] = [:]

    public init(registry: ResourceRegistry = .standard, historyLimit: Int = 10_000, now: @escaping @Sendable () -> Date = Date.init) {
        self.registry = registry
        self.historyLimit = historyLimit
        self.now = now
    }

    public func addObserver(_ observer: @escaping Observer) {
        observers.append(observer)
    }

    // MARK: Reads

    public func get(_ type: ResourceType, namespace: String?, name: String) throws -> JSONValue {
        guard let object = objects[type.resourceKey]?[Key(namespace: namespace ?? "", name: name)] else {
            throw KubeStatus.notFound(type, name: name)
        }
        return object
    }

    public func list(
        _ type: ResourceType, namespace: String?, labels: LabelSelector = .everything, fields: FieldSelector = .everything,
        limit: Int? = nil, continueToken: String? = nil
    ) throws -> ListResult {
        let start = try continueToken.map(Self.offset(fromContinue:)) ?? 0
        // Filter first, then sort only what matched: a selector picking 10 of 10,000 pods
        // should not pay for ordering all of them.
        let all = (objects[type.resourceKey] ?? [:])
            .filter { (namespace == nil || $0.key.namespace == namespace) && labels.matches(ObjectMeta.labels($0.value)) && fields.matches($0.value) }
            .sorted { $0.key < $1.key }
            .map(\.value)
        let page = Array(all.dropFirst(start).prefix(limit ?? Int.max))
        let end = start + page.count
        let more = end < all.count
        return ListResult(
            items: page, resourceVersion: revision,
            continueToken: more ? Self.continueToken(offset: end, revision: revision) : nil,
            remaining: more ? all.count - end : nil
        )
    }

    // MARK: Writes

    public func create(_ type: ResourceType, namespace: String?, object: JSONValue) async throws -> JSONValue {
        var object = object
        let namespace = type.namespaced ? (namespace ?? "default") : nil
        if let namespace {
            if let declared = ObjectMeta.namespace(object), declared != namespace {
                throw KubeStatus.badRequest("the namespace of the provided object does not match the namespace sent on the request")
            }
            guard objects["namespaces"]?[Key(namespace: "", name: namespace)] != nil else {
                throw KubeStatus(
                    code: 404, reason: "NotFound", message: "namespaces \"\(namespace)\" not found",
                    details: ["name": .string(namespace), "kind": "namespaces"])
            }
        }
        var name = ObjectMeta.name(object) ?? ""
        if name.isEmpty, let prefix = object["metadata"]?["generateName"]?.stringValue, !prefix.isEmpty {
            name = prefix + Self.randomSuffix()
        }
        guard !name.isEmpty else {
            throw KubeStatus.invalid(type, name: "", field: "metadata.name", message: "Required value: name or generateName is required")
        }
        if let problem = ObjectMeta.validateName(name, label: ["namespaces", "services"].contains(type.plural)) {
            throw KubeStatus.invalid(type, name: name, field: "metadata.name", message: "Invalid value: \"\(name)\": \(problem)")
        }
        let key = Key(namespace: namespace ?? "", name: name)
        guard objects[type.resourceKey]?[key] == nil else { throw KubeStatus.alreadyExists(type, name: name) }

        object = ObjectMeta.setting("name", .string(name), in: object)
        object = ObjectMeta.setting("namespace", namespace.map(JSONValue.string), in: object)
        object = ObjectMeta.setting("uid", .string(UUID().uuidString.lowercased()), in: object)
        object = ObjectMeta.setting("creationTimestamp", ObjectMeta.timestamp(now()), in: object)
        object = ObjectMeta.setting("deletionTimestamp", nil, in: object)
        object = ObjectMeta.setting("generation", 1, in: object)
        object = Self.withTypeMeta(object, type)
        object = Defaults.onCreate(object, type: type)
        object = Defaults.onWrite(object, type: type)
        if type.plural == "services" { object = try allocateNetwork(object, type: type, name: name) }
        return await store(object, type: type, key: key, event: .added)
    }

    /// PUT: the body's resourceVersion, when given, must match (optimistic concurrency).
    public func replace(
        _ type: ResourceType, namespace: String?, name: String, object: JSONValue, subresource: String? = nil
    ) async throws -> JSONValue {
        let key = Key(namespace: type.namespaced ? (namespace ?? "default") : "", name: name)
        guard let current = objects[type.resourceKey]?[key] else { throw KubeStatus.notFound(type, name: name) }
        if let bodyName = ObjectMeta.name(object), bodyName != name {
            throw KubeStatus.badRequest("the name of the object (\(bodyName)) does not match the name on the URL (\(name))")
        }
        if let expected = ObjectMeta.resourceVersion(object), !expected.isEmpty, expected != ObjectMeta.resourceVersion(current) {
            throw KubeStatus.conflict(type, name: name)
        }
        return try await update(type, key: key, current: current, proposed: object, subresource: subresource)
    }

    public enum PatchKind: Sendable { case merge, strategic, json }

    public func patch(
        _ type: ResourceType, namespace: String?, name: String, patch: JSONValue, kind: PatchKind, subresource: String? = nil
    ) async throws -> JSONValue {
        let key = Key(namespace: type.namespaced ? (namespace ?? "default") : "", name: name)
        guard let current = objects[type.resourceKey]?[key] else { throw KubeStatus.notFound(type, name: name) }
        let proposed: JSONValue
        switch kind {
        case .merge: proposed = MergePatch.apply(patch, to: current)
        case .strategic: proposed = MergePatch.applyStrategic(patch, to: current)
        case .json: proposed = try JSONPatch.apply(patch, to: current)
        }
        if let expected = ObjectMeta.resourceVersion(proposed), expected != ObjectMeta.resourceVersion(current) {
            throw KubeStatus.conflict(type, name: name)
        }
        return try await update(type, key: key, current: current, proposed: proposed, subresource: subresource)
    }

    /// Server-side apply, simplified: the applied configuration creates the object when it
    /// does not exist and is merged into it (strategic merge) when it does. Field managers and
    /// their conflicts are not tracked. True when it created the object.
    public func apply(
        _ type: ResourceType, namespace: String?, name: String, configuration: JSONValue, subresource: String? = nil
    ) async throws -> (object: JSONValue, created: Bool) {
        if let bodyName = ObjectMeta.name(configuration), bodyName != name {
            throw KubeStatus.badRequest("the name of the object (\(bodyName)) does not match the name on the URL (\(name))")
        }
        let key = Key(namespace: type.namespaced ? (namespace ?? "default") : "", name: name)
        guard objects[type.resourceKey]?[key] != nil else {
            guard subresource == nil else { throw KubeStatus.notFound(type, name: name) }
            return (try await create(type, namespace: namespace, object: ObjectMeta.setting("name", .string(name), in: configuration)), true)
        }
        return (try await patch(type, namespace: namespace, name: name, patch: configuration, kind: .strategic, subresource: subresource), false)
    }

    public enum Propagation: String, Sendable {
        case background = "Background"
        case foreground = "Foreground"
        case orphan = "Orphan"
    }

    /// Deletes, or with finalizers marks for deletion. Returns the object as last seen.
    @discardableResult
    public func delete(
        _ type: ResourceType, namespace: String?, name: String, propagation: Propagation = .background, preconditionUID: String? = nil,
        preconditionResourceVersion: String? = nil, gracePeriodSeconds: Int? = nil
    ) async throws -> JSONValue {
        let key = Key(namespace: type.namespaced ? (namespace ?? "default") : "", name: name)
        guard let current = objects[type.resourceKey]?[key] else { throw KubeStatus.notFound(type, name: name) }
        if let preconditionUID, preconditionUID != ObjectMeta.uid(current) {
            throw KubeStatus(
                code: 409, reason: "Conflict",
                message: "Precondition failed: UID in precondition: \(preconditionUID), UID in object meta: \(ObjectMeta.uid(current) ?? "")")
        }
        // The API server's other precondition: the object must be the version the caller saw
        // (two replicas deleting the same object: one wins, the other is told it changed).
        let currentVersion = current["metadata"]?["resourceVersion"]?.stringValue ?? ""
        if let preconditionResourceVersion, preconditionResourceVersion != currentVersion {
            throw KubeStatus(
                code: 409, reason: "Conflict",
                message:
                    "Precondition failed: ResourceVersion in precondition: \(preconditionResourceVersion), ResourceVersion in object meta: \(currentVersion)"
            )
        }
        if type.plural == "namespaces" {
            return try await deleteNamespace(name: name, current: current)
        }
        // Foreground, as the API server and its garbage collector do it: the owner stays,
        // marked (deletionTimestamp, finalizer foregroundDeletion), while its dependents are
        // deleted, and goes when the last one blocking it (blockOwnerDeletion) is gone.
        if propagation == .foreground, let uid = ObjectMeta.uid(current), hasDependents(uid) {
            if current["metadata"]?["deletionTimestamp"] != nil { return current }
            var marked = ObjectMeta.setting("deletionTimestamp", ObjectMeta.timestamp(now()), in: current)
            marked = ObjectMeta.setting("deletionGracePeriodSeconds", 0, in: marked)
            marked = ObjectMeta.setting(
                "finalizers", .array((ObjectMeta.finalizers(current) + ["foregroundDeletion"]).map(JSONValue.string)), in: marked)
            let stored = await store(marked, type: type, key: key, event: .modified)
            foregroundOwners[uid] = (type, key)
            await collectDependents(of: uid, propagation: .foreground)
            await releaseForegroundOwner(uid)
            return objects[type.resourceKey]?[key] ?? stored
        }
        // A pod on a node is stopped by its kubelet first: it stays, Terminating, until the
        // kubelet (the simulator) deletes it with grace 0. Unscheduled pods go at once.
        if type.plural == "pods", current["spec"]?["nodeName"] != nil {
            let grace = gracePeriodSeconds ?? current["spec"]?["terminationGracePeriodSeconds"]?.scalarDescription.flatMap(Int.init) ?? 30
            if grace > 0 {
                if current["metadata"]?["deletionTimestamp"] != nil { return current }
                var marked = ObjectMeta.setting("deletionTimestamp", ObjectMeta.timestamp(now().addingTimeInterval(Double(grace))), in: current)
                marked = ObjectMeta.setting("deletionGracePeriodSeconds", .number(Double(grace)), in: marked)
                return await store(marked, type: type, key: key, event: .modified)
            }
            if !ObjectMeta.finalizers(current).isEmpty {
                return current
            }
            return await remove(type, key: key, object: current, propagation: propagation)
        }
        if !ObjectMeta.finalizers(current).isEmpty {
            if current["metadata"]?["deletionTimestamp"] != nil { return current }
            var marked = ObjectMeta.setting("deletionTimestamp", ObjectMeta.timestamp(now()), in: current)
            marked = ObjectMeta.setting("deletionGracePeriodSeconds", 0, in: marked)
            return await store(marked, type: type, key: key, event: .modified)
        }
        return await remove(type, key: key, object: current, propagation: propagation)
    }

    /// Cluster IP for every Service but headless ones; NodePorts for NodePort/LoadBalancer.
    private func allocateNetwork(_ service: JSONValue, type: ResourceType, name: String) throws -> JSONValue {
        var service = service
        if service["spec"]?["clusterIP"] == nil || service["spec"]?["clusterIP"] == "" {
            let ip = network.clusterIP()
            service = ObjectMeta.setting(path: ["spec", "clusterIP"], .string(ip), in: service)
            service = ObjectMeta.setting(path: ["spec", "clusterIPs"], [.string(ip)], in: service)
        }
        if service["spec"]?["type"] == nil { service = ObjectMeta.setting(path: ["spec", "type"], "ClusterIP", in: service) }
        let exposed = ["NodePort", "LoadBalancer"].contains(service["spec"]?["type"]?.stringValue ?? "")
        var ports: [JSONValue] = []
        for var port in service["spec"]?["ports"]?.arrayValue ?? [] {
            if port["protocol"] == nil { port = ObjectMeta.setting(path: ["protocol"], "TCP", in: port) }
            if port["targetPort"] == nil { port = ObjectMeta.setting(path: ["targetPort"], port["port"], in: port) }
            if exposed {
                let requested = port["nodePort"]?.scalarDescription.flatMap(Int.init)
                guard let assigned = network.nodePort(requested: requested) else {
                    throw KubeStatus.invalid(
                        type, name: name, field: "spec.ports[].nodePort",
                        message: "Invalid value: \(requested.map(String.init) ?? "any"): provided port is already allocated or outside 30000-32767")
                }
                port = ObjectMeta.setting(path: ["nodePort"], .number(Double(assigned)), in: port)
            }
            ports.append(port)
        }
        if !ports.isEmpty { service = ObjectMeta.setting(path: ["spec", "ports"], .array(ports), in: service) }
        return service
    }

    // MARK: Watch

    /// Events for `filter` after `fromRevision` (replayed from history), then live ones.
    /// Without a revision, the current matching objects arrive first as ADDED.
    func watch(_ type: ResourceType, filter: WatchFilter, fromRevision: Int?) throws -> AsyncStream<WatchEvent> {
        var backlog: [WatchEvent] = []
        if let fromRevision, fromRevision > 0 {
            let oldest = history.first?.revision ?? (revision + 1)
            if fromRevision < oldest - 1, fromRevision < revision {
                throw KubeStatus.gone("too old resource version: \(fromRevision) (\(oldest - 1))")
            }
            backlog = history.filter { $0.revision > fromRevision && filter.matches($0) }
        } else {
            let current = try list(type, namespace: filter.namespace, labels: filter.labels, fields: filter.fields)
            backlog = current.items
                .filter { filter.name == nil || ObjectMeta.name($0) == filter.name }
                .map {
                    WatchEvent(
                        kind: .added, object: $0, revision: Int(ObjectMeta.resourceVersion($0) ?? "") ?? revision, resourceKey: type.resourceKey,
                        namespace: ObjectMeta.namespace($0) ?? "")
                }
        }
        let (stream, continuation) = AsyncStream.makeStream(of: WatchEvent.self, bufferingPolicy: .unbounded)
        for event in backlog { continuation.yield(event) }
        let id = UUID()
        watchers[id] = (filter, continuation)
        continuation.onTermination = { _ in Task { await self.stopWatching(id) } }
        return stream
    }

    private func stopWatching(_ id: UUID) {
        watchers[id] = nil
    }

    /// Ends every open watch, as an API server restart or a load balancer timeout would.
    public func dropAllWatches() {
        let open = watchers
        watchers = [:]
        for watcher in open.values { watcher.1.finish() }
    }

    public var openWatches: Int { watchers.count }

    /// List requests served over HTTP (not internal lists), so tests can tell a client that
    /// resumes a watch from one that lists again.
    public private(set) var listRequests = 0

    func countListRequest() {
        listRequests += 1
    }

    private var stalled: [(WatchFilter, AsyncStream<WatchEvent>.Continuation)] = []

    /// Test hook: open watches stop receiving events, as if the connection stalled.
    public func beginWatchOutage() {
        stalled += watchers.values
        watchers = [:]
    }

    /// Test hook: ends the stalled watches. With `expired`, history is compacted first and
    /// each watch ends with an in-band `ERROR` 410, as an API server does when a watch falls
    /// behind its cache; clients must list again. Otherwise they end cleanly and resume.
    public func endWatchOutage(expired: Bool) {
        if expired { history.removeAll() }
        for (_, continuation) in stalled {
            if expired {
                let status = KubeStatus.gone("too old resource version").object
                continuation.yield(WatchEvent(kind: .error, object: status, revision: revision, resourceKey: "", namespace: ""))
            }
            continuation.finish()
        }
        stalled = []
    }

    /// Forgets history so that older revisions answer 410 (tests of re-listing).
    public func compactHistory() {
        history.removeAll()
    }

    // MARK: Internals

    private func update(_ type: ResourceType, key: Key, current: JSONValue, proposed: JSONValue, subresource: String?) async throws -> JSONValue {
        var next = proposed
        // Identity and bookkeeping fields are the server's.
        for field in ["uid", "creationTimestamp", "namespace", "name", "deletionTimestamp"] {
            next = ObjectMeta.setting(field, current["metadata"]?[field], in: next)
        }
        next = Self.withTypeMeta(next, type)
        next = Defaults.onWrite(next, type: type)
        if subresource == "status" {
            // Only status changes through /status; the rest stays.
            next = ObjectMeta.setting(path: ["status"], next["status"], in: current)
        } else if subresource == nil, type.subresources.contains("status") {
            next = ObjectMeta.setting(path: ["status"], current["status"], in: next)
        }
        let specChanged = next["spec"] != current["spec"]
        let generation = Int(current["metadata"]?["generation"]?.scalarDescription ?? "1") ?? 1
        next = ObjectMeta.setting("generation", .number(Double(specChanged ? generation + 1 : generation)), in: next)
        if current["metadata"]?["deletionTimestamp"] != nil, ObjectMeta.finalizers(next).isEmpty {
            return await remove(type, key: key, object: next, propagation: .background)
        }
        return await store(next, type: type, key: key, event: .modified)
    }

    private func store(_ object: JSONValue, type: ResourceType, key: Key, event kind: WatchEvent.Kind) async -> JSONValue {
        revision += 1
        let stored = ObjectMeta.setting("resourceVersion", .string(String(revision)), in: object)
        objects[type.resourceKey, default: [:]][key] = stored
        await publish(WatchEvent(kind: kind, object: stored, revision: revision, resourceKey: type.resourceKey, namespace: key.namespace), type: type)
        return stored
    }

    private func remove(_ type: ResourceType, key: Key, object: JSONValue, propagation: Propagation) async -> JSONValue {
        objects[type.resourceKey]?[key] = nil
        if type.plural == "services" {
            network.release(
                nodePorts: (object["spec"]?["ports"]?.arrayValue ?? []).compactMap { $0["nodePort"]?.scalarDescription.flatMap(Int.init) })
        }
        revision += 1
        let gone = ObjectMeta.setting("resourceVersion", .string(String(revision)), in: object)
        await publish(
            WatchEvent(kind: .deleted, object: gone, revision: revision, resourceKey: type.resourceKey, namespace: key.namespace), type: type)
        if let uid = ObjectMeta.uid(object) {
            foregroundOwners[uid] = nil
            await collectDependents(of: uid, propagation: propagation)
        }
        for owner in ObjectMeta.ownerUIDs(object) where foregroundOwners[owner] != nil { await releaseForegroundOwner(owner) }
        return gone
    }

    private func hasDependents(_ uid: String, blockingOnly: Bool = false) -> Bool {
        registry.types.contains { type in
            (objects[type.resourceKey] ?? [:]).values.contains { object in
                (object["metadata"]?["ownerReferences"]?.arrayValue ?? []).contains {
                    $0["uid"]?.stringValue == uid && (!blockingOnly || $0["blockOwnerDeletion"] == true)
                }
            }
        }
    }

    /// A foreground deletion's owner goes once no dependent blocks it: its finalizer is dropped
    /// (and the owner removed if that was the last).
    private func releaseForegroundOwner(_ uid: String) async {
        guard let (type, key) = foregroundOwners[uid], let owner = objects[type.resourceKey]?[key] else {
            foregroundOwners[uid] = nil
            return
        }
        guard !hasDependents(uid, blockingOnly: true) else { return }
        foregroundOwners[uid] = nil
        let remaining = ObjectMeta.finalizers(owner).filter { $0 != "foregroundDeletion" }
        if remaining.isEmpty {
            _ = await remove(type, key: key, object: owner, propagation: .background)
        } else {
            _ = await store(
                ObjectMeta.setting("finalizers", .array(remaining.map(JSONValue.string)), in: owner), type: type, key: key, event: .modified)
        }
    }

    /// ownerReference garbage collection: dependents go too, or lose the reference (Orphan).
    private func collectDependents(of uid: String, propagation: Propagation) async {
        for type in registry.types {
            for (key, object) in objects[type.resourceKey] ?? [:] where ObjectMeta.ownerUIDs(object).contains(uid) {
                if propagation == .orphan {
                    let kept = (object["metadata"]?["ownerReferences"]?.arrayValue ?? []).filter { $0["uid"]?.stringValue != uid }
                    _ = await store(
                        ObjectMeta.setting("ownerReferences", kept.isEmpty ? nil : .array(kept), in: object), type: type, key: key, event: .modified)
                } else {
                    _ = try? await delete(type, namespace: key.namespace.isEmpty ? nil : key.namespace, name: key.name, propagation: propagation)
                }
            }
        }
    }

    private func deleteNamespace(name: String, current: JSONValue) async throws -> JSONValue {
        guard let nsType = registry.types.first(where: { $0.plural == "namespaces" }) else { return current }
        var terminating = ObjectMeta.setting("deletionTimestamp", ObjectMeta.timestamp(now()), in: current)
        terminating = ObjectMeta.setting(path: ["status", "phase"], "Terminating", in: terminating)
        let marked = await store(terminating, type: nsType, key: Key(namespace: "", name: name), event: .modified)
        for type in registry.types where type.namespaced {
            for (key, object) in objects[type.resourceKey] ?? [:] where key.namespace == name {
                _ = await remove(type, key: key, object: object, propagation: .background)
            }
        }
        _ = await remove(nsType, key: Key(namespace: "", name: name), object: marked, propagation: .background)
        return marked
    }

    private func publish(_ event: WatchEvent, type: ResourceType) async {
        history.append(event)
        if history.count > historyLimit { history.removeFirst(history.count - historyLimit) }
        for (filter, continuation) in watchers.values where filter.matches(event) {
            continuation.yield(event)
        }
        for observer in observers { await observer(event, type) }
    }

    private static func withTypeMeta(_ object: JSONValue, _ type: ResourceType) -> JSONValue {
        var fields = object.objectValue ?? [:]
        fields["apiVersion"] = .string(type.apiVersion)
        fields["kind"] = .string(type.kind)
        return .object(fields)
    }

    static func randomSuffix() -> String {
        let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
        return String((0..<5).map { _ in alphabet.randomElement()! })
    }

    static func continueToken(offset: Int, revision: Int) -> String {
        Data("{\"rv\":\(revision),\"offset\":\(offset)}".utf8).base64EncodedString()
    }

    static func offset(fromContinue token: String) throws -> Int {
        guard let data = Data(base64Encoded: token), let value = try? JSONValue.decode(data),
            let offset = value["offset"]?.scalarDescription.flatMap(Int.init)
        else { throw KubeStatus.badRequest("invalid continue token") }
        return offset
    }
}
