import Essentials
import Foundation
import Hummingbird
import HummingbirdTesting
import KubeSim
import Kubernetes
import Logging
import NIOCore
import Prometheus
import ServiceKit
import TestSupport
import Testing

/// kube-sim in process, driven over HTTP exactly as a client would.
public struct KubeSimFixture: Sendable {
    public let simulator: KubeSimulator
    public let client: any TestClientProtocol

    /// A bare API server unless `settings` turns the simulation on.
    public static let apiServerOnly: KubeSimulator.Settings = {
        var settings = KubeSimulator.Settings()
        settings.simulate = false
        return settings
    }()

    public static func run(
        settings: KubeSimulator.Settings = apiServerOnly, _ body: @Sendable (KubeSimFixture) async throws -> Void
    ) async throws {
        let simulator = KubeSimulator(settings: settings)
        try await simulator.seed()
        var logger = Logger(label: "kube-sim-test")
        logger.logLevel = .critical
        let app = buildApplication(
            simulator.definition(http: HTTPServerSettings(host: "127.0.0.1", port: 0), metricsRegistry: PrometheusCollectorRegistry()),
            logger: logger
        )
        try await app.test(.live) { client in
            // HummingbirdTesting's client connects in the background. A body that never uses
            // it can end before that connection is up; the connection then arrives after the
            // client has shut down, and the server's graceful shutdown waits for it forever.
            _ = try await client.execute(uri: "/healthz", method: .get) { _ in }
            try await body(KubeSimFixture(simulator: simulator, client: client))
        }
    }

    /// A client of this kube-sim over loopback HTTP; with `token`, as the access file's user it names.
    public func kubernetesClient(timeout: Duration = .seconds(10), token: String? = nil) throws -> KubernetesClient {
        let port = try #require(client.port)
        return KubernetesClient(
            configuration: KubernetesConfiguration(
                server: URL(string: "http://127.0.0.1:\(port)")!, credentials: token.map { .bearerToken($0) } ?? .none),
            timeout: timeout)
    }

    @discardableResult
    public func call(
        _ method: HTTPRequest.Method, _ path: String, body: JSONValue? = nil, contentType: String = "application/json"
    ) async throws -> HTTPReply {
        var headers: HTTPFields = [:]
        if body != nil { headers[.contentType] = contentType }
        return try await client.execute(uri: path, method: method, headers: headers, body: body.map { ByteBuffer(bytes: $0.bytes()) }) { response in
            HTTPReply(response)
        }
    }

    public func create(_ path: String, _ object: JSONValue) async throws -> JSONValue {
        let reply = try await call(.post, path, body: object)
        #expect(reply.status == 201, "create \(path): \(reply.text)")
        return reply.body
    }

    public static func pod(_ name: String, labels: [String: String] = [:], extra: [String: JSONValue] = [:]) -> JSONValue {
        var metadata: [String: JSONValue] = ["name": .string(name), "labels": .object(labels.mapValues(JSONValue.string))]
        metadata.merge(extra) { _, new in new }
        return ["apiVersion": "v1", "kind": "Pod", "metadata": .object(metadata), "spec": ["containers": [["name": "c", "image": "busybox:1.36"]]]]
    }
}

extension JSONValue {
    public var resourceVersion: Int? { self["metadata"]?["resourceVersion"]?.stringValue.flatMap(Int.init) }
    public var name: String? { self["metadata"]?["name"]?.stringValue }
}
