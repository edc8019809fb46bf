import NIOCore

extension KubernetesClient {
    /// A pod's log followed live (`follow=true`): what it has logged, then each new chunk as the
    /// kubelet sends it, until the container ends (the server closes the stream) or the
    /// caller stops reading. `maxDuration` bounds one follow, as `kubectl logs -f` has none.
    public func followLogs(
        namespace: String? = nil, pod: String, container: String? = nil, maxDuration: Duration = .seconds(6 * 3600)
    ) -> AsyncThrowingStream<ByteBuffer, any Error> {
        var query: [(String, String)] = [("follow", "true")]
        if let container { query.append(("container", container)) }
        let path = ResourceDescriptor.pods.path(namespace: namespace ?? configuration.namespace, name: pod, subresource: "log")
        return streaming(path, query: query, timeout: maxDuration) { body, continuation in
            for try await chunk in body { continuation.yield(chunk) }
        }
    }
}
