import AccessPolicy
import Essentials
import Foundation
import Identity

/// A dataset of the local catalog ("package" in CKAN's words, docs/specs/ndp-ep.md §2.6–2.7):
/// general datasets and the typed registrations (Kafka topic, URL, S3 link, service) alike.
struct CatalogDataset: Sendable, Equatable {
    var id: String
    /// Unique, lowercase; accepted wherever an id is.
    var name: String
    var title: String
    /// The owning organization's name (`owner_org`).
    var organization: String
    var notes: String
    var tags: [String]
    var groups: [String]
    /// CKAN-style `{key, value}` pairs in the order given; search answers them flat.
    var extras: [Extra]
    var resources: [CatalogResource]
    var isPrivate: Bool
    var licenseID: String?
    var version: String?
    /// The creator's `ndp_user_id` (the policy's `Object.Creator`).
    var creator: String?
    var created: Date
    var modified: Date

    struct Extra: Sendable, Equatable {
        var key: String
        var value: JSONValue
    }

    func extra(_ key: String) -> JSONValue? { extras.last { $0.key == key }?.value }

    /// Sets `key` (replacing an existing value in place, else appending).
    mutating func setExtra(_ key: String, _ value: JSONValue) {
        if let index = extras.firstIndex(where: { $0.key == key }) {
            extras[index].value = value
        } else {
            extras.append(Extra(key: key, value: value))
        }
    }
}

/// A file, stream or link inside a dataset (§2.8).
struct CatalogResource: Sendable, Equatable {
    var id: String
    var url: String
    var name: String
    var format: String
    var description: String
    var mimetype: String?
    var size: Int?
    var created: Date
}

// MARK: The policy's view, and upstream's marks

extension CatalogDataset {
    static func mode(isPrivate: Bool) -> PolicyMode { isPrivate ? .private : .public }

    /// The dataset as the access policy sees it (its resources too): mode, name, creator.
    var policyObject: PolicyObject { PolicyObject(mode: Self.mode(isPrivate: isPrivate), id: name, creator: creator) }

    /// The extras ``stamp(endpointOrganization:user:)`` writes.
    static let marks: Set<String> = ["ndp_group_id", "ndp_user_id", "ndp_creator_md5"]

    /// The marks upstream puts on every dataset (docs/specs/ndp-ep.md §2.15): `ndp_group_id`
    /// (the endpoint's `ORGANIZATION`), and the creator's `ndp_user_id` and `ndp_creator_md5`.
    mutating func stamp(endpointOrganization: String, user: UserIdentity?) {
        setExtra("ndp_group_id", .string(endpointOrganization))
        if let user {
            let creator = CreatorStamp(user)
            setExtra("ndp_user_id", .string(creator.userID))
            setExtra("ndp_creator_md5", .string(creator.md5))
        }
    }
}

// MARK: The stored document and the search answer

extension CatalogDataset {
    /// Everything but the resources, as the database keeps it.
    var document: JSONValue {
        var fields: [String: JSONValue] = [
            "id": .string(id), "name": .string(name), "title": .string(title), "owner_org": .string(organization), "notes": .string(notes),
            "tags": .array(tags.map(JSONValue.string)), "groups": .array(groups.map(JSONValue.string)),
            "extras": .array(extras.map { ["key": .string($0.key), "value": $0.value] }), "private": .bool(isPrivate),
            "created": .string(Timestamp.isoUTC(created)), "modified": .string(Timestamp.isoUTC(modified)),
        ]
        fields["license_id"] = licenseID.map(JSONValue.string)
        fields["version"] = version.map(JSONValue.string)
        fields["creator"] = creator.map(JSONValue.string)
        return .object(fields)
    }

    init?(document: JSONValue, resources: [CatalogResource]) {
        guard let id = document["id"]?.stringValue, let name = document["name"]?.stringValue else { return nil }
        self.init(
            id: id, name: name, title: document["title"]?.stringValue ?? "", organization: document["owner_org"]?.stringValue ?? "",
            notes: document["notes"]?.stringValue ?? "", tags: (document["tags"]?.arrayValue ?? []).compactMap(\.stringValue),
            groups: (document["groups"]?.arrayValue ?? []).compactMap(\.stringValue),
            extras: (document["extras"]?.arrayValue ?? []).compactMap { entry in
                entry["key"]?.stringValue.map { Extra(key: $0, value: entry["value"] ?? .null) }
            },
            resources: resources, isPrivate: document["private"]?.boolValue ?? false, licenseID: document["license_id"]?.stringValue,
            version: document["version"]?.stringValue, creator: document["creator"]?.stringValue,
            created: CatalogTime.parse(document["created"]?.stringValue), modified: CatalogTime.parse(document["modified"]?.stringValue))
    }

    /// The result item of both searches (§2.9): extras flat, `mapping` and `processing`
    /// decoded from their JSON strings.
    var searchResult: JSONValue {
        var flat: [String: JSONValue] = [:]
        for extra in extras {
            if ["mapping", "processing"].contains(extra.key), let text = extra.value.stringValue,
                let decoded = try? JSONValue.decode(Data(text.utf8)), decoded.objectValue != nil
            {
                flat[extra.key] = decoded
            } else {
                flat[extra.key] = extra.value
            }
        }
        return [
            "id": .string(id), "name": .string(name), "title": .string(title), "owner_org": .string(organization), "notes": .string(notes),
            "resources": .array(resources.map(\.summary)), "extras": .object(flat),
        ]
    }

    /// The words the full-text index keeps for this dataset.
    var words: String {
        var parts = [name, title, organization, notes] + tags + groups
        for extra in extras { parts += [extra.key, extra.value.scalarDescription ?? String(decoding: extra.value.bytes(), as: UTF8.self)] }
        for resource in resources { parts += [resource.name, resource.url, resource.format, resource.description] }
        return parts.joined(separator: " ")
    }
}

extension CatalogResource {
    /// In search results: `{id, url, name, description, format}`.
    var summary: JSONValue {
        ["id": .string(id), "url": .string(url), "name": .string(name), "description": .string(description), "format": .string(format)]
    }

    var document: JSONValue {
        var fields: [String: JSONValue] = [
            "id": .string(id), "url": .string(url), "name": .string(name), "format": .string(format), "description": .string(description),
            "created": .string(Timestamp.isoUTC(created)),
        ]
        fields["mimetype"] = mimetype.map(JSONValue.string)
        fields["size"] = size.map { .number(Double($0)) }
        return .object(fields)
    }

    init?(document: JSONValue) {
        guard let id = document["id"]?.stringValue else { return nil }
        self.init(
            id: id, url: document["url"]?.stringValue ?? "", name: document["name"]?.stringValue ?? "",
            format: document["format"]?.stringValue ?? "", description: document["description"]?.stringValue ?? "",
            mimetype: document["mimetype"]?.stringValue, size: document["size"]?.doubleValue.map { Int($0) },
            created: CatalogTime.parse(document["created"]?.stringValue))
    }
}

/// The catalog's timestamps as stored (upstream's `isoformat()` text, to the millisecond).
enum CatalogTime {
    /// Half a millisecond is added: the text's milliseconds are rarely exact in binary, and the
    /// formatter truncates, so without it a timestamp read and written again could lose one.
    static func parse(_ text: String?) -> Date {
        guard let text else { return Date(timeIntervalSince1970: 0) }
        let iso = text.hasSuffix("+00:00") ? String(text.dropLast(6)) + "Z" : text
        guard let date = try? Date(iso, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) else {
            return Date(timeIntervalSince1970: 0)
        }
        return date.addingTimeInterval(0.0005)
    }
}
