import Hummingbird
import Shared

/// Test hooks that have no Kubernetes equivalent: what a pod's filesystem holds (for
/// `exec cat`) and what its containers print (for `logs`).
///
/// - `PUT /_sim/namespaces/{ns}/pods/{name}/files?path=/tmp/key` — body becomes the file.
/// - `POST /_sim/namespaces/{ns}/pods/{name}/logs` — body is appended to the log.
struct SimulationControlRoutes: Sendable {
    let pods: PodRuntime

    func register(on router: Router<ServiceRequestContext>) {
        router.put("_sim/namespaces/:namespace/pods/:name/files") { request, context in
            guard let path = request.uri.queryParameters["path"].map(String.init), path.hasPrefix("/") else {
                return KubeStatus.badRequest("query parameter path must be an absolute file path").response
            }
            let contents = try await Self.text(request)
            await pods.setFile(namespace: try context.parameters.require("namespace"), name: try context.parameters.require("name"), path: path, contents: contents)
            return Response(status: .noContent)
        }
        router.post("_sim/namespaces/:namespace/pods/:name/logs") { request, context in
            let text = try await Self.text(request)
            await pods.appendLog(namespace: try context.parameters.require("namespace"), name: try context.parameters.require("name"), text)
            return Response(status: .noContent)
        }
    }

    static func text(_ request: Request) async throws -> String {
        var request = request
        return String(buffer: try await request.collectBody(upTo: 1 << 20))
    }
}
