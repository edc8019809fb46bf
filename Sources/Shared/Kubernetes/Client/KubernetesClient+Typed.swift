/// Typed verbs: the same calls as the unstructured ones, converting through JSON.
extension KubernetesClient {
    public func get<Resource: KubernetesResource>(_ type: Resource.Type, namespace: String? = nil, name: String) async throws -> Resource {
        try Resource(await get(Resource.descriptor, namespace: namespace, name: name))
    }

    public func list<Resource: KubernetesResource>(
        _ type: Resource.Type, namespace: String? = nil, labelSelector: String? = nil, fieldSelector: String? = nil
    ) async throws -> [Resource] {
        try await listAll(Resource.descriptor, namespace: namespace, labelSelector: labelSelector, fieldSelector: fieldSelector).items.map(
            Resource.init)
    }

    public func create<Resource: KubernetesResource>(_ object: Resource, namespace: String? = nil) async throws -> Resource {
        try Resource(await create(Resource.descriptor, namespace: namespace, object.unstructured()))
    }

    public func replace<Resource: KubernetesResource>(_ object: Resource, namespace: String? = nil) async throws -> Resource {
        try Resource(await replace(Resource.descriptor, namespace: namespace, object.unstructured()))
    }

    public func delete<Resource: KubernetesResource>(
        _ type: Resource.Type, namespace: String? = nil, name: String, propagation: PropagationPolicy = .background, ignoreNotFound: Bool = false
    ) async throws {
        try await delete(Resource.descriptor, namespace: namespace, name: name, propagation: propagation, ignoreNotFound: ignoreNotFound)
    }
}
