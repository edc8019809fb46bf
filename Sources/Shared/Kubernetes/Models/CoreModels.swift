import Essentials

/// Core (v1) kinds: namespaces, config, pods, services, nodes, storage, quotas, events.
public enum CoreV1 {}

extension CoreV1 {
    public struct Namespace: KubernetesResource, Equatable {
        public static let descriptor = ResourceDescriptor.namespaces
        public var metadata: ObjectMeta
        public var status: Status?

        public struct Status: Codable, Sendable, Equatable { public var phase: String? }

        public init(metadata: ObjectMeta) { self.metadata = metadata }
    }

    public struct ConfigMap: KubernetesResource, Equatable {
        public static let descriptor = ResourceDescriptor.configMaps
        public var metadata: ObjectMeta
        public var data: [String: String]?
        public var immutable: Bool?

        public init(metadata: ObjectMeta, data: [String: String]? = nil) {
            self.metadata = metadata
            self.data = data
        }
    }

    public struct Secret: KubernetesResource, Equatable {
        public static let descriptor = ResourceDescriptor.secrets
        public var metadata: ObjectMeta
        public var type: String?
        /// Base64 values, as the API stores them.
        public var data: [String: String]?
        /// Plain values, converted to `data` by the server.
        public var stringData: [String: String]?

        public init(metadata: ObjectMeta, type: String? = "Opaque", stringData: [String: String]) {
            self.metadata = metadata
            self.type = type
            self.stringData = stringData
        }
    }

    public struct Pod: KubernetesResource, Equatable {
        public static let descriptor = ResourceDescriptor.pods
        public var metadata: ObjectMeta
        public var spec: PodSpec?
        public var status: PodStatus?

        public init(metadata: ObjectMeta, spec: PodSpec) {
            self.metadata = metadata
            self.spec = spec
        }

        /// The Ready condition is True.
        public var isReady: Bool {
            status?.conditions?.contains { $0.type == "Ready" && $0.status == "True" } ?? false
        }
    }

    public struct PodSpec: Codable, Sendable, Equatable {
        public var containers: [Container]
        public var initContainers: [Container]?
        public var restartPolicy: String?
        public var nodeName: String?
        public var serviceAccountName: String?
        public var automountServiceAccountToken: Bool?
        public var enableServiceLinks: Bool?
        public var hostNetwork: Bool?
        public var hostPID: Bool?
        public var securityContext: JSONValue?
        public var volumes: [JSONValue]?
        public var imagePullSecrets: [LocalObjectReference]?
        public var nodeSelector: [String: String]?
        public var terminationGracePeriodSeconds: Int?

        public init(containers: [Container], restartPolicy: String? = nil) {
            self.containers = containers
            self.restartPolicy = restartPolicy
        }
    }

    public struct LocalObjectReference: Codable, Sendable, Equatable {
        public var name: String
        public init(name: String) { self.name = name }
    }

    public struct Container: Codable, Sendable, Equatable {
        public var name: String
        public var image: String?
        public var imagePullPolicy: String?
        public var command: [String]?
        public var args: [String]?
        public var workingDir: String?
        public var env: [EnvVar]?
        public var ports: [ContainerPort]?
        public var resources: ResourceRequirements?
        public var volumeMounts: [VolumeMount]?
        public var securityContext: JSONValue?
        public var readinessProbe: JSONValue?
        public var livenessProbe: JSONValue?

        public init(name: String, image: String, command: [String]? = nil, args: [String]? = nil, env: [EnvVar]? = nil) {
            self.name = name
            self.image = image
            self.command = command
            self.args = args
            self.env = env
        }
    }

    public struct EnvVar: Codable, Sendable, Equatable {
        public var name: String
        public var value: String?
        public var valueFrom: JSONValue?
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public struct ContainerPort: Codable, Sendable, Equatable {
        public var name: String?
        public var containerPort: Int
        public var `protocol`: String?
        public init(containerPort: Int, name: String? = nil) {
            self.containerPort = containerPort
            self.name = name
        }
    }

    public struct ResourceRequirements: Codable, Sendable, Equatable {
        public var requests: [String: String]?
        public var limits: [String: String]?
        public init(requests: [String: String]? = nil, limits: [String: String]? = nil) {
            self.requests = requests
            self.limits = limits
        }
    }

    public struct VolumeMount: Codable, Sendable, Equatable {
        public var name: String
        public var mountPath: String
        public var readOnly: Bool?
        public var subPath: String?
        public init(name: String, mountPath: String, readOnly: Bool? = nil) {
            self.name = name
            self.mountPath = mountPath
            self.readOnly = readOnly
        }
    }

    public struct PodStatus: Codable, Sendable, Equatable {
        public var phase: String?
        public var podIP: String?
        public var hostIP: String?
        public var startTime: String?
        public var conditions: [Condition]?
        public var containerStatuses: [ContainerStatus]?
    }

