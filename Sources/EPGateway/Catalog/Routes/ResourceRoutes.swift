import AccessPolicy
import Essentials
import Foundation
import Hummingbird
import Identity
import ServiceKit

/// Resources, the files and links inside a dataset (docs/specs/ndp-ep.md §2.8): read, patch,
/// delete, and search them. A resource has its dataset's mode and creator for the policy.
///
/// `DELETE /resource/{id}` deletes the **resource** with that id; upstream's route with the
/// same path deleted a dataset (its resource route was unreachable), which still happens when
/// the id or name is a dataset's, as ndp-ep's `delete_resource_by_name` expects.
struct ResourceRoutes: Sendable {
    let catalogs: CatalogServers
    let access: EndpointAccess
    let datasets: DatasetRoutes

    static let readBinding = PolicyBinding(.resource, .read, .inHandler(.public))
    static let updateBinding = PolicyBinding(.resource, .update, .inHandler(.public))
    static let deleteBinding = PolicyBinding(.resource, .delete, .inHandler(.public))

    var readRoutes: RouteCollection<IdentityRequestContext> {
        let routes = RouteCollection(context: IdentityRequestContext.self)
        routes.get("resource/{id}") { request, context in try await show(request, context: context) }
        routes.get("resources/search") { request, context in try await search(request, context: context) }
        return routes
    }

    var updateRoutes: RouteCollection<IdentityRequestContext> {
        let routes = RouteCollection(context: IdentityRequestContext.self)
        routes.patch("resource/{id}") { request, context in try await patch(request, context: context, id: try context.parameters.require("id")) }
        routes.patch("dataset/{id}/resource/{resource}") { request, context in
            try await patch(request, context: context, id: try context.parameters.require("resource"))
        }
        return routes
    }

    var deleteRoutes: RouteCollection<IdentityRequestContext> {
        let routes = RouteCollection(context: IdentityRequestContext.self)
        routes.delete("resource/{id}") { request, context in
            let id = try context.parameters.require("id")
            guard try await catalogs.store(for: request).resource(id) != nil else {
                return try await datasets.delete(id, request: request, context: context)
            }
            return try await delete(request, context: context, id: id)
        }
        routes.delete("dataset/{id}/resource/{resource}") { request, context in
            try await delete(request, context: context, id: try context.parameters.require("resource"))
        }
        return routes
    }

    /// The resource, or 404 "Resource not found" (also when the caller may not read it: a
    /// private dataset's resources do not show that they exist).
    private func visible(
        _ id: String, in store: any CatalogStore, context: IdentityRequestContext
    ) async throws -> (resource: CatalogResource, dataset: CatalogDataset) {
        guard let found = try await store.resource(id), access.permits(context.identity, .resource, .read, found.dataset.policyObject) else {
            throw CatalogError.resourceNotFound
        }
        return found
    }

    func show(_ request: Request, context: IdentityRequestContext) async throws -> JSONValue {
        let store = try catalogs.store(for: request)
        let found = try await visible(try context.parameters.require("id"), in: store, context: context)
        try access.authorize(context.identity, .resource, .read, found.dataset.policyObject, logger: context.logger)
        return Self.json(found.resource, datasetID: found.dataset.id)
    }

    /// `{name?, url?, description?, format?}` → the resource as it is now.
    func patch(_ request: Request, context: IdentityRequestContext, id: String) async throws -> JSONValue {
        let store = try catalogs.store(for: request)
        let body = try await JSONBody.object(from: request, expecting: "a JSON object is required")
        var fields: [String: String] = [:]
        for field in ["name", "url", "description", "format"] {
            switch body[field] {
            case nil, .null: continue
            case .string(let value): fields[field] = value
            default: throw APIError.validation("Input should be a valid string", field: field)
            }
        }
        if let name = fields["name"], !(1...255).contains(name.count) {
            throw APIError.validation("name must be 1 to 255 characters", field: "name")
        }
        let found = try await visible(id, in: store, context: context)
        try access.authorize(context.identity, .resource, .update, found.dataset.policyObject, logger: context.logger)
        let given = fields
        let dataset = try await store.updateDataset(found.dataset.id) { dataset in
            let fields = given
            guard let index = dataset.resources.firstIndex(where: { $0.id == id }) else { throw CatalogError.resourceNotFound }
            if let name = fields["name"] { dataset.resources[index].name = name }
            if let url = fields["url"] { dataset.resources[index].url = url }
            if let description = fields["description"] { dataset.resources[index].description = description }
            if let format = fields["format"] { dataset.resources[index].format = format }
        }
        guard let resource = dataset.resources.first(where: { $0.id == id }) else { throw CatalogError.resourceNotFound }
        return Self.json(resource, datasetID: dataset.id)
    }

    func delete(_ request: Request, context: IdentityRequestContext, id: String) async throws -> JSONValue {
        let store = try catalogs.store(for: request)
        let found = try await visible(id, in: store, context: context)
        try access.authorize(context.identity, .resource, .delete, found.dataset.policyObject, logger: context.logger)
        _ = try await store.updateDataset(found.dataset.id) { dataset in dataset.resources.removeAll { $0.id == id } }
        return ["message": .string("Resource '\(id)' deleted successfully")]
    }

    /// `{count, results}`; private datasets' resources only for whom the policy lets read them.
    func search(_ request: Request, context: IdentityRequestContext) async throws -> JSONValue {
        let store = try catalogs.store(for: request)
        let parameters = request.uri.queryParameters
        func integer(_ name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
            guard let text = parameters[Substring(name)] else { return value }
            guard let number = Int(text), range.contains(number) else {
                throw APIError.validation(
                    "\(name) must be an integer from \(range.lowerBound) to \(range.upperBound)", field: name, location: "query")
            }
            return number
        }
        let query = ResourceQuery(
            text: parameters["q"].map(String.init), name: parameters["name"].map(String.init), url: parameters["url"].map(String.init),
            description: parameters["description"].map(String.init), format: parameters["format"].map(String.init),
            limit: try integer("limit", default: 100, range: 1...1000), offset: try integer("offset", default: 0, range: 0...Int(Int32.max)),
            privateVisibility: access.privateVisibility(context.identity, .resource))
        let found = try await store.searchResources(query)
        return [
            "count": .number(Double(found.count)),
            "results": .array(
                found.hits.map { hit in
                    var item = Self.json(hit.resource, datasetID: hit.datasetID).objectValue ?? [:]
                    item["dataset_id"] = .string(hit.datasetID)
                    item["dataset_name"] = .string(hit.datasetName)
                    item["dataset_title"] = .string(hit.datasetTitle)
                    return .object(item)
                }),
        ]
    }

    /// Upstream's resource object: `id, package_id, name, url, description, format, created,
    /// last_modified` (and `mimetype`, `size` when known).
    static func json(_ resource: CatalogResource, datasetID: String) -> JSONValue {
        var fields: [String: JSONValue] = [
            "id": .string(resource.id), "package_id": .string(datasetID), "name": .string(resource.name), "url": .string(resource.url),
            "description": .string(resource.description), "format": .string(resource.format),
            "created": .string(Timestamp.isoUTC(resource.created)), "last_modified": .string(Timestamp.isoUTC(resource.created)),
        ]
        fields["mimetype"] = resource.mimetype.map(JSONValue.string)
        fields["size"] = resource.size.map { .number(Double($0)) }
        return .object(fields)
    }
}
