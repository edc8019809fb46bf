import Essentials

/// One change, as a watch stream reports it.
public struct WatchEvent: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case added = "ADDED"
        case modified = "MODIFIED"
        case deleted = "DELETED"
        case bookmark = "BOOKMARK"
        case error = "ERROR"
    }

    public let kind: Kind
    public let object: JSONValue
    public let revision: Int
    let resourceKey: String
    let namespace: String

    public var json: JSONValue { ["type": .string(kind.rawValue), "object": object] }
}

/// What a watcher wants to see.
struct WatchFilter: Sendable {
    let resourceKey: String
    let namespace: String?
    let labels: LabelSelector
    let fields: FieldSelector
    let name: String?

    func matches(_ event: WatchEvent) -> Bool {
        guard event.resourceKey == resourceKey else { return false }
        if let namespace, event.namespace != namespace { return false }
        if let name, event.object["metadata"]?["name"]?.stringValue != name { return false }
        return labels.matches(ObjectMeta.labels(event.object)) && fields.matches(event.object)
    }
}