    public struct ContainerStatus: Codable, Sendable, Equatable {
        public var name: String
        public var ready: Bool
        public var restartCount: Int?
        public var image: String?
        public var state: JSONValue?
    }

    public struct Service: KubernetesResource, Equatable {
        public static let descriptor = ResourceDescriptor.services
        public var metadata: ObjectMeta
        public var spec: ServiceSpec?

        public init(metadata: ObjectMeta, spec: ServiceSpec) {
            self.metadata = metadata
            self.spec = spec
        }
    }

    public struct ServiceSpec: Codable, Sendable, Equatable {
        public var type: String?
        public var selector: [String: String]?
        public var ports: [ServicePort]?
        public var clusterIP: String?

        public init(type: String? = nil, selector: [String: String]? = nil, ports: [ServicePort]) {
            self.type = type
            self.selector = selector
            self.ports = ports
        }
    }

    public struct ServicePort: Codable, Sendable, Equatable {
        public var name: String?
        public var port: Int
        public var targetPort: JSONValue?
        public var nodePort: Int?
        public var `protocol`: String?

        public init(name: String? = nil, port: Int, targetPort: Int? = nil, nodePort: Int? = nil) {
            self.name = name
            self.port = port
            self.targetPort = targetPort.map { .number(Double($0)) }
            self.nodePort = nodePort
        }
    }

    public struct Node: KubernetesResource, Equatable {
        public static let descriptor = ResourceDescriptor.nodes
        public var metadata: ObjectMeta
        public var status: Status?

        public struct Status: Codable, Sendable, Equatable {
            public var addresses: [Address]?
            public var conditions: [Condition]?
        }

        public struct Address: Codable, Sendable, Equatable {
            public var type: String
            public var address: String
        }
    }

    public struct PersistentVolume: KubernetesResource, Equatable {
        public static let descriptor = ResourceDescriptor.persistentVolumes
        public var metadata: ObjectMeta
        public var spec: Spec?
        public var status: VolumeStatus?

        public struct Spec: Codable, Sendable, Equatable {
            public var capacity: [String: String]?
            public var accessModes: [String]?
            public var storageClassName: String?
            public var persistentVolumeReclaimPolicy: String?
            public var nfs: NFS?
            public var claimRef: JSONValue?
            public var mountOptions: [String]?

            public init(capacity: [String: String], accessModes: [String], nfs: NFS? = nil, storageClassName: String? = nil) {
                self.capacity = capacity
                self.accessModes = accessModes
                self.nfs = nfs
                self.storageClassName = storageClassName
            }
        }

        public struct NFS: Codable, Sendable, Equatable {
            public var server: String
            public var path: String
            public var readOnly: Bool?
            public init(server: String, path: String) {
                self.server = server
                self.path = path
            }
        }

        public init(metadata: ObjectMeta, spec: Spec) {
            self.metadata = metadata
            self.spec = spec
        }
    }

    public struct VolumeStatus: Codable, Sendable, Equatable {
        public var phase: String?
        public var capacity: [String: String]?
    }

    public struct PersistentVolumeClaim: KubernetesResource, Equatable {
        public static let descriptor = ResourceDescriptor.persistentVolumeClaims
        public var metadata: ObjectMeta
        public var spec: Spec?
        public var status: VolumeStatus?

        public struct Spec: Codable, Sendable, Equatable {
            public var accessModes: [String]?
            public var resources: ResourceRequirements?
            public var volumeName: String?
            public var storageClassName: String?

            public init(accessModes: [String], storage: String, volumeName: String? = nil, storageClassName: String? = nil) {
                self.accessModes = accessModes
                self.resources = ResourceRequirements(requests: ["storage": storage])
                self.volumeName = volumeName
                self.storageClassName = storageClassName
            }
        }

        public init(metadata: ObjectMeta, spec: Spec) {
            self.metadata = metadata
            self.spec = spec
        }
    }

    public struct ResourceQuota: KubernetesResource, Equatable {
        public static let descriptor = ResourceDescriptor.resourceQuotas
        public var metadata: ObjectMeta
        public var spec: Spec?

        public struct Spec: Codable, Sendable, Equatable {
            public var hard: [String: String]
            public init(hard: [String: String]) { self.hard = hard }
        }

        public init(metadata: ObjectMeta, hard: [String: String]) {
            self.metadata = metadata
            self.spec = Spec(hard: hard)
        }
    }

    public struct Event: KubernetesResource, Equatable {
        public static let descriptor = ResourceDescriptor.events
        public var metadata: ObjectMeta
        public var involvedObject: JSONValue?
        public var reason: String?
        public var message: String?
        public var type: String?
        public var count: Int?
        public var firstTimestamp: String?
        public var lastTimestamp: String?
    }
}
