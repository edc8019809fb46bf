import Essentials
import Foundation
import ServiceKit

/// The body of `POST /dataset` and of `PUT`/`PATCH /dataset/{id}` (upstream's
/// GeneralDatasetRequest and GeneralDatasetUpdateRequest, docs/specs/ndp-ep.md §2.6): every
/// field checked, unknown fields ignored as pydantic does, mistakes answered 422.
struct DatasetRequest: Sendable {
    var name: String?
    var title: String?
    var organization: String?
    var notes: String?
    var tags: [String]?
    var groups: [String]?
    var extras: [CatalogDataset.Extra]?
    var resources: [ResourceRequest]?
    var isPrivate: Bool?
    var licenseID: String?
    var version: String?

    struct ResourceRequest: Sendable {
        var url: String
        var name: String
        var format: String?
        var description: String?
        var mimetype: String?
        var size: Int?
    }

    /// Extras keys a caller may not set: they are the dataset's own fields.
    static let reservedKeys: Set<String> = [
        "name", "title", "owner_org", "notes", "id", "resources", "tags", "private", "license_id", "version", "state", "created",
        "last_modified", "url",
    ]

    /// `creating`: name, title and owner_org are required. `anyResourceURL`: a resource's url
    /// may be any text, empty too, as CKAN's action API takes it (a Kafka topic has none).
    init(_ body: [String: JSONValue], creating: Bool, anyResourceURL: Bool = false) throws {
        name = try Self.string(body, "name", required: creating)
        if let name, !CatalogText.isValidName(name) {
            throw APIError.validation("name must be 2 to 100 lowercase letters, digits, '-' or '_'", field: "name")
        }
        title = try Self.string(body, "title", required: creating)
        organization = try Self.string(body, "owner_org", required: creating)
        notes = try Self.string(body, "notes", required: false)
        tags = try Self.strings(body, "tags")
        groups = try Self.strings(body, "groups")
        licenseID = try Self.string(body, "license_id", required: false)
        version = try Self.string(body, "version", required: false)
        switch body["private"] {
        case nil, .null: isPrivate = nil
        case .bool(let value): isPrivate = value
        default: throw APIError.validation("Input should be a valid boolean", field: "private")
        }
        switch body["extras"] {
        case nil, .null: extras = nil
        case .object(let fields):
            if let reserved = fields.keys.sorted().first(where: Self.reservedKeys.contains) {
                throw APIError(.badRequest, detail: "Reserved key error: '\(reserved)' is a dataset field and cannot be an extra")
            }
            extras = fields.keys.sorted().map { CatalogDataset.Extra(key: $0, value: fields[$0]!) }
        default: throw APIError.validation("Input should be a valid dictionary", field: "extras")
        }
        switch body["resources"] {
        case nil, .null: resources = nil
        case .array(let entries): resources = try entries.enumerated().map { try Self.resource($1, index: $0, anyURL: anyResourceURL) }
        default: throw APIError.validation("Input should be a valid list", field: "resources")
        }
    }

    private static func string(_ body: [String: JSONValue], _ field: String, required: Bool) throws -> String? {
        switch body[field] {
        case nil, .null:
            if required { throw APIError.validation("Field required", field: field) }
            return nil
        case .string(let value): return value
        default: throw APIError.validation("Input should be a valid string", field: field)
        }
    }

    private static func strings(_ body: [String: JSONValue], _ field: String) throws -> [String]? {
        switch body[field] {
        case nil, .null: return nil
        case .array(let values):
            return try values.map { value in
                guard let text = value.stringValue else { throw APIError.validation("Input should be a list of strings", field: field) }
                return text
            }
        default: throw APIError.validation("Input should be a valid list", field: field)
        }
    }

    /// Where a resource may point: the web, S3, a WebSocket, or a path.
    static let urlPrefixes = ["http://", "https://", "s3://", "ws://", "wss://", "/", "."]

    private static func resource(_ value: JSONValue, index: Int, anyURL: Bool) throws -> ResourceRequest {
        guard let fields = value.objectValue else { throw APIError.validation("Input should be a valid dictionary", field: "resources.\(index)") }
        guard let url = fields["url"]?.stringValue else { throw APIError.validation("Field required", field: "resources.\(index).url") }
        guard anyURL || urlPrefixes.contains(where: url.hasPrefix) else {
            throw APIError.validation(
                "url must start with http://, https://, s3://, ws://, wss://, / or .", field: "resources.\(index).url")
        }
        guard let name = fields["name"]?.stringValue else { throw APIError.validation("Field required", field: "resources.\(index).name") }
        return ResourceRequest(
            url: url, name: name, format: fields["format"]?.stringValue, description: fields["description"]?.stringValue,
            mimetype: fields["mimetype"]?.stringValue, size: fields["size"]?.doubleValue.map { Int($0) })
    }
}

extension DatasetRequest {
    /// The fields given replace the dataset's; extras, resources and the name are left to each
    /// route's own rule (merged or replaced).
    func replaceGivenFields(of dataset: inout CatalogDataset) {
        if let title { dataset.title = title }
        if let organization { dataset.organization = organization }
        if let notes { dataset.notes = notes }
        if let tags { dataset.tags = tags }
        if let groups { dataset.groups = groups }
        if let isPrivate { dataset.isPrivate = isPrivate }
        if let licenseID { dataset.licenseID = licenseID }
        if let version { dataset.version = version }
    }

    /// A new dataset from a validated creation body, with fresh ids.
    func newDataset(creator: String?, at now: Date = Date()) -> CatalogDataset {
        CatalogDataset(
            id: CatalogID.make(), name: name ?? "", title: title ?? "", organization: organization ?? "", notes: notes ?? "",
            tags: tags ?? [], groups: groups ?? [], extras: extras ?? [], resources: (resources ?? []).map { $0.resource(created: now) },
            isPrivate: isPrivate ?? false, licenseID: licenseID, version: version, creator: creator, created: now, modified: now)
    }
}

extension DatasetRequest.ResourceRequest {
    func resource(id: String = CatalogID.make(), created: Date = Date()) -> CatalogResource {
        CatalogResource(
            id: id, url: url, name: name, format: format ?? "", description: description ?? "", mimetype: mimetype, size: size, created: created)
    }

    /// PATCH: an existing resource with the same url or name takes the given fields.
    func merged(into existing: CatalogResource) -> CatalogResource {
        var resource = existing
        resource.url = url
        resource.name = name
        if let format { resource.format = format }
        if let description { resource.description = description }
        if let mimetype { resource.mimetype = mimetype }
        if let size { resource.size = size }
        return resource
    }
}
