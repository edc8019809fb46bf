import Essentials
import Foundation
import ServiceKit

/// The catalog's datasets, organizations and resources as CKAN's action API shows them
/// ("package", "organization" and "resource" dictionaries), and CKAN's package dictionaries
/// read back into the catalog's own request (`DatasetRequest`), so the same validation serves
/// `POST /dataset` and `package_create`.
///
/// Extras keep the JSON values they were stored with (CKAN's own are always strings; this
/// catalog's registrations store numbers and objects too, and a federated copy must not turn
/// them into text).
enum PackageDictionary {
    static func package(_ dataset: CatalogDataset, organization: CatalogOrganization?) -> JSONValue {
        [
            "id": .string(dataset.id), "name": .string(dataset.name), "title": .string(dataset.title), "notes": .string(dataset.notes),
            "type": "dataset", "state": "active", "private": .bool(dataset.isPrivate),
            "owner_org": .string(organization?.id ?? dataset.organization),
            "organization": organization.map { Self.organization($0, packageCount: nil) } ?? .null,
            "license_id": dataset.licenseID.map(JSONValue.string) ?? .null, "version": dataset.version.map(JSONValue.string) ?? .null,
            "metadata_created": .string(timestamp(dataset.created)), "metadata_modified": .string(timestamp(dataset.modified)),
            "creator_user_id": dataset.creator.map(JSONValue.string) ?? .null,
            "author": .null, "author_email": .null, "maintainer": .null, "maintainer_email": .null, "url": .null,
            "tags": .array(dataset.tags.map { ["name": .string($0), "display_name": .string($0), "state": "active", "vocabulary_id": .null] }),
            "groups": .array(dataset.groups.map { ["name": .string($0), "title": .string($0), "display_name": .string($0)] }),
            "extras": .array(dataset.extras.map { ["key": .string($0.key), "value": $0.value] }),
            "resources": .array(dataset.resources.enumerated().map { resource($1, datasetID: dataset.id, position: $0) }),
            "num_resources": .number(Double(dataset.resources.count)), "num_tags": .number(Double(dataset.tags.count)),
        ]
    }

    static func resource(_ resource: CatalogResource, datasetID: String, position: Int) -> JSONValue {
        [
            "id": .string(resource.id), "package_id": .string(datasetID), "url": .string(resource.url), "name": .string(resource.name),
            "format": .string(resource.format), "description": .string(resource.description),
            "mimetype": resource.mimetype.map(JSONValue.string) ?? .null, "size": resource.size.map { .number(Double($0)) } ?? .null,
            "created": .string(timestamp(resource.created)), "last_modified": .null, "position": .number(Double(position)),
            "state": "active", "url_type": .null,
        ]
    }

    static func organization(_ organization: CatalogOrganization, packageCount: Int?) -> JSONValue {
        var fields: [String: JSONValue] = [
            "id": .string(organization.id), "name": .string(organization.name), "title": .string(organization.title),
            "display_name": .string(organization.title.isEmpty ? organization.name : organization.title),
            "description": .string(organization.description), "created": .string(timestamp(organization.created)), "type": "organization",
            "is_organization": true, "state": "active", "approval_status": "approved", "image_url": "",
        ]
        if let packageCount { fields["package_count"] = .number(Double(packageCount)) }
        // Upstream's marks on who made it (docs/specs/ndp-ep.md §2.15), as CKAN keeps them.
        fields["extras"] = .array(
            organization.creator.map {
                [["key": "ndp_user_id", "value": .string($0.userID)], ["key": "ndp_creator_md5", "value": .string($0.md5)]]
            }
                ?? [])
        return .object(fields)
    }

    /// CKAN's timestamps: ISO 8601 in UTC without a zone suffix (here to the millisecond).
    static func timestamp(_ date: Date) -> String {
        let text = Timestamp.isoUTC(date)
        return text.hasSuffix("+00:00") ? String(text.dropLast(6)) : text
    }

    /// A package dictionary as the body `DatasetRequest` reads: tags and groups from
    /// `[{name}]` (or plain strings), extras from `[{key, value}]`, `owner_org` given as is
    /// (the caller resolves an id to a name). Fields CKAN has and this catalog does not
    /// (author, maintainer, url) are ignored, as unknown fields are by `POST /dataset`.
    static func requestBody(_ parameters: ActionParameters) throws -> [String: JSONValue] {
        var body = parameters.values
        for field in ["tags", "groups"] {
            guard let value = parameters[field] else { continue }
            guard let entries = value.arrayValue else { throw ActionError.validation(field, "Must be a list") }
            body[field] = .array(
                try entries.map { entry in
                    if let name = entry.stringValue ?? entry["name"]?.stringValue { return .string(name) }
                    throw ActionError.validation(field, "Each entry must be a name or an object with a name")
                })
        }
        if let value = parameters["extras"] {
            guard let entries = value.arrayValue else { throw ActionError.validation("extras", "Must be a list of {key, value}") }
            var extras: [String: JSONValue] = [:]
            for entry in entries {
                guard let key = entry["key"]?.stringValue, !key.isEmpty else {
                    throw ActionError.validation("extras", "Each extra needs a key")
                }
                extras[key] = entry["value"] ?? .null
            }
            body["extras"] = .object(extras)
        }
        if let value = parameters["private"] { body["private"] = .bool(try parameters.bool("private", default: value.boolValue ?? false)) }
        return body
    }
}

