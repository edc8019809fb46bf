import AccessPolicy
import Essentials
import Foundation
import Hummingbird
import Identity
import ServiceKit

/// General datasets (docs/specs/ndp-ep.md §2.6) and upstream's dataset deletes under
/// `/resource` (§2.8). Creating is `dataset create` in the mode the body asks for; updating and
/// deleting are decided on the stored dataset: its mode and its creator.
struct DatasetRoutes: Sendable {
    let catalogs: CatalogServers
    let access: EndpointAccess
    /// `ORGANIZATION`, stored on each dataset as `ndp_group_id`.
    let endpointOrganization: String
    /// `PRE_CKAN_ORGANIZATION`: where a published copy goes (nil: the dataset's own).
    var publishOrganization: String?

    static let createBinding = PolicyBinding(.dataset, .create, .inHandler(.public))
    static let updateBinding = PolicyBinding(.dataset, .update, .inHandler(.public))
    static let deleteBinding = PolicyBinding(.dataset, .delete, .inHandler(.public))

    var createRoutes: RouteCollection<IdentityRequestContext> {
        let routes = RouteCollection(context: IdentityRequestContext.self)
        routes.post("dataset") { request, context in try await create(request, context: context) }
        return routes
    }

    var updateRoutes: RouteCollection<IdentityRequestContext> {
        let routes = RouteCollection(context: IdentityRequestContext.self)
        routes.put("dataset/{id}") { request, context in try await update(request, context: context, merging: false) }
        routes.patch("dataset/{id}") { request, context in try await update(request, context: context, merging: true) }
        routes.post("dataset/{id}/publish") { request, context in try await publish(request, context: context) }
        return routes
    }

    /// Upstream's `DELETE /resource?resource_id=` removes a whole dataset, by id or name (§2.8);
    /// `DELETE /resource/{id}` is ``ResourceRoutes``'.
    var deleteRoutes: RouteCollection<IdentityRequestContext> {
        let routes = RouteCollection(context: IdentityRequestContext.self)
        routes.delete("resource") { request, context in
            guard let id = request.uri.queryParameters["resource_id"].map(String.init) else {
                throw APIError.validation("Field required", field: "resource_id", location: "query")
            }
            return try await delete(id, request: request, context: context)
        }
        return routes
    }

    /// 201 `{id, name, title, warning}`. A taken name is registered once more with a
    /// timestamp suffix, as upstream's CKAN path does, and `warning` says so.
    func create(_ request: Request, context: IdentityRequestContext) async throws -> Response {
        let store = try catalogs.store(for: request)
        let body = try DatasetRequest(
            try await JSONBody.object(from: request, expecting: "a JSON object with name, title and owner_org is required"), creating: true)
        let isPrivate = body.isPrivate ?? false
        try access.authorize(
            context.identity, .dataset, .create, PolicyObject(mode: CatalogDataset.mode(isPrivate: isPrivate)), logger: context.logger)
        let now = Date()
        var dataset = body.newDataset(creator: context.identity?.ndpUserID, at: now)
        dataset.stamp(endpointOrganization: endpointOrganization, user: context.identity)
        var warning: JSONValue = .null
        do {
            dataset = try await store.createDataset(dataset)
        } catch CatalogError.datasetExists(let taken) {
            warning = .string(Self.rename(&dataset, taken: taken, at: now))
            dataset = try await store.createDataset(dataset)
        }
        let answer: JSONValue = ["id": .string(dataset.id), "name": .string(dataset.name), "title": .string(dataset.title), "warning": warning]
        return answer.response(status: .created)
    }

    /// PUT replaces what is given (extras merge, resources replace); PATCH also merges resources
    /// by url or name.
    func update(_ request: Request, context: IdentityRequestContext, merging: Bool) async throws -> JSONValue {
        let store = try catalogs.store(for: request)
        let id = try context.parameters.require("id")
        let body = try DatasetRequest(try await JSONBody.object(from: request, expecting: "a JSON object is required"), creating: false)
        guard let current = try await store.dataset(id) else { throw CatalogError.datasetNotFound }
        try authorize(.update, current, context: context)
        if let isPrivate = body.isPrivate, isPrivate != current.isPrivate {
            // Changing the mode is an update in the mode it becomes, too.
            try access.authorize(
                context.identity, .dataset, .update,
                PolicyObject(mode: CatalogDataset.mode(isPrivate: isPrivate), id: current.name, creator: current.creator),
                logger: context.logger)
        }
        _ = try await store.updateDataset(current.id) { dataset in Self.apply(body, to: &dataset, mergingResources: merging) }
        return ["message": "Dataset updated successfully"]
    }

