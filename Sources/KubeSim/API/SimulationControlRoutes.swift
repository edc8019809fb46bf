import Essentials
import Hummingbird
import ServiceKit

/// Test hooks that have no Kubernetes equivalent: what a pod's filesystem holds (for
/// `exec cat`) and what its containers print (for `logs`).
///
/// - `PUT /_sim/namespaces/{ns}/pods/{name}/files?path=/tmp/key` — body becomes the file.
/// - `POST /_sim/namespaces/{ns}/pods/{name}/logs` — body is appended to the log.
/// - `GET /_sim/state` — open watches and the current resourceVersion, so tests can wait
///   until a client's watch is established.
/// - `GET /_sim/access` — every authorization decision (with `--auth-file`), to check that a
///   service needed no more than its chart grants.
/// - `POST /_sim/watches/drop` — ends every open watch, as a restarted API server or a broken
///   connection does; with `?expire=true` the history is compacted first and each watch ends
///   with a 410 Gone, so clients must list again (informers' recovery, on demand).
/// - `POST /_sim/faults` `{"status": 503, "delay_ms": 0, "hold": false}` and
///   `POST /_sim/faults/reset`: an API server that is down, slow or hanging (``APIFaults``).
struct SimulationControlRoutes: Sendable {
    let store: ObjectStore
    let pods: PodRuntime
    let access: AccessControl?
    let faults: APIFaults

    var routes: [Route<BasicServiceRequestContext>] {
        typealias Sim = Route<BasicServiceRequestContext>
        let noContent = Response(status: .noContent)
        return [
            Sim.get("/_sim/state", "Open watches and the current resourceVersion.", access: .kubernetesAPI).tags("simulation").handle { _ in
                JSONValue.object(["openWatches": .number(Double(await store.openWatches)), "resourceVersion": .string(String(await store.revision))])
            },
            Sim.get("/_sim/access", "Access control's decisions so far.", access: .kubernetesAPI).tags("simulation").handle { _ in
                JSONValue.object([
                    "enabled": .bool(access != nil),
                    "decisions": .array(
                        (access?.decisions ?? []).map { decision in
                            [
                                "user": .string(decision.user), "verb": .string(decision.verb), "group": .string(decision.group),
                                "resource": .string(decision.resource), "namespace": decision.namespace.map(JSONValue.string) ?? .null,
                                "allowed": .bool(decision.allowed),
                            ]
                        }),
                ])
            },
            Sim.post("/_sim/watches/drop", "End every open watch (with expire=true, as 410s after compacting the history).", access: .kubernetesAPI)
                .tags("simulation").parameter("expire", schema: JSONSchema.boolean)
                .handleRequest { request, _ in
                    let expire = QueryParameters(request.uri)["expire"] == "true"
                    await store.beginWatchOutage()
                    await store.endWatchOutage(expired: expire)
                    return noContent
                },
            Sim.post("/_sim/faults", "Inject API faults: status, delay, hold, per method.", access: .kubernetesAPI).tags("simulation")
                .body(RawBody.self).responds(204, "Set")
                .handleRequest { request, context in
                    await faults.set(try await request.decode(as: APIFaults.Faults.self, context: context))
                    return noContent
                },
            Sim.post("/_sim/faults/reset", "Clear the injected faults.", access: .kubernetesAPI).tags("simulation").handle { _ in
                await faults.reset()
                return noContent
            },
            Sim.put("/_sim/namespaces/{namespace}/pods/{name}/files", "Write a file into a simulated pod.", access: .kubernetesAPI)
                .tags("simulation").parameter("path", required: true).body(RawBody.self)
                .handleRequest { request, context in
                    guard let path = QueryParameters(request.uri)["path"], path.hasPrefix("/") else {
                        return KubeStatus.badRequest("query parameter path must be an absolute file path").response
                    }
                    let contents = try await Self.text(request)
                    await pods.setFile(
                        namespace: try context.parameters.require("namespace"), name: try context.parameters.require("name"), path: path,
                        contents: contents)
                    return noContent
                },
            Sim.post("/_sim/namespaces/{namespace}/pods/{name}/logs", "Append to a simulated pod's log.", access: .kubernetesAPI)
                .tags("simulation").body(RawBody.self)
                .handleRequest { request, context in
                    let text = try await Self.text(request)
                    await pods.appendLog(namespace: try context.parameters.require("namespace"), name: try context.parameters.require("name"), text)
                    return noContent
                },
        ]
    }

    static func text(_ request: Request) async throws -> String {
        var request = request
        return String(buffer: try await request.collectBody(upTo: 1 << 20))
    }
}
