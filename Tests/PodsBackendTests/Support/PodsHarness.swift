import AsyncHTTPClient
import Essentials
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Kubernetes
import Logging
import NIOCore
import Prometheus
import ServiceKit
import TestFixtures
import TestSupport
import Testing

@testable import PodsBackend

/// The pods backend over loopback HTTP against ``TestCluster`` (kube-sim, or a real cluster
/// when asked), with a manifest server on loopback standing in for raw.githubusercontent.com.
struct PodsHarness: Sendable {
    static let siloSecret = "silo-secret-0123456789"
    static let adminSecret = "admin-secret-0123456789"
    static let user = "fror@dtu.dk"

    let cluster: TestCluster
    let manifestBase: String
    let settings: PodsSettings
    let client: any TestClientProtocol
    let backend: UserPodsBackend.Parts

    var kube: KubernetesClient { cluster.client }
    var namespace: String { cluster.namespace }

    /// The settings every test starts from (short timeouts; secrets on).
    static func environment(cluster: TestCluster, manifestPort: Int) -> [String: String] {
        [
            "BACKEND_NAMESPACE": cluster.namespace,
            "BACKEND_WHITELISTMANIFESTREGEX": #"http://127\.0\.0\.1:\#(manifestPort)/deic-dk/pod_manifests/"#,
            "BACKEND_LOCALREGISTRYURL": "docker.io/library",
            "BACKEND_INGRESSDOMAIN": "pods.example.org",
            "BACKEND_TIMEOUTCREATE": "20s",
            "BACKEND_TIMEOUTDELETE": "20s",
            "BACKEND_SILOSECRET": siloSecret,
            "BACKEND_ADMINSECRET": adminSecret,
            "BACKEND_SWEEPINTERVAL": "200ms",
            "BACKEND_LEASEMARGIN": "1s",
            "BACKEND_TOKENREFRESHWINDOW": "0s",
            "BACKEND_TOKENRETRYINTERVAL": "50ms",
            "BACKEND_PODSUBNETCIDR": "10.244.0.0/16",
            "BACKEND_PODIPLOOKUPWINDOW": "300ms",
        ]
    }

    /// Runs `body` with a manifest server, a cluster and one backend.
    static func run(
        environment extra: [String: String] = [:], replicaID: String = "replica-a", _ body: @Sendable (PodsHarness) async throws -> Void
    ) async throws {
        try await TestCluster.run { cluster in
            try await ManifestServer.run { manifestPort in
                var environment = Self.environment(cluster: cluster, manifestPort: manifestPort)
                environment.merge(extra) { $1 }
                try await Self.backend(cluster: cluster, manifestPort: manifestPort, environment: environment, replicaID: replicaID, body)
            }
        }
    }

    /// One backend (more can run side by side on the same cluster, as replicas do).
    static func backend(
        cluster: TestCluster, manifestPort: Int, environment: [String: String], replicaID: String,
        _ body: @Sendable (PodsHarness) async throws -> Void
    ) async throws {
        let settings = try PodsSettings.load(from: ConfigurationSource(environment: environment))
        var logger = Logger(label: "pods-test")
        logger.logLevel = .warning
        let parts = try UserPodsBackend.make(
            settings: settings, kubernetes: cluster.client, http: HTTPServerSettings(host: "127.0.0.1", port: 0), replicaID: replicaID,
            logger: logger, metricsRegistry: PrometheusCollectorRegistry()
        )
        let app = buildApplication(parts.definition, logger: logger)
        try await app.test(.live) { client in
            _ = try await client.execute(uri: "/healthz", method: .get) { _ in }
            try await body(
                PodsHarness(
                    cluster: cluster, manifestBase: "http://127.0.0.1:\(manifestPort)/deic-dk/pod_manifests/testing/", settings: settings,
                    client: client, backend: parts
                ))
        }
    }

    // MARK: Requests

    enum Credential: Sendable {
        case silo, admin, anonymous
        case hmac(skew: TimeInterval)
        case bearer(String)
        case header(String, String)
    }

    func post(_ path: String, _ body: JSONValue, auth credential: Credential = .silo, headers extra: HTTPFields = [:]) async throws -> HTTPReply {
        try await request(.post, path, body: Data(body.encoded()), auth: credential, headers: extra)
    }

    func request(
        _ method: HTTPRequest.Method, _ path: String, body: Data? = nil, auth credential: Credential = .silo, headers extra: HTTPFields = [:]
    ) async throws -> HTTPReply {
        var headers = extra
        if body != nil { headers[.contentType] = "application/json" }
        let bytes = body.map { Array($0) } ?? []
        switch credential {
        case .silo: headers[HTTPField.Name("X-Backend-Secret")!] = Self.siloSecret
        case .admin: headers[HTTPField.Name("X-Backend-Admin-Secret")!] = Self.adminSecret
        case .anonymous: break
        case .hmac(let skew):
            let timestamp = String(Int(Date().timeIntervalSince1970 + skew))
            headers[HTTPField.Name("X-Backend-Timestamp")!] = timestamp
            headers[HTTPField.Name("X-Backend-Signature")!] = CallerAuthenticator.signature(
                secret: Self.siloSecret, timestamp: timestamp, method: method.rawValue, path: path, body: bytes
            )
        case .bearer(let token): headers[.authorization] = "Bearer \(token)"
        case .header(let name, let value): headers[HTTPField.Name(name)!] = value
        }
        return try await client.execute(uri: path, method: method, headers: headers, body: body.map { ByteBuffer(data: $0) }) { response in
            HTTPReply(response)
        }
    }

