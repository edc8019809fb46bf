import AsyncHTTPClient
import Essentials
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
        let client = self
        let parameters = query
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    let request = try client.request(.GET, path, query: parameters)
                    let response: HTTPClientResponse
                    do {
                        response = try await client.httpClient.execute(request, timeout: .nanoseconds(maxDuration.nanoseconds))
                    } catch {
                        throw KubernetesError(code: 0, reason: "Unreachable", message: "GET \(path): \(error)")
                    }
                    guard response.status == .ok else {
                        let body = try await response.body.collect(upTo: 1 << 20)
                        throw KubernetesError.from(status: Int(response.status.code), body: Array(buffer: body))
                    }
                    for try await chunk in response.body { continuation.yield(chunk) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
