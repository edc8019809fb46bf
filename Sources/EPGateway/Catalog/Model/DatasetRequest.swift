import Essentials
import Foundation
import ServiceKit

/// The body of `POST /dataset` and of `PUT`/`PATCH /dataset/{id}` (upstream's
/// GeneralDatasetRequest and GeneralDatasetUpdateRequest, docs/specs/ndp-ep.md §2.6), read
/// from ``NewDatasetBody`` or ``DatasetUpdateBody`` (pydantic's lax mode: every issue is a 422),
/// then checked for what types cannot say: resource URLs, reserved extras.
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

    /// Where a resource may point: the web, S3, a WebSocket, or a path.
    static let urlPrefixes = ["http://", "https://", "s3://", "ws://", "wss://", "/", "."]

    /// `anyResourceURL`: a resource's url may be any text, empty too, as CKAN's action API
    /// takes it (a Kafka topic has none).
    init(name: String?, title: String?, organization: String?, details: DatasetDetails, anyResourceURL: Bool = false) throws {
        self.name = name
        self.title = title
        self.organization = organization
        notes = details.notes
        tags = details.tags
        groups = details.groups
        isPrivate = details.private
        licenseID = details.license_id
        version = details.version
        if let given = details.extras {
            if let reserved = given.keys.sorted().first(where: Self.reservedKeys.contains) {
                throw APIError(.badRequest, detail: "Reserved key error: '\(reserved)' is a dataset field and cannot be an extra")
            }
            extras = given.keys.sorted().map { CatalogDataset.Extra(key: $0, value: given[$0]!) }
        }
        resources = try details.resources.map { given in
            try given.enumerated().map { index, resource in
                guard anyResourceURL || Self.urlPrefixes.contains(where: resource.url.hasPrefix) else {
                    throw APIError.validation("url must start with http://, https://, s3://, ws://, wss://, / or .", field: "resources.\(index).url")
                }
                return ResourceRequest(
                    url: resource.url, name: resource.name, format: resource.format, description: resource.description, mimetype: resource.mimetype,
                    size: resource.size)
            }
        }
    }

    init(_ body: NewDatasetBody, anyResourceURL: Bool = false) throws {
        try self.init(name: body.name, title: body.title, organization: body.owner_org, details: body.details, anyResourceURL: anyResourceURL)
    }

    init(_ body: DatasetUpdateBody, anyResourceURL: Bool = false) throws {
        try self.init(name: body.name, title: body.title, organization: body.owner_org, details: body.details, anyResourceURL: anyResourceURL)
    }

    /// From a JSON object (the CKAN action API's package, an import line), read as the routes read it.
    init(_ body: [String: JSONValue], creating: Bool, anyResourceURL: Bool = false) throws {
        if creating {
            try self.init(
                RequestJSON.decode(NewDatasetBody.self, from: .object(body), at: [.key("body")], input: .json), anyResourceURL: anyResourceURL)
        } else {
            try self.init(
                RequestJSON.decode(DatasetUpdateBody.self, from: .object(body), at: [.key("body")], input: .json), anyResourceURL: anyResourceURL)
        }
    }
}

/// A dataset's optional fields, in upstream's names.
struct DatasetDetails: Decodable, Sendable {
    var notes: String?
    var tags: [String]?
    var groups: [String]?
    var extras: [String: JSONValue]?
    var resources: [ResourceBody]?
    var `private`: Bool?
    var license_id: String?
    var version: String?
}

/// A resource of a dataset body.
struct ResourceBody: Decodable, Sendable {
    var url: String
    var name: String
    var format: String?
    var description: String?
    var mimetype: String?
    var size: Int?
}

/// `POST /dataset`: name, title and owner_org required.
struct NewDatasetBody: JSONRequest, Validatable {
    var name: String
    var title: String
    var owner_org: String
    var details: DatasetDetails

    enum CodingKeys: String, CodingKey { case name, title, owner_org }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        title = try container.decode(String.self, forKey: .title)
        owner_org = try container.decode(String.self, forKey: .owner_org)
        details = try DatasetDetails(from: decoder)
    }

    func validate(_ checks: inout FieldChecks) {
        checks.pattern(name, "name", CatalogText.namePattern, message: CatalogText.nameRule())
    }
}

/// `PUT`/`PATCH /dataset/{id}`: every field optional.
struct DatasetUpdateBody: JSONRequest, Validatable {
    var name: String?
    var title: String?
    var owner_org: String?
    var details: DatasetDetails

    enum CodingKeys: String, CodingKey { case name, title, owner_org }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decodeIfPresent(String.self, forKey: .name)
        title = try container.decodeIfPresent(String.self, forKey: .title)
        owner_org = try container.decodeIfPresent(String.self, forKey: .owner_org)
        details = try DatasetDetails(from: decoder)
    }

    func validate(_ checks: inout FieldChecks) {
        checks.pattern(name, "name", CatalogText.namePattern, message: CatalogText.nameRule())
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