    // MARK: The frontend's calls

    func createPod(_ manifest: String, user: String = user, settings: JSONValue = .null) async throws -> HTTPReply {
        try await post("/create_pod", ["yaml_url": .string(manifestBase + manifest), "user_id": .string(user), "settings": settings])
    }

    func getPods(user: String = user) async throws -> HTTPReply {
        try await post("/get_pods", ["user_id": .string(user)])
    }

    func watchCreate(_ pod: String, user: String = user) async throws -> HTTPReply {
        try await post("/watch_create_pod", ["user_id": .string(user), "pod_name": .string(pod)])
    }

    func deletePod(_ pod: String, user: String = user) async throws -> HTTPReply {
        try await post("/delete_pod", ["user_id": .string(user), "pod_name": .string(pod)])
    }

    func watchDelete(_ pod: String, user: String = user) async throws -> HTTPReply {
        try await post("/watch_delete_pod", ["user_id": .string(user), "pod_name": .string(pod)])
    }

    /// Creates a pod and waits for its creation to end; returns its name.
    func createReady(_ manifest: String, user: String = user, settings: JSONValue = .null, tokens: [String: String] = [:]) async throws -> String {
        let created = try await createPod(manifest, user: user, settings: settings)
        #expect(created.status == 200, "\(created.text)")
        let name = try #require(created["pod_name"]?.stringValue)
        if !tokens.isEmpty { try await writeFiles(pod: name, tokens) }
        let ready = try await watchCreate(name, user: user)
        #expect(ready["ready"] == true, "\(name) did not become ready: \(ready.text)")
        return name
    }

    // MARK: The cluster

    /// Plays the image's part on kube-sim: writes `/tmp/<key>` files into the pod (a real
    /// cluster's pods write their own, from the manifests' commands).
    func writeFiles(pod: String, _ files: [String: String]) async throws {
        guard !cluster.isReal else { return }
        for (key, contents) in files {
            let url = "\(kube.configuration.server.absoluteString)/_sim/namespaces/\(namespace)/pods/\(pod)/files?path=/tmp/\(key)"
            var request = HTTPClientRequest(url: url)
            request.method = .PUT
            request.body = .bytes(ByteBuffer(string: contents))
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            #expect(response.status == .noContent)
        }
    }

    func pod(_ name: String) async throws -> UnstructuredObject? {
        try await backend.cluster.pod(name)
    }

    func objects(_ resource: ResourceDescriptor, labelSelector: String? = nil) async throws -> [UnstructuredObject] {
        try await kube.listAll(resource, namespace: resource.namespaced ? namespace : nil, labelSelector: labelSelector).items
    }

    /// Waits (watching, with a deadline) until `name` satisfies `condition`.
    @discardableResult
    func waitFor(
        _ resource: ResourceDescriptor = .pods, _ name: String, timeout: Duration = .seconds(30),
        _ condition: @escaping @Sendable (UnstructuredObject?) -> Bool
    ) async throws -> UnstructuredObject? {
        try await kube.waitUntil(resource, namespace: resource.namespaced ? namespace : nil, name: name, timeout: timeout, condition)
    }
}

/// Serves ``TestManifests`` at `/deic-dk/pod_manifests/testing/<file>`, plus redirects, a
/// slow answer and an oversized one, for the fetcher's limits.
enum ManifestServer {
    static func run(_ body: @Sendable (Int) async throws -> Void) async throws {
        let router = Router()
        router.get("deic-dk/pod_manifests/testing/:file") { _, context -> Response in
            guard let text = TestManifests.all[try context.parameters.require("file")] else { return Response(status: .notFound) }
            return Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        router.get("deic-dk/pod_manifests/redirect-out") { _, _ in
            Response(status: .found, headers: [.location: "http://127.0.0.1:9/elsewhere.yaml"])
        }
        router.get("deic-dk/pod_manifests/redirect-in") { _, _ in
            Response(status: .found, headers: [.location: "/deic-dk/pod_manifests/testing/ubuntu_sciencedata.yaml"])
        }
        router.get("deic-dk/pod_manifests/huge.yaml") { _, _ in
            Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "# " + String(repeating: "x", count: 600_000))))
        }
        router.get("deic-dk/pod_manifests/slow.yaml") { _, _ -> Response in
            try await Sleep.for(.seconds(3))
            return Response(status: .ok)
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            _ = try await client.execute(uri: "/deic-dk/pod_manifests/testing/ubuntu_sciencedata.yaml", method: .get) { _ in }
            try await body(try #require(client.port))
        }
    }
}
