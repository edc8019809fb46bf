import Hummingbird

/// Pod `log` (from the simulated pod's log buffer). `exec` is served over WebSocket by
/// ``ExecUpgrade``; a plain HTTP exec request ends here with an error, as on a real server.
struct SubresourceHandler: Sendable {
    let store: ObjectStore
    let pods: PodRuntime

    func handle(_ type: ResourceType, namespace: String?, name: String, subresource: String, request: Request) async throws -> Response {
        switch (type.plural, subresource, request.method) {
        case ("pods", "log", .get):
            _ = try await store.get(type, namespace: namespace, name: name)
            if request.uri.queryParameters["follow"] == "true" {
                return Response(
                    status: .ok, headers: [.contentType: "text/plain"],
                    body: .init(asyncSequence: following(type, namespace: namespace ?? "default", name: name)))
            }
            let text = await pods.logs(namespace: namespace ?? "default", name: name)
            return Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: text)))
        case ("pods", "exec", _):
            _ = try await store.get(type, namespace: namespace, name: name)
            throw KubeStatus.badRequest("Upgrade request required: exec needs a WebSocket with v5.channel.k8s.io or v4.channel.k8s.io")
        default:
            throw KubeStatus(code: 404, reason: "NotFound", message: "the server could not find the requested resource")
        }
    }
}

extension SubresourceHandler {
    /// `follow=true`: the log so far, then what is appended, until the pod has ended (its
    /// phase is Succeeded or Failed) or is gone, as a kubelet streams a container's output.
    /// A simulator may look every 50 ms; a kubelet is told.
    func following(_ type: ResourceType, namespace: String, name: String) -> AsyncThrowingStream<ByteBuffer, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                var sent = 0
                while !Task.isCancelled {
                    let pod = try? await store.get(type, namespace: namespace, name: name)
                    let text = Array(await pods.logs(namespace: namespace, name: name).utf8)
                    if text.count > sent {
                        continuation.yield(ByteBuffer(bytes: text[sent...]))
                        sent = text.count
                    }
                    let phase = pod?["status"]?["phase"]?.stringValue
                    if pod == nil || phase == "Succeeded" || phase == "Failed" { break }
                    try? await Task.sleep(for: .milliseconds(50))
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}

/// What only a kubelet would know about a pod: its log and its files.
public actor PodRuntime {
    struct PodKey: Hashable { let namespace: String, name: String }
    private var logBuffers: [PodKey: String] = [:]
    private var files: [PodKey: [String: String]] = [:]

    public init() {}

    public func appendLog(namespace: String, name: String, _ text: String) {
        logBuffers[PodKey(namespace: namespace, name: name), default: ""] += text
    }

    public func logs(namespace: String, name: String) -> String {
        logBuffers[PodKey(namespace: namespace, name: name)] ?? ""
    }

    public func setFile(namespace: String, name: String, path: String, contents: String) {
        files[PodKey(namespace: namespace, name: name), default: [:]][path] = contents
    }

    public func file(namespace: String, name: String, path: String) -> String? {
        files[PodKey(namespace: namespace, name: name)]?[path]
    }

    public func files(namespace: String, name: String) -> [String: String] {
        files[PodKey(namespace: namespace, name: name)] ?? [:]
    }

    /// A deleted pod's log and files go with it; a new pod of the same name starts empty.
    public func forget(namespace: String, name: String) {
        logBuffers[PodKey(namespace: namespace, name: name)] = nil
        files[PodKey(namespace: namespace, name: name)] = nil
    }
}
