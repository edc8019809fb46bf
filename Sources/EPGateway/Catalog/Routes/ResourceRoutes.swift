import Access
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

    /// A resource has its dataset's mode and creator for the policy.
    var routes: [Route<IdentityRequestContext>] {
        func access(_ operation: PolicyOperation) -> PolicyAccess { .policy(.resource, operation, .inHandler(.public)) }
        let patch = { (path: String, parameter: String) in
            Route<IdentityRequestContext>.patch(path, "Change a resource's name, url, description or format.", access: access(.update))
                .tags("catalog").catalogErrors().query(LocalCatalogQuery.self).body(ResourcePatch.self).responds(404, "Resource not found")
                .handle { call in try await self.patch(call.body, id: try call.parameter(parameter), server: call.query.server, context: call.context)
                }
        }
        return [
            Route.get("/resource/{id}", "One resource.", access: access(.read)).tags("catalog").catalogErrors().query(LocalCatalogQuery.self)
                .answers(200, "The resource", schema: JSONSchema.anyObject).responds(404, "Resource not found")
                .handle { call in try await show(try call.parameter("id"), server: call.query.server, context: call.context) },
            Route.get("/resources/search", "Resources by text, name, url, description or format.", access: access(.read)).tags("catalog")
                .catalogErrors()
                .query(ResourceSearchQuery.self).answers(200, "{count, results}", schema: JSONSchema.anyObject)
                .handle { call in try await search(call.query, context: call.context) },
            patch("/resource/{id}", "id"), patch("/dataset/{id}/resource/{resource}", "resource"),
            Route.delete("/resource/{id}", "Delete a resource (or, for a dataset's id or name, the dataset, as upstream).", access: access(.delete))
                .tags("catalog").catalogErrors().query(LocalCatalogQuery.self).responds(404, "Resource not found")
                .handle { call in
                    let id = try call.parameter("id")
                    guard try await catalogs.store(call.query.server).resource(id) != nil else {
                        return try await datasets.delete(id, server: call.query.server, context: call.context)
                    }
                    return try await delete(id, server: call.query.server, context: call.context)
                },
            Route.delete("/dataset/{id}/resource/{resource}", "Delete a dataset's resource.", access: access(.delete)).tags("catalog").catalogErrors()
                .query(LocalCatalogQuery.self).responds(404, "Resource not found")
                .handle { call in try await delete(try call.parameter("resource"), server: call.query.server, context: call.context) },
        ]
    }

    /// `{name?, url?, description?, format?}`.
    struct ResourcePatch: JSONRequest, Validatable {
        var name: String?
        var url: String?
        var description: String?
        var format: String?

        func validate(_ checks: inout FieldChecks) {
            checks.length(name, "name", 1...255)
        }
    }

    struct ResourceSearchQuery: QueryRequest, Validatable {
        var q: String?
        var name: String?
        var url: String?
        var description: String?
        var format: String?
        var limit: Int?
        var offset: Int?
        var server: LocalCatalog?

        func validate(_ checks: inout FieldChecks) {
            checks.range(limit, "limit", 1...1000)
            checks.range(offset, "offset", 0...Int(Int32.max))
        }
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

    func show(_ id: String, server: LocalCatalog?, context: IdentityRequestContext) async throws -> JSONValue {
        let store = try catalogs.store(server)
        let found = try await visible(id, in: store, context: context)
        try access.authorize(context.identity, .resource, .read, found.dataset.policyObject, logger: context.logger)
        return Self.json(found.resource, datasetID: found.dataset.id)
    }

    /// `{name?, url?, description?, format?}` → the resource as it is now.
    func patch(_ body: ResourcePatch, id: String, server: LocalCatalog?, context: IdentityRequestContext) async throws -> JSONValue {
        let store = try catalogs.store(server)
        let found = try await visible(id, in: store, context: context)
        try access.authorize(context.identity, .resource, .update, found.dataset.policyObject, logger: context.logger)
        let dataset = try await store.updateDataset(found.dataset.id) { dataset in
            guard let index = dataset.resources.firstIndex(where: { $0.id == id }) else { throw CatalogError.resourceNotFound }
            if let name = body.name { dataset.resources[index].name = name }
            if let url = body.url { dataset.resources[index].url = url }
            if let description = body.description { dataset.resources[index].description = description }
            if let format = body.format { dataset.resources[index].format = format }
        }
        guard let resource = dataset.resources.first(where: { $0.id == id }) else { throw CatalogError.resourceNotFound }
        return Self.json(resource, datasetID: dataset.id)
    }

    func delete(_ id: String, server: LocalCatalog?, context: IdentityRequestContext) async throws -> Message {
        let store = try catalogs.store(server)
        let found = try await visible(id, in: store, context: context)
        try access.authorize(context.identity, .resource, .delete, found.dataset.policyObject, logger: context.logger)
        _ = try await store.updateDataset(found.dataset.id) { dataset in dataset.resources.removeAll { $0.id == id } }
        return Message(message: "Resource '\(id)' deleted successfully")
    }

    /// `{count, results}`; private datasets' resources only for whom the policy lets read them.
    func search(_ given: ResourceSearchQuery, context: IdentityRequestContext) async throws -> JSONValue {
        let store = try catalogs.store(given.server)
        let query = ResourceQuery(
            text: given.q, name: given.name, url: given.url, description: given.description, format: given.format, limit: given.limit ?? 100,
            offset: given.offset ?? 0, privateVisibility: access.privateVisibility(context.identity, .resource))
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
