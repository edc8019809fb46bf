import Essentials

/// A Kubernetes object as JSON, every field kept: the pods backend patches arbitrary user
/// manifests and must not drop what it does not understand.
public struct UnstructuredObject: Sendable, Equatable {
    public var fields: [String: JSONValue]

    public init(_ fields: [String: JSONValue]) {
        self.fields = fields
    }

    public init?(_ value: JSONValue) {
        guard let fields = value.objectValue else { return nil }
        self.fields = fields
    }

    public var json: JSONValue { .object(fields) }

    public subscript(key: String) -> JSONValue? {
        get { fields[key] }
        set { fields[key] = newValue }
    }

    public var metadata: [String: JSONValue] {
        get { fields["metadata"]?.objectValue ?? [:] }
        set { fields["metadata"] = .object(newValue) }
    }

    public var name: String? { metadata["name"]?.stringValue }
    public var namespace: String? { metadata["namespace"]?.stringValue }
    public var uid: String? { metadata["uid"]?.stringValue }
    public var resourceVersion: String? { metadata["resourceVersion"]?.stringValue }
    public var labels: [String: String] { (metadata["labels"]?.objectValue ?? [:]).compactMapValues(\.stringValue) }
    public var annotations: [String: String] { (metadata["annotations"]?.objectValue ?? [:]).compactMapValues(\.stringValue) }
    public var isBeingDeleted: Bool { metadata["deletionTimestamp"] != nil }
}

/// A page of a list call.
public struct ObjectList: Sendable {
    public let items: [UnstructuredObject]
    public let resourceVersion: String
    public let continueToken: String?
}