// MARK: Reading CKAN's dictionaries (a remote catalog's answers)

extension PackageDictionary {
    /// A package dictionary from any CKAN as the catalog's dataset: `creator` is the
    /// `ndp_user_id` extra (what upstream's endpoints stamp; the policy's `Object.Creator`).
    static func dataset(_ package: JSONValue) -> CatalogDataset? {
        guard let id = package["id"]?.stringValue, let name = package["name"]?.stringValue else { return nil }
        let extras = (package["extras"]?.arrayValue ?? []).compactMap { entry in
            entry["key"]?.stringValue.map { CatalogDataset.Extra(key: $0, value: entry["value"] ?? .null) }
        }
        func names(_ field: String) -> [String] {
            (package[field]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue ?? $0.stringValue }
        }
        return CatalogDataset(
            id: id, name: name, title: package["title"]?.stringValue ?? name,
            organization: package["organization"]?["name"]?.stringValue ?? package["owner_org"]?.stringValue ?? "",
            notes: package["notes"]?.stringValue ?? "", tags: names("tags"), groups: names("groups"), extras: extras,
            resources: (package["resources"]?.arrayValue ?? []).compactMap(resource), isPrivate: package["private"]?.boolValue ?? false,
            licenseID: package["license_id"]?.stringValue, version: package["version"]?.stringValue,
            creator: extras.last { $0.key == "ndp_user_id" }?.value.stringValue, created: time(package["metadata_created"]),
            modified: time(package["metadata_modified"]))
    }

    static func resource(_ dictionary: JSONValue) -> CatalogResource? {
        guard let id = dictionary["id"]?.stringValue else { return nil }
        return CatalogResource(
            id: id, url: dictionary["url"]?.stringValue ?? "", name: dictionary["name"]?.stringValue ?? "",
            format: dictionary["format"]?.stringValue ?? "", description: dictionary["description"]?.stringValue ?? "",
            mimetype: dictionary["mimetype"]?.stringValue, size: dictionary["size"]?.doubleValue.map { Int($0) },
            created: time(dictionary["created"]))
    }

    static func organization(from dictionary: JSONValue) -> CatalogOrganization? {
        guard let id = dictionary["id"]?.stringValue, let name = dictionary["name"]?.stringValue else { return nil }
        let extras = dictionary["extras"]?.arrayValue ?? []
        func extra(_ key: String) -> String? { extras.last { $0["key"]?.stringValue == key }?["value"]?.stringValue }
        return CatalogOrganization(
            id: id, name: name, title: dictionary["title"]?.stringValue ?? name, description: dictionary["description"]?.stringValue ?? "",
            creator: extra("ndp_user_id").map { CreatorStamp(userID: $0, md5: extra("ndp_creator_md5") ?? "") },
            created: time(dictionary["created"]))
    }

    /// CKAN writes `2026-01-02T03:04:05.123456` (UTC, no zone); this catalog the same to the
    /// millisecond, or with `+00:00`.
    static func time(_ value: JSONValue?) -> Date {
        guard var text = value?.stringValue, !text.isEmpty else { return Date(timeIntervalSince1970: 0) }
        if text.hasSuffix("+00:00") { text = String(text.dropLast(6)) }
        if text.hasSuffix("Z") { text.removeLast() }
        if let dot = text.firstIndex(of: ".") {
            let fraction = text[text.index(after: dot)...].prefix(3)
            text = String(text[..<dot]) + "." + fraction.padding(toLength: 3, withPad: "0", startingAt: 0)
        } else {
            text += ".000"
        }
        return CatalogTime.parse(text + "Z")
    }

    /// The data dictionary `package_create` and `package_update` take for `dataset`:
    /// resources with their ids (an endpoint keeps them; CKAN does for existing ones).
    /// `stringExtras`: CKAN itself takes only text values, so other JSON values are sent as
    /// their JSON text (as upstream stores `mapping` and `processing`); another endpoint keeps
    /// the types.
    static func packageData(_ dataset: CatalogDataset, includingID: Bool, stringExtras: Bool = false) -> [String: JSONValue] {
        var data: [String: JSONValue] = [
            "name": .string(dataset.name), "title": .string(dataset.title), "owner_org": .string(dataset.organization),
            "notes": .string(dataset.notes), "private": .bool(dataset.isPrivate),
            "license_id": dataset.licenseID.map(JSONValue.string) ?? .null, "version": dataset.version.map(JSONValue.string) ?? .null,
            "tags": .array(dataset.tags.map { ["name": .string($0)] }), "groups": .array(dataset.groups.map { ["name": .string($0)] }),
            "extras": .array(
                dataset.extras.map { extra in
                    let value = stringExtras ? .string(extra.value.stringValue ?? String(decoding: extra.value.bytes(), as: UTF8.self)) : extra.value
                    return ["key": .string(extra.key), "value": value]
                }),
            "resources": .array(
                dataset.resources.map { resource in
                    var fields: [String: JSONValue] = [
                        "url": .string(resource.url), "name": .string(resource.name), "format": .string(resource.format),
                        "description": .string(resource.description),
                    ]
                    if includingID { fields["id"] = .string(resource.id) }
                    fields["mimetype"] = resource.mimetype.map(JSONValue.string)
                    fields["size"] = resource.size.map { .number(Double($0)) }
                    return .object(fields)
                }),
        ]
        if includingID { data["id"] = .string(dataset.id) }
        return data
    }
}
