import Essentials
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
        case ("deployments", "scale", .get):
            return try Self.scale(of: await store.get(type, namespace: namespace, name: name)).response()
        case ("deployments", "scale", .patch), ("deployments", "scale", .put):
            return try await rescale(type, namespace: namespace, name: name, request: request)
        case ("pods", "exec", _):
            _ = try await store.get(type, namespace: namespace, name: name)
            throw KubeStatus.badRequest("Upgrade request required: exec needs a WebSocket with v5.channel.k8s.io or v4.channel.k8s.io")
        default:
            throw KubeStatus(code: 404, reason: "NotFound", message: "the server could not find the requested resource")
        }
    }
}

extension SubresourceHandler {
    /// A Deployment's `scale` subresource (`kubectl scale`): an autoscaling/v1 Scale whose
    /// `spec.replicas` is the Deployment's.
    static func scale(of deployment: JSONValue) -> JSONValue {
        let kept: Set<String> = ["name", "namespace", "uid", "resourceVersion", "creationTimestamp"]
        let metadata = (deployment["metadata"]?.objectValue ?? [:]).filter { kept.contains($0.key) }
        let labels = deployment["spec"]?["selector"]?["matchLabels"]?.objectValue ?? [:]
        let selector: [String] = labels.keys.sorted().map { key in "\(key)=\(labels[key]?.scalarDescription ?? "")" }
        let replicas: JSONValue = deployment["spec"]?["replicas"] ?? .number(1)
        let current: JSONValue = deployment["status"]?["replicas"] ?? .number(0)
        let spec: JSONValue = .object(["replicas": replicas])
        let status: JSONValue = .object(["replicas": current, "selector": .string(selector.joined(separator: ","))])
        return .object(["apiVersion": "autoscaling/v1", "kind": "Scale", "metadata": .object(metadata), "spec": spec, "status": status])
    }

    /// PATCH (merge, strategic or JSON patch, against the Scale) or PUT of a Scale.
    func rescale(_ type: ResourceType, namespace: String?, name: String, request: Request) async throws -> Response {
        let current = try await store.get(type, namespace: namespace, name: name)
        let body = try await ResourceRoutes.body(request)
        let proposed: JSONValue
        switch ResourceRoutes.mediaType(request) {
        case "application/json-patch+json": proposed = try JSONPatch.apply(body, to: Self.scale(of: current))
        case _ where request.method == .put: proposed = body
        default: proposed = MergePatch.apply(body, to: Self.scale(of: current))
        }
        guard let replicas = proposed["spec"]?["replicas"]?.doubleValue, replicas >= 0, replicas == replicas.rounded() else {
            throw KubeStatus.badRequest("spec.replicas of a Scale must be a whole number of at least 0")
        }
        let updated = try await store.patch(type, namespace: namespace, name: name, patch: ["spec": ["replicas": .number(replicas)]], kind: .merge)
        return Self.scale(of: updated).response()
    }

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
