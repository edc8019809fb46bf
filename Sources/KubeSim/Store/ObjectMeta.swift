import Essentials
import Foundation

/// Reading and writing `metadata` fields of unstructured objects.
enum ObjectMeta {
    static func labels(_ object: JSONValue) -> [String: String] {
        (object["metadata"]?["labels"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
    }

    static func name(_ object: JSONValue) -> String? { object["metadata"]?["name"]?.stringValue }
    static func namespace(_ object: JSONValue) -> String? { object["metadata"]?["namespace"]?.stringValue }
    static func uid(_ object: JSONValue) -> String? { object["metadata"]?["uid"]?.stringValue }

    static func resourceVersion(_ object: JSONValue) -> String? {
        object["metadata"]?["resourceVersion"]?.stringValue
    }

    static func finalizers(_ object: JSONValue) -> [String] {
        (object["metadata"]?["finalizers"]?.arrayValue ?? []).compactMap(\.stringValue)
    }

    static func ownerUIDs(_ object: JSONValue) -> [String] {
        (object["metadata"]?["ownerReferences"]?.arrayValue ?? []).compactMap { $0["uid"]?.stringValue }
    }

    /// Sets `metadata.<key>`; `nil` removes it.
    static func setting(_ key: String, _ value: JSONValue?, in object: JSONValue) -> JSONValue {
        var fields = object.objectValue ?? [:]
        var metadata = fields["metadata"]?.objectValue ?? [:]
        metadata[key] = value
        fields["metadata"] = .object(metadata)
        return .object(fields)
    }

    static func setting(path: [String], _ value: JSONValue?, in object: JSONValue) -> JSONValue {
        guard let first = path.first else { return value ?? .null }
        var fields = object.objectValue ?? [:]
        if path.count == 1 {
            fields[first] = value
        } else {
            fields[first] = setting(path: Array(path.dropFirst()), value, in: fields[first] ?? .object([:]))
        }
        return .object(fields)
    }

    static func timestamp(_ date: Date) -> JSONValue {
        .string(Timestamp.kubernetes(date))
    }

    /// DNS-1123 label (namespaces, services, pods) or subdomain (everything else), with the
    /// API server's messages.
    static func validateName(_ name: String, label: Bool) -> String? {
        let limit = label ? 63 : 253
        guard !name.isEmpty, name.utf8.count <= limit else { return "must be no more than \(limit) characters" }
        guard label ? DNSName.isLabel(name) : DNSName.isSubdomain(name) else {
            return label
                ? "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character"
                : "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"
        }
        return nil
    }
}
