import Essentials
import Hummingbird
import HummingbirdWebSocket
import Prometheus
import ServiceKit

/// kube-sim: a Kubernetes API server emulator speaking the real REST wire protocol (JSON),
/// for tests and the local stack.
public struct KubeSimulator: Sendable {
    public struct Settings: Sendable {
        public var version = "v1.32.0"
        public var bookmarkInterval: Duration = .seconds(5)
        public var historyLimit = 10_000
        public var namespaces = ["default", "kube-system", "kube-public"]
        public var nodes = ["kube-sim-node-1"]
        public var simulation = SimulationSettings()
        /// Off: a bare API server (nothing schedules pods or runs controllers).
        public var simulate = true
        /// When set, every API request needs a known bearer token and an allowing rule.
        public var access: AccessControl?

        public init() {}
    }

    public let store: ObjectStore
    public let pods: PodRuntime
    public let registry: ResourceRegistry
    public let settings: Settings
    public let cluster: ClusterSimulator
    /// Test hook: an API server that is down, slow or hanging (``APIFaults``).
    public let faults: APIFaults

    public init(settings: Settings = Settings(), registry: ResourceRegistry = .standard) {
        self.settings = settings
        self.registry = registry
        self.store = ObjectStore(registry: registry, historyLimit: settings.historyLimit)
        self.pods = PodRuntime()
        self.faults = APIFaults(store: store)
        self.cluster = ClusterSimulator(store: store, runtime: pods, registry: registry, settings: settings.simulation)
    }

    /// Creates the namespaces and nodes a fresh cluster has, and starts the simulated
    /// scheduler, kubelet and controllers.
    public func seed() async throws {
        if settings.simulate { await cluster.attach() }
        let registry = self.registry
        guard let namespaceType = registry.types.first(where: { $0.plural == "namespaces" }),
            let nodeType = registry.types.first(where: { $0.plural == "nodes" })
        else { return }
        for name in settings.namespaces {
            _ = try await store.create(namespaceType, namespace: nil, object: ["metadata": ["name": .string(name)]])
        }
        for (index, name) in settings.nodes.enumerated() {
            let node: JSONValue = [
                "metadata": ["name": .string(name), "labels": ["kubernetes.io/hostname": .string(name)]],
                "status": [
                    "addresses": [
                        ["type": "InternalIP", "address": .string("172.18.0.\(index + 2)")], ["type": "Hostname", "address": .string(name)],
                    ],
                    "conditions": [["type": "Ready", "status": "True"]],
                ],
            ]
            _ = try await store.create(nodeType, namespace: nil, object: node)
        }
    }

    /// The HTTP service: discovery and resource routes plus the shared health and metrics.
    public func definition(http: HTTPServerSettings, metricsRegistry: PrometheusCollectorRegistry) -> ServiceDefinition<BasicServiceRequestContext> {
        let discovery = DiscoveryRoutes(registry: registry, version: settings.version)
        let resources = ResourceRoutes(
            store: store, registry: registry, discovery: discovery, bookmarkInterval: settings.bookmarkInterval,
            subresources: SubresourceHandler(store: store, pods: pods), access: settings.access, faults: faults
        )
        let exec = ExecUpgrade(store: store, pods: pods, registry: registry, access: settings.access)
        var definition = ServiceDefinition(
            name: "kube-sim", context: BasicServiceRequestContext.self, settings: http, errorStyle: .detail,
            openAPI: OpenAPIDocument(title: "kube-sim", version: settings.version, description: "Kubernetes API emulator (JSON and protobuf)."),
            metricsRegistry: metricsRegistry,
            // The API server's own authentication and rules apply (AccessControl), as in a cluster.
            routes: discovery.routes + resources.routes
                + SimulationControlRoutes(store: store, pods: pods, access: settings.access, faults: faults).routes
        )
        definition.server = .http1WebSocketUpgradeQuiescing { request, _, _ in try await exec.shouldUpgrade(request) }
        return definition
    }
}

extension NamedAccess {
    /// kube-sim's routes: open unless ``KubeSimulator/Settings/access`` is set, then the
    /// bearer tokens and rules of ``AccessControl``, checked by the handlers as an API
    /// server does.
    public static let kubernetesAPI = NamedAccess("kubernetes-api")
}
