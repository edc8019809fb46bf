import Essentials

/// `apps/v1` Deployments and `networking.k8s.io/v1` Ingresses and NetworkPolicies.
public enum AppsV1 {}

extension AppsV1 {
    public struct Deployment: KubernetesResource, Equatable {
        public static let descriptor = ResourceDescriptor.deployments
        public var metadata: ObjectMeta
        public var spec: Spec?
        public var status: Status?

        public struct Spec: Codable, Sendable, Equatable {
            public var replicas: Int?
            public var selector: LabelSelectorSpec
            public var template: PodTemplate
            public var strategy: JSONValue?

            public init(replicas: Int = 1, selector: LabelSelectorSpec, template: PodTemplate) {
                self.replicas = replicas
                self.selector = selector
                self.template = template
            }
        }

        public struct PodTemplate: Codable, Sendable, Equatable {
            public var metadata: ObjectMeta?
            public var spec: CoreV1.PodSpec

            public init(metadata: ObjectMeta, spec: CoreV1.PodSpec) {
                self.metadata = metadata
                self.spec = spec
            }
        }

        public struct Status: Codable, Sendable, Equatable {
            public var replicas: Int?
            public var readyReplicas: Int?
            public var availableReplicas: Int?
            public var observedGeneration: Int?
            public var conditions: [Condition]?
        }

        public init(metadata: ObjectMeta, spec: Spec) {
            self.metadata = metadata
            self.spec = spec
        }
    }
}

public enum NetworkingV1 {}

extension NetworkingV1 {
    public struct Ingress: KubernetesResource, Equatable {
        public static let descriptor = ResourceDescriptor.ingresses
        public var metadata: ObjectMeta
        public var spec: Spec?

        public struct Spec: Codable, Sendable, Equatable {
            public var ingressClassName: String?
            public var tls: [TLS]?
            public var rules: [Rule]?

            public init(ingressClassName: String? = nil, tls: [TLS]? = nil, rules: [Rule]) {
                self.ingressClassName = ingressClassName
                self.tls = tls
                self.rules = rules
            }
        }

        public struct TLS: Codable, Sendable, Equatable {
            public var hosts: [String]?
            public var secretName: String?
            public init(hosts: [String], secretName: String?) {
                self.hosts = hosts
                self.secretName = secretName
            }
        }

        public struct Rule: Codable, Sendable, Equatable {
            public var host: String?
            public var http: HTTP?
            public init(host: String, paths: [Path]) {
                self.host = host
                self.http = HTTP(paths: paths)
            }
        }

        public struct HTTP: Codable, Sendable, Equatable {
            public var paths: [Path]
        }

        public struct Path: Codable, Sendable, Equatable {
            public var path: String?
            public var pathType: String
            public var backend: Backend

            /// A path routed to `service:port`.
            public init(path: String, pathType: String = "Prefix", service: String, port: Int) {
                self.path = path
                self.pathType = pathType
                self.backend = Backend(service: .init(name: service, port: .init(number: port)))
            }
        }

        public struct Backend: Codable, Sendable, Equatable {
            public var service: ServiceBackend?
        }

        public struct ServiceBackend: Codable, Sendable, Equatable {
            public var name: String
            public var port: Port
        }

        public struct Port: Codable, Sendable, Equatable {
            public var number: Int?
            public var name: String?
            init(number: Int) { self.number = number }
        }

        public init(metadata: ObjectMeta, spec: Spec) {
            self.metadata = metadata
            self.spec = spec
        }
    }

    public struct NetworkPolicy: KubernetesResource, Equatable {
        public static let descriptor = ResourceDescriptor.networkPolicies
        public var metadata: ObjectMeta
        public var spec: Spec?

        public struct Spec: Codable, Sendable, Equatable {
            public var podSelector: LabelSelectorSpec
            public var policyTypes: [String]?
            /// Rules stay JSON: their shapes are many and we only pass them through.
            public var ingress: [JSONValue]?
            public var egress: [JSONValue]?

            public init(podSelector: LabelSelectorSpec, policyTypes: [String], ingress: [JSONValue]? = nil, egress: [JSONValue]? = nil) {
                self.podSelector = podSelector
                self.policyTypes = policyTypes
                self.ingress = ingress
                self.egress = egress
            }
        }

        public init(metadata: ObjectMeta, spec: Spec) {
            self.metadata = metadata
            self.spec = spec
        }
    }
}
