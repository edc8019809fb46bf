import Essentials
import Foundation

/// A typed Kubernetes kind. Typed models carry the fields our services use; anything else
/// goes through ``UnstructuredObject``, which keeps every field.
public protocol KubernetesResource: Codable, Sendable {
    static var descriptor: ResourceDescriptor { get }
    var metadata: ObjectMeta { get set }
}

extension KubernetesResource {
    /// This object as JSON with `apiVersion` and `kind` set.
    public func unstructured() throws -> UnstructuredObject {
        var fields = try JSONValue.decode(JSONEncoder().encode(self)).objectValue ?? [:]
        fields["apiVersion"] = .string(Self.descriptor.apiVersion)
        fields["kind"] = .string(Self.descriptor.kind)
        return UnstructuredObject(fields)
    }

    public init(_ object: UnstructuredObject) throws {
        self = try JSONDecoder().decode(Self.self, from: object.json.encoded())
    }
}

public struct ObjectMeta: Codable, Sendable, Equatable {
    public var name: String?
    public var generateName: String?
    public var namespace: String?
    public var uid: String?
    public var resourceVersion: String?
    public var generation: Int?
    public var creationTimestamp: String?
    public var deletionTimestamp: String?
    public var labels: [String: String]?
    public var annotations: [String: String]?
    public var ownerReferences: [OwnerReference]?
    public var finalizers: [String]?

    public init(name: String? = nil, namespace: String? = nil, labels: [String: String]? = nil, annotations: [String: String]? = nil) {
        self.name = name
        self.namespace = namespace
        self.labels = labels
        self.annotations = annotations
    }
}

public struct OwnerReference: Codable, Sendable, Equatable {
    public var apiVersion: String
    public var kind: String
    public var name: String
    public var uid: String
    public var controller: Bool?
    public var blockOwnerDeletion: Bool?

    public init(apiVersion: String, kind: String, name: String, uid: String, controller: Bool? = nil, blockOwnerDeletion: Bool? = nil) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
        self.uid = uid
        self.controller = controller
        self.blockOwnerDeletion = blockOwnerDeletion
    }
}

public struct Condition: Codable, Sendable, Equatable {
    public var type: String
    public var status: String
    public var reason: String?
    public var message: String?
    public var lastTransitionTime: String?
}

public struct LabelSelectorSpec: Codable, Sendable, Equatable {
    public var matchLabels: [String: String]?
    public var matchExpressions: [JSONValue]?

    public init(matchLabels: [String: String]) {
        self.matchLabels = matchLabels
    }
}

/// The API server's answer to a failed (or some successful) calls.
public struct StatusObject: Codable, Sendable, Equatable {
    public var status: String?
    public var message: String?
    public var reason: String?
    public var code: Int?
}