    func delete(_ id: String, request: Request, context: IdentityRequestContext) async throws -> JSONValue {
        let store = try catalogs.store(for: request)
        guard let dataset = try await store.dataset(id) else { throw CatalogError.resourceNotFound }
        try authorize(.delete, dataset, context: context)
        guard try await store.deleteDataset(dataset.id) != nil else { throw CatalogError.resourceNotFound }
        return ["message": .string("\(id) deleted successfully")]
    }

    private func authorize(_ operation: PolicyOperation, _ dataset: CatalogDataset, context: IdentityRequestContext) throws {
        try access.authorize(context.identity, .dataset, operation, dataset.policyObject, logger: context.logger)
    }

    static func apply(_ body: DatasetRequest, to dataset: inout CatalogDataset, mergingResources: Bool) {
        body.replaceGivenFields(of: &dataset)
        for extra in body.extras ?? [] { dataset.setExtra(extra.key, extra.value) }
        guard let resources = body.resources else { return }
        guard mergingResources else {
            dataset.resources = resources.map { $0.resource() }
            return
        }
        for resource in resources {
            if let index = dataset.resources.firstIndex(where: { $0.url == resource.url || $0.name == resource.name }) {
                dataset.resources[index] = resource.merged(into: dataset.resources[index])
            } else {
                dataset.resources.append(resource.resource())
            }
        }
    }

    /// Gives `dataset` the next free name after `taken`, as upstream does once on a clash;
    /// returns the warning that says so.
    static func rename(_ dataset: inout CatalogDataset, taken: String, at now: Date) -> String {
        let suffix = suffix(now)
        dataset.name = String(taken.prefix(100 - suffix.name.count - 1)) + "-" + suffix.name
        dataset.title += " (\(suffix.title))"
        return "A dataset named '\(taken)' already exists; this one was registered as '\(dataset.name)'."
    }

    /// `POST /dataset/{id}/publish` (docs/specs/ndp-ep.md §2.6): a copy of the local dataset
    /// and its resources on Pre-CKAN, in `PRE_CKAN_ORGANIZATION` when set, renamed once on a
    /// clash; both copies get the extra `status=submitted`. The copy is one `package_create`
    /// (resources included), so Pre-CKAN has all of it or nothing; if marking the local dataset
    /// then fails, the copy is deleted again. Publishing is an update of the local dataset.
    func publish(_ request: Request, context: IdentityRequestContext) async throws -> Response {
        let preCkan = try catalogs.store(.preCkan)
        let id = try context.parameters.require("id")
        guard let dataset = try await catalogs.local.dataset(id) else { throw CatalogError.datasetNotFound }
        try authorize(.update, dataset, context: context)
        let now = Date()
        var copy = dataset
        copy.id = CatalogID.make()
        copy.resources = dataset.resources.map { resource in
            var fresh = resource
            fresh.id = CatalogID.make()
            return fresh
        }
        if let publishOrganization { copy.organization = publishOrganization }
        copy.setExtra("status", "submitted")
        (copy.created, copy.modified) = (now, now)
        var warning: JSONValue = .null
        let published: CatalogDataset
        do {
            do {
                published = try await preCkan.createDataset(copy)
            } catch CatalogError.datasetExists(let taken) {
                warning = .string(Self.rename(&copy, taken: taken, at: now))
                published = try await preCkan.createDataset(copy)
            }
        } catch CatalogError.organizationMissing(let name) {
            let setting = publishOrganization == nil ? "the dataset's own organization" : "PRE_CKAN_ORGANIZATION"
            throw APIError(.badRequest, detail: "Pre-CKAN has no organization '\(name)' (\(setting)); nothing was published.")
        }
        do {
            _ = try await catalogs.local.updateDataset(dataset.id) { $0.setExtra("status", "submitted") }
        } catch {
            _ = try? await preCkan.deleteDataset(published.id)
            throw error
        }
        let answer: JSONValue = [
            "id": .string(published.id), "name": .string(published.name), "title": .string(published.title), "warning": warning,
            "message": "Dataset published to PRE-CKAN successfully",
        ]
        return answer.response(status: .created)
    }

    /// `-YYYYmmddHHMMSS` and ` (YYYY-mm-dd HH:MM:SS)`, UTC.
    static func suffix(_ date: Date) -> (name: String, title: String) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func two(_ value: Int?) -> String { String(format: "%02d", value ?? 0) }
        let day = "\(parts.year ?? 0)\(two(parts.month))\(two(parts.day))"
        let time = "\(two(parts.hour))\(two(parts.minute))\(two(parts.second))"
        return (
            day + time,
            "\(parts.year ?? 0)-\(two(parts.month))-\(two(parts.day)) \(two(parts.hour)):\(two(parts.minute)):\(two(parts.second))"
        )
    }
}
