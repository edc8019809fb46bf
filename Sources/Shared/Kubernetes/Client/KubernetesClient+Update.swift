extension KubernetesClient {
    /// Read-modify-write with optimistic concurrency: gets the object, applies `mutate`,
    /// replaces it (conditional on the resourceVersion read), and on 409 Conflict starts over
    /// with the fresh object, up to `attempts` times, as client-go's RetryOnConflict does.
    @discardableResult
    public func update(
        _ resource: ResourceDescriptor, namespace: String? = nil, name: String, attempts: Int = 5,
        _ mutate: @Sendable (inout UnstructuredObject) async throws -> Void
    ) async throws -> UnstructuredObject {
        var attempt = 1
        while true {
            var object = try await get(resource, namespace: namespace, name: name)
            try await mutate(&object)
            do {
                return try await replace(resource, namespace: namespace, object)
            } catch let error as KubernetesError where error.isConflict && attempt < attempts {
                attempt += 1
            }
        }
    }
}
